package http_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/service"
)

const managementTokensPath = "/v3/stacks/management_tokens"

func readACL() map[string]any      { return map[string]any{"read": true} }
func readWriteACL() map[string]any { return map[string]any{"read": true, "write": true} }

func mgmtModule(module string, acl map[string]any) map[string]any {
	return map[string]any{"module": module, "acl": acl}
}

// mgmtTokenBody is {"token":{name, description, scope, …extra}}.
func mgmtTokenBody(name string, scope []any, extra map[string]any) map[string]any {
	tok := map[string]any{"name": name, "description": "about " + name, "scope": scope}
	for k, v := range extra {
		tok[k] = v
	}
	return map[string]any{"token": tok}
}

// allOnMain is a scope of $all with acl on branch main.
func allOnMain(acl map[string]any) []any {
	return []any{mgmtModule("$all", acl), scopeBranch("main")}
}

// createMgmt creates a management token as the owner and returns the
// create reply's token object.
func createMgmt(t testing.TB, f *fixture, body any) map[string]any {
	t.Helper()
	return jobj(t, mustDo(t, f, f.as(Owner), "POST", managementTokensPath, body, 201).body["token"])
}

func midnightUTC(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// TestManagementTokenAPI: create, list, fetch, update and delete, with the
// shapes spec §4 asks for; the secret appears only in the create reply.
func TestManagementTokenAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		owner := f.as(Owner)

		created := mustDo(t, f, owner, "POST", managementTokensPath, mgmtTokenBody("ci", allOnMain(readWriteACL()),
			map[string]any{"expires_on": "2099-06-15T13:45:00.000Z", "is_email_notification_enabled": true}), 201)
		tok := jobj(t, created.body["token"])
		uid, secret := tok["uid"].(string), tok["token"].(string)
		t.Run("create reply", func(t *testing.T) {
			if created.body["notice"] != "Management Token created successfully." {
				t.Fatalf("notice %v", created.body["notice"])
			}
			// No "type" and no scope _metadata: no management-token sample has them.
			if _, has := tok["type"]; has || !csTokenPattern.MatchString(secret) || !bltUIDPattern.MatchString(uid) {
				t.Fatalf("token %q uid %q type %v", secret, uid, tok["type"])
			}
			for _, e := range jlist(t, tok["scope"]) {
				if _, has := jobj(t, e)["_metadata"]; has {
					t.Fatalf("scope entry with _metadata: %v", e)
				}
			}
			if tok["expires_on"] != "2099-06-15" || tok["is_email_notification_enabled"] != true || tok["name"] != "ci" ||
				tok["description"] != "about ci" || tok["created_by"] != f.users[Owner].UID {
				t.Fatalf("fields: %s", created.raw)
			}
			if !wireTimePattern.MatchString(fmt.Sprint(tok["created_at"])) {
				t.Fatalf("created_at %v", tok["created_at"])
			}
			scope := jlist(t, tok["scope"])
			if len(scope) != 2 || jobj(t, scope[0])["module"] != "$all" || !reflect.DeepEqual(jobj(t, scope[0])["acl"], any(readWriteACL())) ||
				!reflect.DeepEqual(jobj(t, scope[1])["branches"], []any{"main"}) {
				t.Fatalf("scope %v", scope)
			}
		})
		dated := createMgmt(t, f, mgmtTokenBody("dated", allOnMain(readACL()), map[string]any{"expires_on": "2099-01-31"}))
		never := createMgmt(t, f, mgmtTokenBody("never", allOnMain(readACL()), nil))
		nullExpiry := createMgmt(t, f, mgmtTokenBody("null expiry", allOnMain(readACL()), map[string]any{"expires_on": nil}))
		t.Run("expires_on: a date is returned as given; absent and null mean never", func(t *testing.T) {
			if dated["expires_on"] != "2099-01-31" {
				t.Fatalf("expires_on %v", dated["expires_on"])
			}
			for _, tk := range []map[string]any{never, nullExpiry} {
				v, has := tk["expires_on"]
				if !has || v != nil {
					t.Fatalf("expires_on = %v (present %v), want null", v, has)
				}
				if tk["is_email_notification_enabled"] != false {
					t.Fatalf("is_email_notification_enabled %v", tk["is_email_notification_enabled"])
				}
			}
		})
		secrets := []string{secret, dated["token"].(string), never["token"].(string), nullExpiry["token"].(string)}

		runScenarios(t, f, []scenario{
			{name: "list never contains a secret", method: "GET", path: managementTokensPath + "?include_count=true&query=" + url.QueryEscape(`{"name":{"$in":["ci","dated","never","null expiry"]}}`), who: Admin, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					items := jlist(t, r.body["tokens"])
					if len(items) != 4 || r.body["count"] != float64(4) {
						t.Fatalf("%s", r.raw)
					}
					for _, x := range items {
						if _, has := jobj(t, x)["token"]; has {
							t.Fatalf("list item %v", x)
						}
					}
					for _, s := range secrets {
						if strings.Contains(string(r.raw), s) {
							t.Fatal("a secret is in the list")
						}
					}
				}},
			{name: "list with query, sort and paging", method: "GET", path: managementTokensPath + `?query={"name":{"$in":["ci","never","dated"]}}&asc=name&limit=2&include_count=true`, who: Owner, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					items := jlist(t, r.body["tokens"])
					if r.body["count"] != float64(3) || len(items) != 2 || jobj(t, items[0])["name"] != "ci" || jobj(t, items[1])["name"] != "dated" {
						t.Fatalf("%s", r.raw)
					}
				}},
			{name: "list with a bad query", method: "GET", path: managementTokensPath + `?query=nope`, who: Owner, status: 400, code: 400, field: "query"},
			{name: "fetch: the create reply without the secret", method: "GET", path: managementTokensPath + "/" + uid, who: Admin, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					got := jobj(t, r.body["token"])
					if _, has := got["token"]; has || strings.Contains(string(r.raw), secret) {
						t.Fatalf("fetch shows the secret: %s", r.raw)
					}
					if !reflect.DeepEqual(got, withoutKeys(tok, "token")) {
						t.Fatalf("fetch %v\ncreate %v", got, tok)
					}
				}},
			{name: "fetch unknown", method: "GET", path: managementTokensPath + "/bltdoesnotexist0", who: Owner, status: 422, code: 141, field: "uid"},
			{name: "the secret authenticates", method: "GET", path: "/v3/environments", headers: f.withToken(secret), status: 200},
		})

		// The writes: independent rows, each on a token of its own
		// ("{uid}" in strings is its uid, "{secret}" its secret), the
		// reply and the token then fetched compared with cmp.Diff.
		forged := "cs0123456789abcdef01234567"
		rows := []mtRow{
			{name: "update",
				step: mtStep{Admin, "PUT", "/{uid}", mgmtTokenBody("ci 2 {uid}", allOnMain(readWriteACL()),
					map[string]any{"is_email_notification_enabled": false, "expires_on": "2099-02-02"}), 200},
				want: func(tk map[string]any) any {
					return map[string]any{"notice": "Management Token updated successfully.", "token": with(tk, "name", "ci 2 {uid}",
						"description", "about ci 2 {uid}", "expires_on", "2099-02-02", "is_email_notification_enabled", false, "updated_by", f.users[Admin].UID)}
				},
				after: func(tk map[string]any) any {
					return with(tk, "name", "ci 2 {uid}", "description", "about ci 2 {uid}", "expires_on", "2099-02-02",
						"is_email_notification_enabled", false, "updated_by", f.users[Admin].UID)
				},
				secretWorks: true},
			{name: "update: expires_on null means never",
				step:  mtStep{Owner, "PUT", "/{uid}", map[string]any{"token": map[string]any{"expires_on": nil}}, 200},
				after: func(tk map[string]any) any { return with(tk, "expires_on", nil) }, secretWorks: true},
			{name: "delete", step: mtStep{Admin, "DELETE", "/{uid}", nil, 200},
				want: func(map[string]any) any { return map[string]any{"notice": "Management Token deleted successfully."} }},
			{name: "deleted: fetch", before: []mtStep{{Admin, "DELETE", "/{uid}", nil, 200}}, step: mtStep{Owner, "GET", "/{uid}", nil, 422},
				wantError: &mtError{141, "uid"}},
			{name: "deleted: the secret", before: []mtStep{{Admin, "DELETE", "/{uid}", nil, 200}}, secretWorks: false, secretRefused: true},
			{name: "deleted: update", before: []mtStep{{Admin, "DELETE", "/{uid}", nil, 200}},
				step: mtStep{Owner, "PUT", "/{uid}", mgmtTokenBody("x", allOnMain(readACL()), nil), 422}, wantError: &mtError{141, ""}},
			{name: "deleted: delete again", before: []mtStep{{Admin, "DELETE", "/{uid}", nil, 200}},
				step: mtStep{Owner, "DELETE", "/{uid}", nil, 422}, wantError: &mtError{141, ""}},
			{name: "deleted: the name is free", before: []mtStep{{Admin, "DELETE", "/{uid}", nil, 200}},
				step: mtStep{Owner, "POST", "", mgmtTokenBody("row {uid}", allOnMain(readACL()), nil), 201}},
		}
		for _, tc := range []struct {
			field string
			value any
		}{
			{"token", forged},
			{"uid", "bltforged00000000"},
			{"type", "delivery"},
			{"created_at", "2000-01-01T00:00:00.000Z"},
			{"created_by", "bltforged00000000"},
			{"_metadata", map[string]any{"uid": "csforged"}},
			{"stack", map[string]any{"api_key": f.other.APIKey}},
		} {
			rows = append(rows, mtRow{name: "update: read-only field " + tc.field + " is ignored",
				step:  mtStep{Owner, "PUT", "/{uid}", map[string]any{"token": map[string]any{tc.field: tc.value}}, 200},
				after: func(tk map[string]any) any { return with(tk, "updated_by", f.users[Owner].UID) }, secretWorks: true, forgedRefused: forged})
		}
		for _, row := range rows {
			t.Run(row.name, func(t *testing.T) {
				made := createMgmt(t, f, mgmtTokenBody("row "+row.name, allOnMain(readWriteACL()),
					map[string]any{"expires_on": "2099-06-15", "is_email_notification_enabled": true}))
				uid, secret := made["uid"].(string), made["token"].(string)
				t.Cleanup(func() { // the stack holds 10 management tokens: each row removes what it made
					keep := url.QueryEscape(`{"name":{"$nin":["ci","dated","never","null expiry"]}}`)
					for _, x := range jlist(t, mustDo(t, f, f.as(Owner), "GET", managementTokensPath+"?query="+keep, nil, 200).body["tokens"]) {
						mustDo(t, f, f.as(Owner), "DELETE", managementTokensPath+"/"+jobj(t, x)["uid"].(string), nil, 200)
					}
				})
				fill := func(v any) any {
					b, err := json.Marshal(v)
					if err != nil {
						t.Fatal(err)
					}
					var out any
					if err := json.Unmarshal([]byte(strings.ReplaceAll(string(b), "{uid}", uid)), &out); err != nil {
						t.Fatal(err)
					}
					return out
				}
				fetch := func() map[string]any {
					return jobj(t, mustDo(t, f, f.as(Owner), "GET", managementTokensPath+"/"+uid, nil, 200).body["token"])
				}
				tk := fetch()
				send := func(s mtStep) reply {
					var body any
					if s.body != nil {
						body = fill(s.body)
					}
					return mustDo(t, f, f.as(s.who), s.method, managementTokensPath+strings.ReplaceAll(s.path, "{uid}", uid), body, s.status)
				}
				for _, s := range row.before {
					send(s)
				}
				ignore := cmpopts.IgnoreMapEntries(func(k string, _ any) bool { return k == "updated_at" })
				if row.step.method != "" {
					got := send(row.step)
					if strings.Contains(string(got.raw), secret) {
						t.Errorf("the reply shows the secret: %s", got.raw)
					}
					if row.wantError != nil {
						wantError(t, got, row.step.status, row.wantError.code, row.wantError.field)
					}
					if row.want != nil {
						if diff := cmp.Diff(fill(row.want(tk)), any(got.body), ignore); diff != "" {
							t.Errorf("reply (-want +got):\n%s", diff)
						}
					}
				}
				if row.after != nil {
					if diff := cmp.Diff(fill(row.after(tk)), any(fetch()), ignore); diff != "" {
						t.Errorf("stored token (-want +got):\n%s", diff)
					}
				}
				if row.secretWorks {
					mustDo(t, f, f.withToken(secret), "GET", "/v3/environments", nil, 200)
				}
				if row.secretRefused {
					wantError(t, f.do(req{method: "GET", path: "/v3/environments", headers: f.withToken(secret)}), 401, 105, "authorization")
				}
				if row.forgedRefused != "" {
					wantError(t, f.do(req{method: "GET", path: "/v3/environments", headers: f.withToken(row.forgedRefused)}), 401, 105, "authorization")
				}
			})
		}
		t.Run("the others are untouched", func(t *testing.T) {
			for _, s := range secrets {
				mustDo(t, f, f.withToken(s), "GET", "/v3/environments", nil, 200)
			}
		})
	})
}

// mtStep is one request of a TestManagementTokenAPI row; path follows
// managementTokensPath.
type mtStep struct {
	who    cred
	method string
	path   string
	body   any
	status int
}

type mtError struct {
	code  int
	field string
}

// mtRow is one independent write scenario of TestManagementTokenAPI.
type mtRow struct {
	name          string
	before        []mtStep
	step          mtStep                      // the request whose reply is compared; none when method is ""
	wantError     *mtError                    // the error the reply must be
	want          func(tk map[string]any) any // the reply (updated_at aside), from the token as fetched before
	after         func(tk map[string]any) any // the token as fetched afterwards
	secretWorks   bool                        // the token's secret still authenticates
	secretRefused bool                        // the token's secret is refused (401)
	forgedRefused string                      // a forged secret that must not authenticate
}

// TestManagementTokenPermissions: only the owner and Admins manage
// management tokens.
func TestManagementTokenPermissions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		target := createMgmt(t, f, mgmtTokenBody("target", allOnMain(readWriteACL()), nil))
		tuid, secret := target["uid"].(string), target["token"].(string)
		type endpoint struct {
			name, method, path string
			body               any
			ok                 int
		}
		endpoints := func(uid, name string) []endpoint {
			return []endpoint{
				{"create", "POST", managementTokensPath, mgmtTokenBody(name, allOnMain(readACL()), nil), 201},
				{"list", "GET", managementTokensPath, nil, 200},
				{"get", "GET", managementTokensPath + "/" + uid, nil, 200},
				{"update", "PUT", managementTokensPath + "/" + uid, map[string]any{"token": map[string]any{"description": "by " + name}}, 200},
				{"delete", "DELETE", managementTokensPath + "/" + uid, nil, 200},
			}
		}
		for _, d := range []struct {
			who     string
			headers map[string]string
		}{
			{"developer", f.as(Developer)},
			{"content_manager", f.as(ContentManager)},
			{"management token ($all read/write), even on itself", f.withToken(secret)},
			{"outsider", f.as(Outsider)},
		} {
			for _, e := range endpoints(tuid, "denied") {
				t.Run(d.who+" "+e.name, func(t *testing.T) {
					r := f.do(req{method: e.method, path: e.path, headers: d.headers, body: e.body})
					wantError(t, r, 403, 316, "")
				})
			}
		}
		for _, e := range endpoints(tuid, "other stack") {
			if e.name == "create" || e.name == "list" {
				continue
			}
			t.Run("another stack's owner on that stack "+e.name+" is told the token does not exist", func(t *testing.T) {
				h := map[string]string{"api_key": f.other.APIKey, "authtoken": f.tokens[Outsider]}
				wantError(t, f.do(req{method: e.method, path: e.path, headers: h, body: e.body}), 422, 141, "uid")
			})
		}
		t.Run("the refused requests changed nothing", func(t *testing.T) {
			r := mustDo(t, f, f.as(Owner), "GET", managementTokensPath+"?include_count=true", nil, 200)
			items := jlist(t, r.body["tokens"])
			if len(items) != 1 || !reflect.DeepEqual(items[0], any(withoutKeys(target, "token"))) {
				t.Fatalf("%s", r.raw)
			}
			mustDo(t, f, f.withToken(secret), "GET", "/v3/roles", nil, 200)
		})
		for _, who := range []cred{Owner, Admin} {
			var uid string
			for _, e := range endpoints("{uid}", who.String()+" token") {
				t.Run(who.String()+" "+e.name, func(t *testing.T) {
					r := f.do(req{method: e.method, path: strings.Replace(e.path, "{uid}", uid, 1), headers: f.as(who), body: e.body})
					if r.status != e.ok {
						t.Fatalf("status %d, want %d: %s", r.status, e.ok, r.raw)
					}
					if e.name == "create" {
						uid = jobj(t, r.body["token"])["uid"].(string)
					}
				})
			}
		}
	})
}

// TestManagementTokenValidation: every validation rule answers 422 / 141
// with its field.
func TestManagementTokenValidation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		mustDo(t, f, f.as(Owner), "PUT", "/v3/stacks/branch_aliases/deploy", map[string]any{"branch_alias": map[string]any{"target_branch": "main"}}, 200)
		const createFailed = "Management Token creation failed. Please try again."
		yesterday := time.Now().UTC().AddDate(0, 0, -1).Format("2006-01-02")
		var uid string
		post := func(name string, body any, status int, field string) scenario {
			sc := scenario{name: name, method: "POST", path: managementTokensPath, who: Owner, body: body, status: status, field: field}
			switch {
			case status == 400:
				sc.code = 400
			case status == 422:
				sc.code = 141
				sc.bodyCheck = func(t *testing.T, f *fixture, r reply) {
					if r.body["error_message"] != createFailed {
						t.Fatalf("error_message %v", r.body["error_message"])
					}
				}
			}
			return sc
		}
		postKey := func(name string, body any, part string) scenario {
			sc := post(name, body, 422, "")
			sc.bodyCheck = func(t *testing.T, f *fixture, r reply) { wantErrorKeyContaining(t, r, 422, 141, part) }
			return sc
		}
		all := allOnMain(readWriteACL())
		runScenarios(t, f, []scenario{
			{name: "create a valid token", method: "POST", path: managementTokensPath, who: Owner, body: mgmtTokenBody("ci", all, nil), status: 201,
				bodyCheck: func(t *testing.T, f *fixture, r reply) { uid = jobj(t, r.body["token"])["uid"].(string) }},
			post("name of 255 characters", mgmtTokenBody(strings.Repeat("n", 255), all, nil), 201, ""),
			post("a branch alias alone is a branch scope", mgmtTokenBody("alias", []any{mgmtModule("$all", readACL()), scopeAlias("deploy")}, nil), 201, ""),
			post("name missing", map[string]any{"token": map[string]any{"scope": all}}, 422, "name"),
			post("name empty", mgmtTokenBody("", all, nil), 422, "name"),
			post("name blank", mgmtTokenBody("  ", all, nil), 422, "name"),
			post("name of 256 characters", mgmtTokenBody(strings.Repeat("n", 256), all, nil), 422, "name"),
			post("name duplicate", mgmtTokenBody("ci", all, nil), 422, "name"),
			post("scope missing", map[string]any{"token": map[string]any{"name": "s"}}, 422, "scope"),
			post("scope null", mgmtTokenBody("s", nil, nil), 422, "scope"),
			post("scope empty", mgmtTokenBody("s", []any{}, nil), 422, "scope"),
			post("scope not a list", map[string]any{"token": map[string]any{"name": "s", "scope": "all"}}, 422, "scope"),
			post("no branch or alias entry", mgmtTokenBody("s", []any{mgmtModule("$all", readWriteACL())}, nil), 422, "scope.branch_or_alias"),
			post("unknown branch", mgmtTokenBody("s", []any{mgmtModule("$all", readACL()), scopeBranch("nope")}, nil), 422, "scope.branches"),
			post("unknown alias", mgmtTokenBody("s", []any{mgmtModule("$all", readACL()), scopeAlias("nope")}, nil), 422, "scope.branch_aliases"),
			postKey("unknown module", mgmtTokenBody("s", []any{mgmtModule("spaceship", readACL()), scopeBranch("main")}, nil), "module"),
			postKey("module delivery_token", mgmtTokenBody("s", []any{mgmtModule("delivery_token", readACL()), scopeBranch("main")}, nil), "module"),
			postKey("module management_token", mgmtTokenBody("s", []any{mgmtModule("management_token", readACL()), scopeBranch("main")}, nil), "module"),
			postKey("module missing", mgmtTokenBody("s", []any{map[string]any{"acl": readACL()}, scopeBranch("main")}, nil), "module"),
			postKey("acl true", mgmtTokenBody("s", []any{map[string]any{"module": "entry", "acl": true}, scopeBranch("main")}, nil), "acl"),
			postKey("acl flag not a boolean", mgmtTokenBody("s", []any{mgmtModule("entry", map[string]any{"read": "yes"}), scopeBranch("main")}, nil), "acl"),
			post(`acl {"read":"true"} is accepted`, `{"token":{"name":"strings","scope":[{"module":"entry","acl":{"read":"true","write":"false"}},{"module":"branch","branches":["main"],"acl":{"read":"true"}}]}}`, 201, ""),
			post("expires_on in the past", mgmtTokenBody("s", all, map[string]any{"expires_on": "2020-01-01"}), 422, "expires_on"),
			post("expires_on yesterday", mgmtTokenBody("s", all, map[string]any{"expires_on": yesterday}), 422, "expires_on"),
			post("expires_on today (UTC) is accepted", mgmtTokenBody("today", all, map[string]any{"expires_on": time.Now().UTC().Format("2006-01-02")}), 201, ""),
			post("expires_on an ISO time earlier today (UTC) is accepted", mgmtTokenBody("today iso", all, map[string]any{"expires_on": midnightUTC(time.Now()).Format(time.RFC3339)}), 201, ""),
			post("expires_on an ISO time in the past", mgmtTokenBody("s", all, map[string]any{"expires_on": "2020-01-01T10:00:00.000Z"}), 422, "expires_on"),
			post("expires_on not a date", mgmtTokenBody("s", all, map[string]any{"expires_on": "soon"}), 422, "expires_on"),
			post("expires_on day-month-year", mgmtTokenBody("s", all, map[string]any{"expires_on": "31/12/2099"}), 422, "expires_on"),
			post("expires_on month 13", mgmtTokenBody("s", all, map[string]any{"expires_on": "2099-13-01"}), 422, "expires_on"),
			post("expires_on February 30", mgmtTokenBody("s", all, map[string]any{"expires_on": "2099-02-30"}), 422, "expires_on"),
			post("expires_on a number", mgmtTokenBody("s", all, map[string]any{"expires_on": 20991231}), 422, "expires_on"),
			post("expires_on a boolean", mgmtTokenBody("s", all, map[string]any{"expires_on": true}), 422, "expires_on"),
			post("token missing", map[string]any{"name": "s", "scope": all}, 422, "token"),
			post("malformed JSON", `{"token":{`, 400, ""),
			post("name not a string", map[string]any{"token": map[string]any{"name": []string{"a"}, "scope": all}}, 400, ""),
		})
		const updateFailed = "Management Token update failed. Please try again."
		put := func(name string, body any, field string) scenario {
			return scenario{name: "update: " + name, method: "PUT", path: managementTokensPath + "/" + uid, who: Owner, body: body, status: 422, code: 141, field: field,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if field != "uid" && r.body["error_message"] != updateFailed {
						t.Fatalf("error_message %v", r.body["error_message"])
					}
				}}
		}
		runScenarios(t, f, []scenario{
			put("name empty", map[string]any{"token": map[string]any{"name": ""}}, "name"),
			put("name taken", map[string]any{"token": map[string]any{"name": "alias"}}, "name"),
			put("scope null", map[string]any{"token": map[string]any{"scope": nil}}, "scope"),
			put("no branch entry", map[string]any{"token": map[string]any{"scope": []any{mgmtModule("$all", readACL())}}}, "scope.branch_or_alias"),
			put("unknown branch", map[string]any{"token": map[string]any{"scope": []any{mgmtModule("$all", readACL()), scopeBranch("nope")}}}, "scope.branches"),
			put("expires_on in the past", map[string]any{"token": map[string]any{"expires_on": "2020-01-01"}}, "expires_on"),
			put("expires_on not a date", map[string]any{"token": map[string]any{"expires_on": "tomorrow"}}, "expires_on"),
			{name: "update: unknown uid", method: "PUT", path: managementTokensPath + "/bltdoesnotexist0", who: Owner, body: mgmtTokenBody("x", all, nil), status: 422, code: 141, field: "uid"},
			{name: "the refused updates changed nothing", method: "GET", path: managementTokensPath + "/" + uid, who: Owner, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					got := jobj(t, r.body["token"])
					if got["name"] != "ci" || got["expires_on"] != nil || got["created_at"] != got["updated_at"] || len(jlist(t, got["scope"])) != 2 {
						t.Fatalf("%s", r.raw)
					}
				}},
			{name: "nothing was created by the refused creates", method: "GET", path: managementTokensPath + "?include_count=true", who: Owner, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if r.body["count"] != float64(6) { // 4, and the two accepted "today" creates
						t.Fatalf("%s", r.raw)
					}
				}},
		})
	})
}

// TestManagementTokenLimitConfig: at most ManagementTokenLimit tokens per
// stack (10 by default), refused with errors.token.
func TestManagementTokenLimitConfig(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   service.Config
		limit int
	}{
		{"default 10", service.Config{}, 10},
		{"configured 3", service.Config{ManagementTokenLimit: 3}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, open testdb.Opener) {
				f := newFixtureWith(t, open, tc.cfg)
				var first map[string]any
				for i := range tc.limit {
					tok := createMgmt(t, f, mgmtTokenBody(fmt.Sprint("t", i), allOnMain(readACL()), nil))
					if i == 0 {
						first = tok
					}
				}
				r := f.do(req{method: "POST", path: managementTokensPath, headers: f.as(Admin), body: mgmtTokenBody("one too many", allOnMain(readACL()), nil)})
				wantError(t, r, 422, 141, "token")
				want := []any{fmt.Sprintf("limit of %d management tokens reached.", tc.limit)}
				if got := jobj(t, r.body["errors"])["token"]; !reflect.DeepEqual(got, any(want)) {
					t.Fatalf("errors.token = %v, want %v", got, want)
				}
				if list := mustDo(t, f, f.as(Owner), "GET", managementTokensPath+"?include_count=true", nil, 200); list.body["count"] != float64(tc.limit) {
					t.Fatalf("count %v", list.body["count"])
				}
				// the oldest token still works: the limit never expires one silently
				mustDo(t, f, f.withToken(first["token"].(string)), "GET", "/v3/environments", nil, 200)
				// another stack has its own allowance
				mustDo(t, f, map[string]string{"api_key": f.other.APIKey, "authtoken": f.tokens[Outsider]}, "POST", managementTokensPath, mgmtTokenBody("other", allOnMain(readACL()), nil), 201)
				// deleting one makes room
				mustDo(t, f, f.as(Owner), "DELETE", managementTokensPath+"/"+first["uid"].(string), nil, 200)
				createMgmt(t, f, mgmtTokenBody("one too many", allOnMain(readACL()), nil))
			})
		})
	}
}

// probe is a request on one module that a token's scope must allow or refuse.
type probe struct {
	module string
	write  bool
}

// request builds the probe's request; n makes created names unique.
func (p probe) request(n int) (method, path string, body any) {
	if !p.write {
		switch p.module {
		case "environment":
			return "GET", "/v3/environments", nil
		case "locale":
			return "GET", "/v3/locales", nil
		case "branch":
			return "GET", "/v3/stacks/branches", nil
		case "role":
			return "GET", "/v3/roles", nil
		}
	}
	switch p.module {
	case "environment":
		return "POST", "/v3/environments", envBody(fmt.Sprint("env", n))
	case "locale":
		return "POST", "/v3/locales", map[string]any{"locale": map[string]any{"code": fmt.Sprint("l", n), "name": "L"}}
	case "branch":
		return "POST", "/v3/stacks/branches", map[string]any{"branch": map[string]any{"uid": fmt.Sprint("b", n), "source": "main"}}
	case "role":
		return "POST", "/v3/roles", map[string]any{"role": map[string]any{"name": fmt.Sprint("role ", n), "rules": []any{scopeBranch("main")}}}
	}
	panic("unknown module " + p.module)
}

// TestManagementTokenMatrix is the enforcement matrix through the real
// router: granted module (environment, locale, branch, role, or $all) ×
// acl read or read/write × requested module × read or write × branch
// header in or out of the token's scope (main only; aliases count for their
// branch). Allowed reads answer 200 and allowed writes 201; everything else
// is 403 / 316.
//
// Every token also carries the branch entry {"module":"branch",
// "branches":["main"],"acl":{"read":true}} that names its branches, so
// every token may read the branch module on main.
func TestManagementTokenMatrix(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		owner := f.as(Owner)
		mustDo(t, f, owner, "POST", "/v3/stacks/branches", map[string]any{"branch": map[string]any{"uid": "development", "source": "main"}}, 201)
		mustDo(t, f, owner, "PUT", "/v3/stacks/branch_aliases/deploy", map[string]any{"branch_alias": map[string]any{"target_branch": "main"}}, 200)
		mustDo(t, f, owner, "PUT", "/v3/stacks/branch_aliases/devalias", map[string]any{"branch_alias": map[string]any{"target_branch": "development"}}, 200)

		type grant struct {
			module string
			write  bool
		}
		var grants []grant
		secrets := map[grant]string{}
		for _, m := range []string{"environment", "locale", "branch", "role", "$all"} {
			for _, w := range []bool{false, true} {
				g := grant{m, w}
				acl := readACL()
				if w {
					acl = readWriteACL()
				}
				scope := []any{mgmtModule(m, acl), scopeBranch("main")}
				if m == "branch" { // the branch entry is both the grant and the branch scope
					scope = []any{map[string]any{"module": "branch", "branches": []string{"main"}, "acl": acl}}
				}
				secrets[g] = createMgmt(t, f, mgmtTokenBody(fmt.Sprintf("%s %v", m, w), scope, nil))["token"].(string)
				grants = append(grants, g)
			}
		}
		branches := []struct {
			header  string
			inScope bool
		}{{"", true}, {"main", true}, {"deploy", true}, {"development", false}, {"devalias", false}}
		n, allowedN, deniedN := 0, 0, 0
		for _, g := range grants {
			for _, target := range []string{"environment", "locale", "branch", "role"} {
				for _, write := range []bool{false, true} {
					for _, b := range branches {
						n++
						p := probe{target, write}
						granted := g.module == "$all" || g.module == target || target == "branch" && !write
						// Environments, locales and roles are stack-wide: the
						// branch header does not limit them (authz.StackWide).
						stackWide := target != "branch"
						allowed := (b.inScope || stackWide) && granted && (!write || g.write)
						name := fmt.Sprintf("grant %s write=%v / %s write=%v / branch %q", g.module, g.write, target, write, b.header)
						t.Run(name, func(t *testing.T) {
							method, path, body := p.request(n)
							h := f.withToken(secrets[g])
							if b.header != "" {
								h["branch"] = b.header
							}
							r := f.do(req{method: method, path: path, headers: h, body: body})
							switch {
							case allowed && write:
								if r.status != 201 {
									t.Fatalf("status %d, want 201: %s", r.status, r.raw)
								}
							case allowed:
								if r.status != 200 {
									t.Fatalf("status %d, want 200: %s", r.status, r.raw)
								}
							case !b.inScope && !stackWide:
								wantError(t, r, 403, 901, "")
							default:
								wantError(t, r, 403, 316, "")
							}
						})
						if allowed {
							allowedN++
						} else {
							deniedN++
						}
					}
				}
			}
		}
		if allowedN == 0 || deniedN == 0 || n != 400 {
			t.Fatalf("matrix of %d cases: %d allowed, %d denied", n, allowedN, deniedN)
		}
	})
}

// TestManagementTokenCredentialStates: expired, deleted, other-stack and
// malformed management tokens authenticate nothing (401 / 105), whatever
// their scope.
func TestManagementTokenCredentialStates(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		realNow := f.svc.Now
		t.Cleanup(func() { f.svc.Now = realNow })
		expiry := midnightUTC(time.Now()).AddDate(0, 0, 2)
		end := expiry.AddDate(0, 0, 1) // works through its whole UTC date
		expiring := createMgmt(t, f, mgmtTokenBody("expiring", allOnMain(readWriteACL()), map[string]any{"expires_on": expiry.Format("2006-01-02")}))
		isoExpiring := createMgmt(t, f, mgmtTokenBody("iso expiring", allOnMain(readWriteACL()), map[string]any{"expires_on": expiry.Add(13 * time.Hour).Format("2006-01-02T15:04:05.000Z")}))
		if expiring["expires_on"] != expiry.Format("2006-01-02") || isoExpiring["expires_on"] != expiry.Format("2006-01-02") {
			t.Fatalf("expires_on %v / %v, want %s", expiring["expires_on"], isoExpiring["expires_on"], expiry.Format("2006-01-02"))
		}
		deleted := createMgmt(t, f, mgmtTokenBody("deleted", allOnMain(readWriteACL()), nil))
		valid := createMgmt(t, f, mgmtTokenBody("valid", allOnMain(readWriteACL()), nil))
		otherStack := map[string]string{"api_key": f.other.APIKey, "authtoken": f.tokens[Outsider]}
		foreign := jobj(t, mustDo(t, f, otherStack, "POST", managementTokensPath, mgmtTokenBody("foreign", allOnMain(readWriteACL()), nil), 201).body["token"])["token"].(string)
		mustDo(t, f, f.withToken(deleted["token"].(string)), "GET", "/v3/environments", nil, 200) // warm the cache
		mustDo(t, f, f.as(Owner), "DELETE", managementTokensPath+"/"+deleted["uid"].(string), nil, 200)

		at := func(d time.Time) func() { return func() { f.svc.Now = func() time.Time { return d } } }
		states := []struct {
			name    string
			setup   func()
			headers map[string]string
			status  int
		}{
			{"valid", nil, f.withToken(valid["token"].(string)), 0},
			{"expiring, at 00:00 UTC of expires_on", at(expiry), f.withToken(expiring["token"].(string)), 0},
			{"expiring, at 23:59:59 UTC of expires_on", at(expiry.Add(24*time.Hour - time.Second)), f.withToken(expiring["token"].(string)), 0},
			{"expiring, a millisecond before the next day", at(end.Add(-time.Millisecond)), f.withToken(expiring["token"].(string)), 0},
			{"expiring (ISO input), a millisecond before the next day", at(end.Add(-time.Millisecond)), f.withToken(isoExpiring["token"].(string)), 0},
			{"expired at 00:00 UTC of the day after expires_on", at(end), f.withToken(expiring["token"].(string)), 401},
			{"expired (ISO input) at 00:00 UTC of the day after expires_on", at(end), f.withToken(isoExpiring["token"].(string)), 401},
			{"expired a day later", at(end.AddDate(0, 0, 1)), f.withToken(expiring["token"].(string)), 401},
			{"a never-expiring token years later", at(expiry.AddDate(20, 0, 0)), f.withToken(valid["token"].(string)), 0},
			{"expiring, back before its expiry", func() { f.svc.Now = realNow }, f.withToken(expiring["token"].(string)), 0},
			{"deleted", nil, f.withToken(deleted["token"].(string)), 401},
			{"another stack's token on this stack", nil, f.withToken(foreign), 401},
			{"this stack's token with another stack's api_key", nil, map[string]string{"api_key": f.other.APIKey, "authorization": valid["token"].(string)}, 401},
			{"another stack's token on its own stack", nil, map[string]string{"api_key": f.other.APIKey, "authorization": foreign}, 0},
			{"Bearer prefix: an OAuth token, and no such one", nil, f.withToken("Bearer " + valid["token"].(string)), 401},
			{"upper-case token", nil, f.withToken(strings.ToUpper(valid["token"].(string))), 401},
			{"both an authtoken and a token", nil, map[string]string{"api_key": f.stack.APIKey, "authorization": valid["token"].(string), "authtoken": f.tokens[Owner]}, 401},
		}
		n := 0
		for _, s := range states {
			if s.setup != nil {
				s.setup()
			}
			for _, target := range []string{"environment", "locale", "branch", "role"} {
				for _, write := range []bool{false, true} {
					n++
					p := probe{target, write}
					t.Run(fmt.Sprintf("%s / %s write=%v", s.name, target, write), func(t *testing.T) {
						method, path, body := p.request(n)
						r := f.do(req{method: method, path: path, headers: s.headers, body: body})
						want := s.status
						if s.name == "both an authtoken and a token" && target == "role" && write {
							// Role create and update take both when they speak for
							// one user (the owner made this token): access.AuthenticateBoth.
							want = 0
						}
						if want == 0 {
							want = 200
							if write {
								want = 201
							}
						}
						if want == 401 {
							wantError(t, r, 401, 105, "")
							return
						}
						if r.status != want {
							t.Fatalf("status %d, want %d: %s", r.status, want, r.raw)
						}
					})
				}
			}
		}
	})
}

// TestManagementTokenRevocationIsImmediate: a token in use (cached) is
// refused on the very next request after it is deleted, narrowed or
// expired, and widened at once too.
func TestManagementTokenRevocationIsImmediate(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		owner := f.as(Owner)
		realNow := f.svc.Now
		t.Cleanup(func() { f.svc.Now = realNow })
		mustDo(t, f, owner, "POST", "/v3/stacks/branches", map[string]any{"branch": map[string]any{"uid": "development", "source": "main"}}, 201)
		warm := func(h map[string]string) {
			t.Helper()
			for i := 0; i < 3; i++ {
				mustDo(t, f, h, "GET", "/v3/environments", nil, 200)
			}
		}
		n := 0
		newEnv := func() any { n++; return envBody(fmt.Sprint("rev", n)) }

		t.Run("delete", func(t *testing.T) {
			tok := createMgmt(t, f, mgmtTokenBody("deleted", allOnMain(readWriteACL()), nil))
			h := f.withToken(tok["token"].(string))
			warm(h)
			mustDo(t, f, h, "POST", "/v3/environments", newEnv(), 201)
			mustDo(t, f, owner, "DELETE", managementTokensPath+"/"+tok["uid"].(string), nil, 200)
			wantError(t, f.do(req{method: "GET", path: "/v3/environments", headers: h}), 401, 105, "authorization")
		})
		t.Run("narrowing the modules", func(t *testing.T) {
			tok := createMgmt(t, f, mgmtTokenBody("narrowed", allOnMain(readWriteACL()), nil))
			h := f.withToken(tok["token"].(string))
			warm(h)
			mustDo(t, f, h, "POST", "/v3/environments", newEnv(), 201)
			mustDo(t, f, h, "GET", "/v3/locales", nil, 200)
			mustDo(t, f, owner, "PUT", managementTokensPath+"/"+tok["uid"].(string), map[string]any{"token": map[string]any{
				"scope": []any{mgmtModule("environment", readACL()), scopeBranch("main")}}}, 200)
			wantError(t, f.do(req{method: "POST", path: "/v3/environments", headers: h, body: newEnv()}), 403, 316, "")
			wantError(t, f.do(req{method: "GET", path: "/v3/locales", headers: h}), 403, 316, "")
			mustDo(t, f, h, "GET", "/v3/environments", nil, 200)
			// and widening takes effect at once too
			mustDo(t, f, owner, "PUT", managementTokensPath+"/"+tok["uid"].(string), map[string]any{"token": map[string]any{
				"scope": []any{mgmtModule("environment", readWriteACL()), scopeBranch("main")}}}, 200)
			mustDo(t, f, h, "POST", "/v3/environments", newEnv(), 201)
		})
		t.Run("narrowing the branches", func(t *testing.T) {
			tok := createMgmt(t, f, mgmtTokenBody("branches", []any{mgmtModule("$all", readWriteACL()), scopeBranch("main", "development")}, nil))
			h := f.withToken(tok["token"].(string))
			dev := f.withToken(tok["token"].(string))
			dev["branch"] = "development"
			warm(dev)
			mustDo(t, f, owner, "PUT", managementTokensPath+"/"+tok["uid"].(string), map[string]any{"token": map[string]any{
				"scope": []any{mgmtModule("$all", readWriteACL()), scopeBranch("main")}}}, 200)
			wantError(t, f.do(req{method: "GET", path: "/v3/stacks/branches", headers: dev}), 403, 901, "")
			mustDo(t, f, h, "GET", "/v3/stacks/branches", nil, 200)
			mustDo(t, f, dev, "GET", "/v3/environments", nil, 200) // stack-wide: the branch header does not limit it
		})
		t.Run("an expiry set by update", func(t *testing.T) {
			tok := createMgmt(t, f, mgmtTokenBody("expiry by update", allOnMain(readWriteACL()), nil))
			h := f.withToken(tok["token"].(string))
			warm(h)
			tomorrow := midnightUTC(time.Now()).AddDate(0, 0, 1)
			mustDo(t, f, owner, "PUT", managementTokensPath+"/"+tok["uid"].(string), map[string]any{"token": map[string]any{"expires_on": tomorrow.Format("2006-01-02")}}, 200)
			mustDo(t, f, h, "GET", "/v3/environments", nil, 200)
			f.svc.Now = func() time.Time { return tomorrow.Add(24*time.Hour - time.Millisecond) }
			mustDo(t, f, h, "GET", "/v3/environments", nil, 200) // through the whole of its date
			f.svc.Now = func() time.Time { return tomorrow.AddDate(0, 0, 1) }
			wantError(t, f.do(req{method: "GET", path: "/v3/environments", headers: h}), 401, 105, "authorization")
			f.svc.Now = realNow
			mustDo(t, f, h, "GET", "/v3/environments", nil, 200)
		})
	})
}
