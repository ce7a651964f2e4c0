package http_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stackgate/stackgate/internal/testdb"
)

func mtBody(name string, scope []any, extra map[string]any) map[string]any {
	tok := map[string]any{"name": name, "description": "d", "scope": scope}
	for k, v := range extra {
		tok[k] = v
	}
	return map[string]any{"token": tok}
}

func mtScope(module string, acl map[string]any, branches ...string) []any {
	if len(branches) == 0 {
		branches = []string{"main"}
	}
	return []any{map[string]any{"module": module, "acl": acl},
		map[string]any{"module": "branch", "branches": branches, "acl": map[string]any{"read": true}}}
}

var rw = map[string]any{"read": true, "write": true}

// TestManagementTokenScenarios covers the five endpoints, validation and who
// may call them, on both stores.
func TestManagementTokenScenarios(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		var uid, secret string
		future := time.Now().AddDate(0, 1, 0)
		runScenarios(t, f, []scenario{
			{name: "create", method: "POST", path: "/v3/stacks/management_tokens", who: Admin,
				body: mtBody("ci", mtScope("$all", rw), map[string]any{"expires_on": future.Format(time.RFC3339), "is_email_notification_enabled": true}), status: 201,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					tok := r.body["token"].(map[string]any)
					uid, secret = tok["uid"].(string), tok["token"].(string)
					if r.body["notice"] != "Management Token created successfully." || len(secret) != 26 || tok["expires_on"] != future.UTC().Format("2006-01-02") ||
						tok["is_email_notification_enabled"] != true || tok["type"] != nil {
						t.Fatalf("%s", r.raw)
					}
				}},
			{name: "create with a date", method: "POST", path: "/v3/stacks/management_tokens", who: Owner, body: mtBody("dated", mtScope("role", rw), map[string]any{"expires_on": future.Format("2006-01-02")}), status: 201},
			{name: "developer refused", method: "POST", path: "/v3/stacks/management_tokens", who: Developer, body: mtBody("dev", mtScope("$all", rw), nil), status: 403, code: 316},
			{name: "developer cannot list", method: "GET", path: "/v3/stacks/management_tokens", who: Developer, status: 403, code: 316},
			{name: "content manager refused", method: "GET", path: "/v3/stacks/management_tokens", who: ContentManager, status: 403, code: 316},
			{name: "name missing", method: "POST", path: "/v3/stacks/management_tokens", who: Owner, body: map[string]any{"token": map[string]any{"scope": mtScope("$all", rw)}}, status: 422, code: 141, field: "name"},
			{name: "name duplicate", method: "POST", path: "/v3/stacks/management_tokens", who: Owner, body: mtBody("ci", mtScope("$all", rw), nil), status: 422, code: 141, field: "name"},
			{name: "scope missing", method: "POST", path: "/v3/stacks/management_tokens", who: Owner, body: map[string]any{"token": map[string]any{"name": "s"}}, status: 422, code: 141, field: "scope"},
			{name: "no branch entry", method: "POST", path: "/v3/stacks/management_tokens", who: Owner, body: mtBody("s", mtScope("$all", rw)[:1], nil), status: 422, code: 141, field: "scope.branch_or_alias"},
			{name: "unknown branch", method: "POST", path: "/v3/stacks/management_tokens", who: Owner, body: mtBody("s", mtScope("$all", rw, "nope"), nil), status: 422, code: 141, field: "scope.branches"},
			{name: "unknown module", method: "POST", path: "/v3/stacks/management_tokens", who: Owner, body: mtBody("s", mtScope("spaceships", rw), nil), status: 422, code: 141, field: "scope.0.module"},
			{name: "acl not booleans", method: "POST", path: "/v3/stacks/management_tokens", who: Owner, body: mtBody("s", mtScope("entry", map[string]any{"read": "yes"}), nil), status: 422, code: 141, field: "scope.0.acl"},
			{name: "expiry in the past", method: "POST", path: "/v3/stacks/management_tokens", who: Owner, body: mtBody("s", mtScope("$all", rw), map[string]any{"expires_on": "2020-01-01"}), status: 422, code: 141, field: "expires_on"},
			{name: "expiry not a date", method: "POST", path: "/v3/stacks/management_tokens", who: Owner, body: mtBody("s", mtScope("$all", rw), map[string]any{"expires_on": "soon"}), status: 422, code: 141, field: "expires_on"},
			{name: "list never shows the secret", method: "GET", path: "/v3/stacks/management_tokens", who: Owner, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if strings.Contains(string(r.raw), secret) || len(r.body["tokens"].([]any)) != 2 {
						t.Fatalf("%s", r.raw)
					}
					for _, tok := range r.body["tokens"].([]any) {
						if _, has := tok.(map[string]any)["token"]; has {
							t.Fatal("a listed token has a token field")
						}
					}
				}},
		})
		runScenarios(t, f, []scenario{
			{name: "get never shows the secret", method: "GET", path: "/v3/stacks/management_tokens/" + uid, who: Admin, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if _, has := r.body["token"].(map[string]any)["token"]; has || strings.Contains(string(r.raw), secret) {
						t.Fatalf("%s", r.raw)
					}
				}},
			{name: "a management token cannot manage management tokens", method: "GET", path: "/v3/stacks/management_tokens", headers: f.withToken(secret), status: 403, code: 316},
			{name: "update", method: "PUT", path: "/v3/stacks/management_tokens/" + uid, who: Owner,
				body: mtBody("ci 2", mtScope("$all", rw), map[string]any{"token": "csforged", "uid": "bltforged"}), status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					tok := r.body["token"].(map[string]any)
					if r.body["notice"] != "Management Token updated successfully." || tok["name"] != "ci 2" || tok["uid"] != uid || tok["token"] != nil {
						t.Fatalf("%s", r.raw)
					}
				}},
			{name: "the secret still works after update", method: "GET", path: "/v3/roles", headers: f.withToken(secret), status: 200},
			{name: "update unknown", method: "PUT", path: "/v3/stacks/management_tokens/bltnope", who: Owner, body: mtBody("x", mtScope("$all", rw), nil), status: 422, code: 141},
			{name: "delete", method: "DELETE", path: "/v3/stacks/management_tokens/" + uid, who: Admin, status: 200},
			{name: "deleted: refused at once", method: "GET", path: "/v3/roles", headers: f.withToken(secret), status: 401, code: 105, field: "authorization"},
		})
	})
}

// TestManagementTokenLimit: at most ManagementTokenLimit per stack, refused
// beyond, never a silent expiry of an older one.
func TestManagementTokenLimit(t *testing.T) {
	f := newFixture(t, testdb.SQLite)
	limited := newFixtureWithLimits(t, f, 100, 2)
	var first string
	for i, want := range []int{201, 201, 422} {
		r := limited.do(req{method: "POST", path: "/v3/stacks/management_tokens", headers: f.as(Owner), body: mtBody(fmt.Sprint(i), mtScope("$all", rw), nil)})
		if r.status != want {
			t.Fatalf("token %d: %d %s", i, r.status, r.raw)
		}
		if i == 0 {
			first = r.body["token"].(map[string]any)["token"].(string)
		}
	}
	if r := limited.do(req{method: "GET", path: "/v3/roles", headers: f.withToken(first)}); r.status != 200 {
		t.Fatalf("the oldest token stopped working: %d", r.status)
	}
}

// TestManagementTokenEnforcement is the enforcement matrix through the real
// router: module × read/write × $all or the module × branch in or out of
// scope, then expired, deleted and other-stack tokens.
func TestManagementTokenEnforcement(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		if r := f.do(req{method: "POST", path: "/v3/stacks/branches", headers: f.as(Owner), body: map[string]any{"branch": map[string]string{"uid": "development"}}}); r.status != 201 {
			t.Fatalf("branch: %d", r.status)
		}
		type probe struct {
			module      string
			read, write req
		}
		probes := []probe{
			{"environment", req{method: "GET", path: "/v3/environments"}, req{method: "POST", path: "/v3/environments", body: envBody("e")}},
			{"locale", req{method: "GET", path: "/v3/locales"}, req{method: "POST", path: "/v3/locales", body: map[string]any{"locale": map[string]any{"code": "xx"}}}},
			{"branch", req{method: "GET", path: "/v3/stacks/branches"}, req{method: "DELETE", path: "/v3/stacks/branches/nope"}},
			{"role", req{method: "GET", path: "/v3/roles"}, req{method: "POST", path: "/v3/roles", body: map[string]any{"role": map[string]any{}}}},
		}
		n := 0
		for _, p := range probes {
			for _, grant := range []string{"module", "$all"} {
				for _, acl := range []map[string]any{{"read": true}, {"read": true, "write": true}} {
					for _, branch := range []string{"main", "development"} {
						module := p.module
						if grant == "$all" {
							module = "$all"
						}
						scope := []any{map[string]any{"module": module, "acl": acl},
							map[string]any{"module": "branch", "branches": []string{"main"}, "acl": acl}}
						if module == "branch" { // the branch entry is both the scope and the grant
							scope = scope[1:]
						}
						n++
						name := fmt.Sprintf("t%d", n)
						r := f.do(req{method: "POST", path: "/v3/stacks/management_tokens", headers: f.as(Owner), body: mtBody(name, scope, nil)})
						if r.status != 201 {
							t.Fatalf("create %s: %d %s", name, r.status, r.raw)
						}
						tok := r.body["token"].(map[string]any)
						h := f.withToken(tok["token"].(string))
						if branch != "main" {
							h["branch"] = branch
						}
						for _, write := range []bool{false, true} {
							rq := p.read
							if write {
								rq = p.write
							}
							rq.headers = h
							got := f.do(rq)
							// Environments, locales and roles are stack-wide: the
							// branch header does not limit them (authz.StackWide).
							stackWide := p.module != "branch"
							allowed := (branch == "main" || stackWide) && (!write || acl["write"] == true)
							t.Run(fmt.Sprintf("%s via %s %v on %s write=%v", p.module, grant, acl, branch, write), func(t *testing.T) {
								switch {
								case allowed && (got.status == 401 || got.status == 403):
									t.Fatalf("refused: %d %s", got.status, got.raw)
								case !allowed && branch != "main" && !stackWide:
									wantError(t, got, 403, 901, "")
								case !allowed:
									wantError(t, got, 403, 316, "")
								}
							})
						}
						// Tokens are limited to 10 per stack: delete as we go.
						f.do(req{method: "DELETE", path: "/v3/stacks/management_tokens/" + tok["uid"].(string), headers: f.as(Owner)})
					}
				}
			}
		}

		// expired, deleted, other stack
		r := f.do(req{method: "POST", path: "/v3/stacks/management_tokens", headers: f.as(Owner),
			body: mtBody("expiring", mtScope("$all", rw), map[string]any{"expires_on": time.Now().AddDate(0, 0, 2).Format("2006-01-02")})})
		secret := r.body["token"].(map[string]any)["token"].(string)
		if got := f.do(req{method: "GET", path: "/v3/roles", headers: f.withToken(secret)}); got.status != 200 {
			t.Fatalf("before expiry: %d", got.status)
		}
		realNow := f.svc.Now
		f.svc.Now = func() time.Time { return realNow().AddDate(0, 0, 3) }
		wantError(t, f.do(req{method: "GET", path: "/v3/roles", headers: f.withToken(secret)}), 401, 105, "authorization")
		f.svc.Now = realNow
		other := f.do(req{method: "GET", path: "/v3/roles", headers: map[string]string{"api_key": f.other.APIKey, "authorization": secret}})
		wantError(t, other, 401, 105, "authorization")
	})
}

// TestRevocationIsImmediate: a cached token is refused on the very next
// request after DELETE, and after an update that narrows its scope.
func TestRevocationIsImmediate(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		r := f.do(req{method: "POST", path: "/v3/stacks/management_tokens", headers: f.as(Owner), body: mtBody("r", mtScope("$all", rw), nil)})
		tok := r.body["token"].(map[string]any)
		secret, uid := tok["token"].(string), tok["uid"].(string)
		for i := 0; i < 3; i++ { // warm the cache
			if got := f.do(req{method: "POST", path: "/v3/environments", headers: f.withToken(secret), body: envBody(fmt.Sprint("e", i))}); got.status != 201 {
				t.Fatalf("before: %d %s", got.status, got.raw)
			}
		}
		narrow := f.do(req{method: "PUT", path: "/v3/stacks/management_tokens/" + uid, headers: f.as(Owner), body: mtBody("r", mtScope("environment", map[string]any{"read": true}), nil)})
		if narrow.status != 200 {
			t.Fatalf("narrow: %d", narrow.status)
		}
		wantError(t, f.do(req{method: "POST", path: "/v3/environments", headers: f.withToken(secret), body: envBody("late")}), 403, 316, "")
		if got := f.do(req{method: "GET", path: "/v3/environments", headers: f.withToken(secret)}); got.status != 200 {
			t.Fatalf("read after narrowing: %d", got.status)
		}
		f.do(req{method: "DELETE", path: "/v3/stacks/management_tokens/" + uid, headers: f.as(Owner)})
		wantError(t, f.do(req{method: "GET", path: "/v3/environments", headers: f.withToken(secret)}), 401, 105, "authorization")

		// and a member whose role is taken away
		dev := f.users[Developer].UID
		if got := f.do(req{method: "POST", path: "/v3/stacks/users/roles", headers: f.as(Owner),
			body: map[string]any{"users": map[string][]string{dev: {f.roleUIDs["Content Manager"]}}}}); got.status != 200 {
			t.Fatalf("demote: %d %s", got.status, got.raw)
		}
		wantError(t, f.do(req{method: "POST", path: "/v3/environments", headers: f.as(Developer), body: envBody("x")}), 403, 316, "")
	})
}
