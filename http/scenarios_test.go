package http_test

import (
	"strings"
	"testing"

	"github.com/stackgate/stackgate/internal/testdb"
)

// scenario is one request through the real router and a real store, and
// what must come back. Scenarios of one table run in order on one fixture,
// so later rows may rely on what earlier rows created.
type scenario struct {
	name      string
	method    string
	path      string
	who       string            // owner, admin, developer, content_manager, outsider, none, both, bearer, bad, other-stack
	headers   map[string]string // added after who's headers
	body      any
	status    int
	code      int    // error_code when status >= 400
	field     string // a key errors must have
	bodyCheck func(t *testing.T, f *fixture, r reply)
}

func (f *fixture) headersFor(who string) map[string]string {
	switch who {
	case "none":
		return map[string]string{"api_key": f.stack.APIKey}
	case "nostack":
		return map[string]string{"authtoken": f.tokens["owner"]}
	case "badstack":
		return map[string]string{"api_key": "bltdoesnotexist00", "authtoken": f.tokens["owner"]}
	case "both":
		return map[string]string{"api_key": f.stack.APIKey, "authtoken": f.tokens["owner"], "authorization": "cs0123"}
	case "bearer":
		return map[string]string{"api_key": f.stack.APIKey, "authorization": "Bearer abc.def.ghi"}
	case "bad":
		return map[string]string{"api_key": f.stack.APIKey, "authtoken": "bltnotatoken"}
	case "badmgmt":
		return map[string]string{"api_key": f.stack.APIKey, "authorization": "cs000000000000000000000000"}
	case "outsider":
		// a valid authtoken of a user who is not a member of the stack
		return f.as("outsider")
	case "":
		return map[string]string{}
	}
	return f.as(who)
}

func runScenarios(t *testing.T, f *fixture, table []scenario) {
	t.Helper()
	for _, sc := range table {
		t.Run(sc.name, func(t *testing.T) {
			h := f.headersFor(sc.who)
			for k, v := range sc.headers {
				h[k] = v
			}
			got := f.do(req{method: sc.method, path: sc.path, headers: h, body: sc.body})
			if sc.status >= 400 {
				wantError(t, got, sc.status, sc.code, sc.field)
			} else if got.status != sc.status {
				t.Fatalf("status = %d, want %d; body %s", got.status, sc.status, got.raw)
			}
			if sc.bodyCheck != nil {
				sc.bodyCheck(t, f, got)
			}
		})
	}
}

func envBody(name string) map[string]any {
	return map[string]any{"environment": map[string]any{"name": name, "urls": []any{map[string]string{"url": "https://" + name + ".example.com", "locale": "en-us"}}}}
}

// TestFoundation covers login, the user, stacks, environments, locales,
// branches and aliases, and the bad inputs of the foundation issue, on both stores.
func TestFoundation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		long := strings.Repeat("x", 10000)
		table := []scenario{
			// login / user
			{name: "login ok", method: "POST", path: "/v3/user-session", who: "", body: map[string]any{"user": map[string]string{"email": "owner@example.com", "password": "owner-password"}}, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if r.body["notice"] != "Login Successful." {
						t.Fatalf("notice %v", r.body["notice"])
					}
					u := r.body["user"].(map[string]any)
					if tok, _ := u["authtoken"].(string); len(tok) < 20 || u["email"] != "owner@example.com" {
						t.Fatalf("user %v", u)
					}
				}},
			{name: "login wrong password", method: "POST", path: "/v3/user-session", who: "", body: map[string]any{"user": map[string]string{"email": "owner@example.com", "password": "nope"}}, status: 422, code: 104},
			{name: "login unknown email", method: "POST", path: "/v3/user-session", who: "", body: map[string]any{"user": map[string]string{"email": "ghost@example.com", "password": "nope"}}, status: 422, code: 104},
			{name: "login malformed json", method: "POST", path: "/v3/user-session", who: "", body: `{"user":`, status: 400, code: 400},
			{name: "login wrong type", method: "POST", path: "/v3/user-session", who: "", body: `{"user": []}`, status: 400, code: 400},
			{name: "login top-level array", method: "POST", path: "/v3/user-session", who: "", body: `[1,2]`, status: 400, code: 400},
			{name: "login empty body", method: "POST", path: "/v3/user-session", who: "", body: ``, status: 400, code: 400},
			{name: "get user", method: "GET", path: "/v3/user", who: "developer", status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if r.body["user"].(map[string]any)["email"] != "developer@example.com" {
						t.Fatalf("user %v", r.body)
					}
				}},
			{name: "get user bad token", method: "GET", path: "/v3/user", who: "bad", status: 401, code: 105, field: "authtoken"},

			// the stack and its credentials: api_key first, then the credential
			{name: "missing api_key", method: "GET", path: "/v3/environments", who: "nostack", status: 412, code: 109, field: "api_key"},
			{name: "unknown api_key", method: "GET", path: "/v3/environments", who: "badstack", status: 412, code: 109, field: "api_key"},
			{name: "no credential", method: "GET", path: "/v3/environments", who: "none", status: 401, code: 105},
			{name: "malformed authtoken", method: "GET", path: "/v3/environments", who: "bad", status: 401, code: 105, field: "authtoken"},
			{name: "both credentials", method: "GET", path: "/v3/environments", who: "both", status: 401, code: 105},
			{name: "bearer authorization", method: "GET", path: "/v3/environments", who: "bearer", status: 401, code: 105, field: "authorization"},
			{name: "unknown management token", method: "GET", path: "/v3/environments", who: "badmgmt", status: 401, code: 105, field: "authorization"},
			{name: "non-member authtoken", method: "GET", path: "/v3/environments", who: "outsider", status: 403, code: 316},
			{name: "get stack", method: "GET", path: "/v3/stacks", who: "content_manager", status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if r.body["stack"].(map[string]any)["api_key"] != f.stack.APIKey {
						t.Fatalf("stack %v", r.body)
					}
				}},
			{name: "stack settings", method: "GET", path: "/v3/stacks/settings", who: "developer", status: 200},

			// environments
			{name: "list environments", method: "GET", path: "/v3/environments", who: "content_manager", status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					envs := r.body["environments"].([]any)
					if len(envs) != 1 || envs[0].(map[string]any)["name"] != "production" {
						t.Fatalf("environments %v", envs)
					}
				}},
			{name: "create environment as developer", method: "POST", path: "/v3/environments", who: "developer", body: envBody("staging"), status: 201},
			{name: "create environment as content manager", method: "POST", path: "/v3/environments", who: "content_manager", body: envBody("qa"), status: 403, code: 316},
			{name: "create duplicate environment", method: "POST", path: "/v3/environments", who: "owner", body: envBody("staging"), status: 422, code: 141, field: "name"},
			{name: "create environment empty name", method: "POST", path: "/v3/environments", who: "owner", body: envBody("  "), status: 422, code: 141, field: "name"},
			{name: "create environment 10000-char name", method: "POST", path: "/v3/environments", who: "owner", body: envBody(long), status: 422, code: 141, field: "name"},
			{name: "create environment wrong type", method: "POST", path: "/v3/environments", who: "owner", body: `{"environment":{"name":42}}`, status: 400, code: 400},
			{name: "create environment unknown fields ignored", method: "POST", path: "/v3/environments", who: "owner", body: `{"environment":{"name":"dev","colour":"blue"},"extra":1}`, status: 201},
			{name: "get environment by name", method: "GET", path: "/v3/environments/staging", who: "content_manager", status: 200},
			{name: "get unknown environment", method: "GET", path: "/v3/environments/nope", who: "owner", status: 422, code: 141, field: "uid"},
			{name: "update environment", method: "PUT", path: "/v3/environments/dev", who: "admin", body: envBody("development"), status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if r.body["environment"].(map[string]any)["name"] != "development" {
						t.Fatalf("%v", r.body)
					}
				}},
			{name: "delete environment", method: "DELETE", path: "/v3/environments/development", who: "developer", status: 200},
			{name: "list with count and query", method: "GET", path: `/v3/environments?include_count=true&query={"name":{"$in":["staging"]}}`, who: "owner", status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if r.body["count"] != float64(1) || len(r.body["environments"].([]any)) != 1 {
						t.Fatalf("%v", r.body)
					}
				}},
			{name: "list with bad query", method: "GET", path: `/v3/environments?query={bad`, who: "owner", status: 400, code: 400, field: "query"},
			{name: "list with negative skip", method: "GET", path: `/v3/environments?skip=-1`, who: "owner", status: 400, code: 400},
			{name: "list with limit", method: "GET", path: `/v3/environments?limit=1&asc=name`, who: "owner", status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if envs := r.body["environments"].([]any); len(envs) != 1 || envs[0].(map[string]any)["name"] != "production" {
						t.Fatalf("%v", r.body)
					}
				}},

			// locales
			{name: "list master locale", method: "GET", path: `/v3/locales?query={"fallback_locale":null}`, who: "developer", status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					ls := r.body["locales"].([]any)
					if len(ls) != 1 || ls[0].(map[string]any)["code"] != "en-us" {
						t.Fatalf("%v", r.body)
					}
				}},
			{name: "create locale", method: "POST", path: "/v3/locales", who: "developer", body: map[string]any{"locale": map[string]any{"code": "fr-fr", "name": "French"}}, status: 201,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if r.body["locale"].(map[string]any)["fallback_locale"] != "en-us" {
						t.Fatalf("%v", r.body)
					}
				}},
			{name: "create duplicate locale", method: "POST", path: "/v3/locales", who: "owner", body: map[string]any{"locale": map[string]any{"code": "fr-fr"}}, status: 422, code: 141, field: "code"},
			{name: "create locale bad fallback", method: "POST", path: "/v3/locales", who: "owner", body: map[string]any{"locale": map[string]any{"code": "de-de", "fallback_locale": "xx-xx"}}, status: 422, code: 141, field: "fallback_locale"},
			{name: "update locale", method: "PUT", path: "/v3/locales/fr-fr", who: "admin", body: map[string]any{"locale": map[string]any{"name": "Français"}}, status: 200},
			{name: "delete master locale refused", method: "DELETE", path: "/v3/locales/en-us", who: "owner", status: 422, code: 141},
			{name: "content manager cannot delete locale", method: "DELETE", path: "/v3/locales/fr-fr", who: "content_manager", status: 403, code: 316},
			{name: "delete locale", method: "DELETE", path: "/v3/locales/fr-fr", who: "owner", status: 200},

			// branches and aliases
			{name: "create branch", method: "POST", path: "/v3/stacks/branches", who: "developer", body: map[string]any{"branch": map[string]string{"uid": "development", "source": "main"}}, status: 201},
			{name: "create branch bad source", method: "POST", path: "/v3/stacks/branches", who: "owner", body: map[string]any{"branch": map[string]string{"uid": "feature", "source": "nope"}}, status: 422, code: 141, field: "source"},
			{name: "list branches", method: "GET", path: "/v3/stacks/branches", who: "content_manager", status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if len(r.body["branches"].([]any)) != 2 {
						t.Fatalf("%v", r.body)
					}
				}},
			{name: "assign alias", method: "PUT", path: "/v3/stacks/branch_aliases/deploy", who: "developer", body: map[string]any{"branch_alias": map[string]string{"target_branch": "development"}}, status: 200},
			{name: "alias to missing branch", method: "PUT", path: "/v3/stacks/branch_aliases/deploy", who: "owner", body: map[string]any{"branch_alias": map[string]string{"target_branch": "nope"}}, status: 422, code: 141},
			{name: "get alias", method: "GET", path: "/v3/stacks/branch_aliases/deploy", who: "owner", status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if r.body["branch_alias"].(map[string]any)["target_branch"] != "development" {
						t.Fatalf("%v", r.body)
					}
				}},
			{name: "branch header names the alias", method: "GET", path: "/v3/environments", who: "owner", headers: map[string]string{"branch": "deploy"}, status: 200},
			{name: "branch header names nothing", method: "GET", path: "/v3/environments", who: "owner", headers: map[string]string{"branch": "nope"}, status: 422, code: 141, field: "branch"},
			{name: "delete aliased branch refused", method: "DELETE", path: "/v3/stacks/branches/development", who: "owner", status: 422, code: 141},
			{name: "delete alias", method: "DELETE", path: "/v3/stacks/branch_aliases/deploy", who: "owner", status: 200},
			{name: "delete main refused", method: "DELETE", path: "/v3/stacks/branches/main", who: "owner", status: 422, code: 141},
			{name: "delete branch", method: "DELETE", path: "/v3/stacks/branches/development", who: "developer", status: 200},

			// members
			{name: "share as developer refused", method: "POST", path: "/v3/stacks/share", who: "developer", body: map[string]any{"emails": []string{"outsider@example.com"}, "roles": map[string][]string{"outsider@example.com": {"x"}}}, status: 403, code: 316},

			// the edge
			{name: "unknown route", method: "GET", path: "/v3/nothing-here", who: "owner", status: 404, code: 404},
			{name: "wrong method", method: "PATCH", path: "/v3/environments", who: "owner", status: 405, code: 405},
			{name: "dot segments", method: "GET", path: "/v3/environments/../stacks", who: "owner", status: 400, code: 400},
			{name: "encoded slash", method: "GET", path: "/v3/environments/a%2Fb", who: "owner", status: 400, code: 400},
			{name: "body over 1 MiB", method: "POST", path: "/v3/environments", who: "owner", body: `{"environment":{"name":"` + strings.Repeat("a", 1<<20+10) + `"}}`, status: 413, code: 413},
			{name: "absolute-form request", method: "GET", path: "http://stackgate.example/v3/environments", who: "owner", status: 200},
		}
		runScenarios(t, f, table)
	})
}
