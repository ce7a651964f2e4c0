package http_test

import (
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/authz"
	"github.com/stackgate/stackgate/internal/testdb"
)

// TestBadInputNeverFails5xx sends malformed bodies, wrong types, bad query
// parameters and bad credentials to every served route, once naming objects
// that do not exist and once naming existing ones (a delivery token with a
// preview token, a management token, a custom role, an environment, a
// locale, a branch, an alias, an invitation, the invitee asking too), so
// that validation is reached past the
// lookup: each answer must be a 4xx (or a success), never a server error.
func TestBadInputNeverFails5xx(t *testing.T) {
	f := newFixture(t, testdb.SQLite)
	bodies := []any{nil, "", "{", "[]", "null", "1", `"x"`, `{"token":[]}`, `{"role":"x"}`, `{"token":{"scope":{}}}`, `{"token":{"scope":[null,1,"a",{"module":1}]}}`,
		`{"role":{"rules":[null,{"module":"taxonomy","content_types":[1]}],"users":"x"}}`, `{"environment":{"urls":"x"}}`, `{"locale":{"code":5}}`,
		`{"branch":{"uid":"../x"}}`, `{"branch_alias":{"target_branch":7}}`, `{"users":{"x":"y"}}`, `{"emails":"a"}`, `{"user":{"email":1}}`,
		`{"token":{"name":"n","expires_on":12,"scope":[{"module":"$all","acl":{"read":true}},{"module":"branch","branches":["main"]}]}}`,
		// well-formed JSON of the right types that validation must refuse
		`{"token":{"name":"","scope":[{"module":"environment","environments":["nope"],"acl":{"read":true}},{"module":"branch","branches":["nope"]}]}}`,
		`{"token":{"name":"n","expires_on":"yesterday","scope":[{"module":"nope","acl":{}}]}}`,
		`{"role":{"name":"","rules":[{"module":"nope"},{"module":"environment","environments":["nope"]},{"module":"taxonomy","taxonomies":["$all"],"terms":[{}]}]}}`,
		`{"environment":{"name":"","urls":[{"url":"not a url","locale":"xx"}]}}`, `{"locale":{"code":"","name":"","fallback_locale":"xx-xx"}}`,
		`{"branch":{"uid":"","source":"nope"}}`, `{"branch_alias":{"target_branch":""}}`,
		`{"token_webhook":{"url":7,"events":"created"}}`, `{"token_webhook":{"url":"http://[::1]:x/#","events":["nope",null]}}`}

	// The existing objects, made again whenever a request removed them, and
	// the sessions, renewed whenever a request ended them.
	dtUID, mtUID, roleUID := "", "", ""
	create := func(method, path string, body any) reply {
		t.Helper()
		r := f.do(req{method: method, path: path, headers: f.as(Owner), body: body})
		if r.status >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, r.status, r.raw)
		}
		return r
	}
	exists := func(path string) bool {
		return path != "" && f.do(req{method: "GET", path: path, headers: f.as(Owner)}).status == 200
	}
	invitees := 0
	invitation := func() string {
		if f.tokens[Ghost] == "" {
			return ""
		}
		for _, inv := range invitationsOf(t, f, Ghost) {
			if jobj(t, inv["stack"])["uid"] == f.stack.UID {
				return inv["uid"].(string)
			}
		}
		return ""
	}
	// Every write that could have removed one of them commits, and every
	// commit is heard here: ensure looks again only after one.
	var commits, seen atomic.Int64
	f.store.OnCommit(func(stackgate.Change) { commits.Add(1) })
	seen.Store(-1)
	ensure := func() {
		t.Helper()
		if commits.Load() == seen.Load() {
			return
		}
		defer func() { seen.Store(commits.Load()) }()
		for _, who := range []cred{Owner, ContentManager} {
			if f.do(req{method: "GET", path: "/v3/user", headers: f.as(who)}).status != 200 {
				_, token, err := f.svc.Login(t.Context(), who.email(), who.password())
				if err != nil {
					t.Fatalf("login %s: %v", who, err)
				}
				f.tokens[who] = token
			}
		}
		if !exists("/v3/environments/staging") {
			create("POST", "/v3/environments", envBody("staging"))
		}
		if !exists("/v3/locales/fr-fr") {
			create("POST", "/v3/locales", map[string]any{"locale": map[string]any{"code": "fr-fr", "name": "French"}})
		}
		for _, b := range []string{"development", "feature"} {
			if !exists("/v3/stacks/branches/" + b) {
				create("POST", "/v3/stacks/branches", map[string]any{"branch": map[string]string{"uid": b, "source": "main"}})
			}
		}
		if !exists("/v3/stacks/branch_aliases/deploy") {
			create("PUT", "/v3/stacks/branch_aliases/deploy", map[string]any{"branch_alias": map[string]string{"target_branch": "development"}})
		}
		if !exists("/v3/stacks/delivery_tokens/" + dtUID) {
			r := create("POST", "/v3/stacks/delivery_tokens?create_with_preview_token=true", dtBody("site "+f.stack.UID+dtUID, dtScope()))
			dtUID = r.body["token"].(map[string]any)["uid"].(string)
		} else if r := f.do(req{method: "GET", path: "/v3/stacks/delivery_tokens/" + dtUID, headers: f.as(Owner)}); r.body["token"].(map[string]any)["preview_token"] == nil {
			create("POST", "/v3/stacks/delivery_tokens/"+dtUID+"/preview_token", nil)
		}
		if !exists("/v3/stacks/management_tokens/" + mtUID) {
			r := create("POST", "/v3/stacks/management_tokens", mtBody("ci "+mtUID, mtScope("$all", rw), nil))
			mtUID = r.body["token"].(map[string]any)["uid"].(string)
		}
		// a pending invitation to the fixture stack; once accepted or
		// declined, a new invitee (Ghost) is signed up and invited
		if invitation() == "" {
			invitees++
			email := fmt.Sprintf("invitee%d@example.com", invitees)
			if _, _, err := f.svc.EnsureUser(t.Context(), email, "invitee-password"); err != nil {
				t.Fatal(err)
			}
			_, token, err := f.svc.Login(t.Context(), email, "invitee-password")
			if err != nil {
				t.Fatal(err)
			}
			f.tokens[Ghost] = token
			create("POST", "/v3/stacks/share", shareBody(email, f.roleUIDs[stackgate.RoleContentManager]))
		}
		if !exists("/v3/stacks/token_webhook") {
			create("PUT", "/v3/stacks/token_webhook", map[string]any{"token_webhook": map[string]any{"url": "https://hooks.example.com/x"}})
		}
		if !exists("/v3/roles/" + roleUID) {
			r := create("POST", "/v3/roles", roleBody("Editors "+roleUID, branchRule))
			roleUID = r.body["role"].(map[string]any)["uid"].(string)
		}
	}
	ensure()
	existing := func(pattern string) string {
		switch {
		case strings.HasPrefix(pattern, "/v3/stacks/delivery_tokens/"):
			return dtUID
		case strings.HasPrefix(pattern, "/v3/stacks/management_tokens/"):
			return mtUID
		case strings.HasPrefix(pattern, "/v3/roles/"):
			return roleUID
		case strings.HasPrefix(pattern, "/v3/environments/"):
			return "staging"
		case strings.HasPrefix(pattern, "/v3/locales/"):
			return "fr-fr"
		case strings.HasPrefix(pattern, "/v3/stacks/branches/"):
			return "feature"
		case strings.HasPrefix(pattern, "/v3/stacks/branch_aliases/"):
			return "deploy"
		case strings.HasPrefix(pattern, "/v3/user/stack_invitations/"):
			return invitation()
		case strings.HasPrefix(pattern, "/v3/user/sessions/"):
			// the content manager's, which the owner cannot end
			sessions, err := f.store.ListSessions(t.Context(), f.users[ContentManager].UID)
			if err != nil || len(sessions) == 0 {
				t.Fatalf("sessions: %v (%d)", err, len(sessions))
			}
			return sessions[len(sessions)-1].UID
		case strings.HasPrefix(pattern, "/v3/audit-logs/"):
			logs, err := f.svc.AuditLogs(t.Context(), f.stack.UID)
			if err != nil || len(logs) == 0 {
				t.Fatalf("audit log: %v (%d entries)", err, len(logs))
			}
			return logs[0].UID
		}
		t.Fatalf("no existing object for %s", pattern)
		return ""
	}
	fill := func(pattern, v string) string {
		for strings.Contains(pattern, "{") {
			pattern = pattern[:strings.Index(pattern, "{")] + v + pattern[strings.Index(pattern, "}")+1:]
		}
		return pattern
	}
	// outcome is what an answer says: its status and the fields it faults.
	outcome := func(r reply) string {
		errs, _ := r.body["errors"].(map[string]any)
		keys := []string{}
		for k := range errs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		return fmt.Sprint(r.status, keys)
	}
	missing := map[string]string{} // outcome by request, on a missing object
	for _, r := range authz.Routes {
		if !r.Served {
			continue
		}
		named := strings.Contains(r.Pattern, "{")
		for _, target := range []string{"missing", "existing"} {
			if target == "existing" && !named {
				continue
			}
			found := false // some answer differs from the same request's on a missing object: the lookup was passed
			// Callers without a credential are refused before any body is
			// read on a route that authenticates: once the body-less request
			// is refused with 401, a few bodies stand for all of them. Routes
			// that answer such a caller otherwise (login, OAuth's token
			// endpoints) get every body.
			authenticates := map[cred]bool{}
			// Query parameters are read by lists (GET) and deletions (force);
			// writes get the odd query string with the body-less request only.
			queries := func(i int) []string {
				if r.Method == "GET" || r.Method == "DELETE" || i == 0 {
					return []string{"", "?limit=x&query=[&include_count=maybe&force=perhaps"}
				}
				return []string{""}
			}
			for i, b := range bodies {
				whos := []cred{Owner, NoCredential, BadAuthtoken, ContentManager}
				if strings.HasPrefix(r.Pattern, "/v3/user/stack_invitations/") {
					whos = append(whos, Ghost) // the invitee
				}
				for _, who := range whos {
					if authenticates[who] && i%9 != 0 {
						continue
					}
					for _, query := range queries(i) {
						path := fill(r.Pattern, "x")
						if target == "existing" {
							path = fill(r.Pattern, existing(r.Pattern))
						}
						got := f.do(req{method: r.Method, path: path + query, headers: f.headersFor(who), body: b})
						if got.status >= 500 {
							t.Errorf("%s %s%s as %s with %v: %d %s", r.Method, path, query, who, b, got.status, got.raw)
						}
						if i == 0 && query == "" && (who == NoCredential || who == BadAuthtoken) && got.status == 401 {
							authenticates[who] = true
						}
						key := fmt.Sprint(r.Method, r.Pattern, i, who, query)
						if target == "missing" {
							missing[key] = outcome(got)
						} else if m, ok := missing[key]; ok && outcome(got) != m {
							found = true
						}
						if got.status < 300 && r.Method != "GET" {
							ensure()
						}
					}
				}
			}
			// PUT branch_aliases assigns: it looks nothing up, a missing alias is made
			if target == "existing" && !found && !(r.Method == "PUT" && strings.HasPrefix(r.Pattern, "/v3/stacks/branch_aliases/")) {
				t.Errorf("%s %s: every answer was the one a missing object gets: the existing object was never reached", r.Method, r.Pattern)
			}
		}
	}
}
