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
	who       cred              // Owner … Outsider, or a broken credential (NoCredential, BadAuthtoken, …)
	headers   map[string]string // added after who's headers
	body      any
	status    int
	code      int    // error_code when status >= 400
	field     string // a key errors must have
	bodyCheck func(t *testing.T, f *fixture, r reply)
}

func (f *fixture) headersFor(who cred) map[string]string {
	switch who {
	case NoCredential:
		return map[string]string{"api_key": f.stack.APIKey}
	case NoAPIKey:
		return map[string]string{"authtoken": f.tokens[Owner]}
	case UnknownAPIKey:
		return map[string]string{"api_key": "bltdoesnotexist00", "authtoken": f.tokens[Owner]}
	case BothCredentials:
		return map[string]string{"api_key": f.stack.APIKey, "authtoken": f.tokens[Owner], "authorization": "cs0123"}
	case BearerToken:
		return map[string]string{"api_key": f.stack.APIKey, "authorization": "Bearer abc.def.ghi"}
	case BadAuthtoken:
		return map[string]string{"api_key": f.stack.APIKey, "authtoken": "bltnotatoken"}
	case UnknownManagementToken:
		return map[string]string{"api_key": f.stack.APIKey, "authorization": "cs000000000000000000000000"}
	case NoHeaders:
		return map[string]string{}
	}
	// Outsider: a valid authtoken of a user who is not a member of the stack
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
			{name: "login ok", method: "POST", path: "/v3/user-session", who: NoHeaders, body: map[string]any{"user": map[string]string{"email": "owner@example.com", "password": "owner-password"}}, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if r.body["notice"] != "Login Successful." {
						t.Fatalf("notice %v", r.body["notice"])
					}
					u := r.body["user"].(map[string]any)
					if tok, _ := u["authtoken"].(string); len(tok) < 20 || u["email"] != "owner@example.com" {
						t.Fatalf("user %v", u)
					}
				}},
			{name: "login wrong password", method: "POST", path: "/v3/user-session", who: NoHeaders, body: map[string]any{"user": map[string]string{"email": "owner@example.com", "password": "nope"}}, status: 422, code: 104},
			{name: "login unknown email", method: "POST", path: "/v3/user-session", who: NoHeaders, body: map[string]any{"user": map[string]string{"email": "ghost@example.com", "password": "nope"}}, status: 422, code: 104},
			{name: "login malformed json", method: "POST", path: "/v3/user-session", who: NoHeaders, body: `{"user":`, status: 400, code: 400},
			{name: "login wrong type", method: "POST", path: "/v3/user-session", who: NoHeaders, body: `{"user": []}`, status: 400, code: 400},
			{name: "login top-level array", method: "POST", path: "/v3/user-session", who: NoHeaders, body: `[1,2]`, status: 400, code: 400},
			{name: "login empty body", method: "POST", path: "/v3/user-session", who: NoHeaders, body: ``, status: 400, code: 400},
			{name: "get user", method: "GET", path: "/v3/user", who: Developer, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if r.body["user"].(map[string]any)["email"] != "developer@example.com" {
						t.Fatalf("user %v", r.body)
					}
				}},
			{name: "get user bad token", method: "GET", path: "/v3/user", who: BadAuthtoken, status: 401, code: 105, field: "authtoken"},

			// the stack and its credentials: api_key first, then the credential
			{name: "missing api_key", method: "GET", path: "/v3/environments", who: NoAPIKey, status: 412, code: 109, field: "api_key"},
			{name: "unknown api_key", method: "GET", path: "/v3/environments", who: UnknownAPIKey, status: 412, code: 109, field: "api_key"},
			{name: "no credential", method: "GET", path: "/v3/environments", who: NoCredential, status: 401, code: 105},
			{name: "malformed authtoken", method: "GET", path: "/v3/environments", who: BadAuthtoken, status: 401, code: 105, field: "authtoken"},
			{name: "both credentials", method: "GET", path: "/v3/environments", who: BothCredentials, status: 401, code: 105},
			{name: "unknown Bearer (OAuth) token", method: "GET", path: "/v3/environments", who: BearerToken, status: 401, code: 105, field: "authorization"},
			{name: "unknown management token", method: "GET", path: "/v3/environments", who: UnknownManagementToken, status: 401, code: 105, field: "authorization"},
			{name: "non-member authtoken", method: "GET", path: "/v3/environments", who: Outsider, status: 403, code: 316},
			{name: "get stack", method: "GET", path: "/v3/stacks", who: ContentManager, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if r.body["stack"].(map[string]any)["api_key"] != f.stack.APIKey {
						t.Fatalf("stack %v", r.body)
					}
				}},
			{name: "stack settings", method: "GET", path: "/v3/stacks/settings", who: Developer, status: 200},

			// environments
			{name: "list environments", method: "GET", path: "/v3/environments", who: ContentManager, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					envs := r.body["environments"].([]any)
					if len(envs) != 1 || envs[0].(map[string]any)["name"] != "production" {
						t.Fatalf("environments %v", envs)
					}
				}},
			{name: "create environment as developer", method: "POST", path: "/v3/environments", who: Developer, body: envBody("staging"), status: 201},
			{name: "create environment as content manager", method: "POST", path: "/v3/environments", who: ContentManager, body: envBody("qa"), status: 403, code: 316},
			{name: "create duplicate environment", method: "POST", path: "/v3/environments", who: Owner, body: envBody("staging"), status: 422, code: 141, field: "name"},
			{name: "create environment empty name", method: "POST", path: "/v3/environments", who: Owner, body: envBody("  "), status: 422, code: 141, field: "name"},
			{name: "create environment 10000-char name", method: "POST", path: "/v3/environments", who: Owner, body: envBody(long), status: 422, code: 141, field: "name"},
			{name: "create environment wrong type", method: "POST", path: "/v3/environments", who: Owner, body: `{"environment":{"name":42}}`, status: 400, code: 400},
			{name: "create environment unknown fields ignored", method: "POST", path: "/v3/environments", who: Owner, body: `{"environment":{"name":"dev","colour":"blue"},"extra":1}`, status: 201},
			{name: "get environment by name", method: "GET", path: "/v3/environments/staging", who: ContentManager, status: 200},
			{name: "get unknown environment", method: "GET", path: "/v3/environments/nope", who: Owner, status: 422, code: 141, field: "uid"},
			{name: "update environment", method: "PUT", path: "/v3/environments/dev", who: Admin, body: envBody("development"), status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if r.body["environment"].(map[string]any)["name"] != "development" {
						t.Fatalf("%v", r.body)
					}
				}},
			{name: "delete environment", method: "DELETE", path: "/v3/environments/development", who: Developer, status: 200},
			{name: "list with count and query", method: "GET", path: `/v3/environments?include_count=true&query={"name":{"$in":["staging"]}}`, who: Owner, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if r.body["count"] != float64(1) || len(r.body["environments"].([]any)) != 1 {
						t.Fatalf("%v", r.body)
					}
				}},
			{name: "list with bad query", method: "GET", path: `/v3/environments?query={bad`, who: Owner, status: 400, code: 400, field: "query"},
			{name: "list with negative skip", method: "GET", path: `/v3/environments?skip=-1`, who: Owner, status: 400, code: 400},
			{name: "list with limit", method: "GET", path: `/v3/environments?limit=1&asc=name`, who: Owner, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if envs := r.body["environments"].([]any); len(envs) != 1 || envs[0].(map[string]any)["name"] != "production" {
						t.Fatalf("%v", r.body)
					}
				}},

			// locales
			{name: "list master locale", method: "GET", path: `/v3/locales?query={"fallback_locale":null}`, who: Developer, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					ls := r.body["locales"].([]any)
					if len(ls) != 1 || ls[0].(map[string]any)["code"] != "en-us" {
						t.Fatalf("%v", r.body)
					}
				}},
			{name: "create locale", method: "POST", path: "/v3/locales", who: Developer, body: map[string]any{"locale": map[string]any{"code": "fr-fr", "name": "French"}}, status: 201,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if r.body["locale"].(map[string]any)["fallback_locale"] != "en-us" {
						t.Fatalf("%v", r.body)
					}
				}},
			{name: "create duplicate locale", method: "POST", path: "/v3/locales", who: Owner, body: map[string]any{"locale": map[string]any{"code": "fr-fr"}}, status: 422, code: 141, field: "code"},
			{name: "create locale bad fallback", method: "POST", path: "/v3/locales", who: Owner, body: map[string]any{"locale": map[string]any{"code": "de-de", "fallback_locale": "xx-xx"}}, status: 422, code: 141, field: "fallback_locale"},
			{name: "update locale", method: "PUT", path: "/v3/locales/fr-fr", who: Admin, body: map[string]any{"locale": map[string]any{"name": "Français"}}, status: 200},
			{name: "delete master locale refused", method: "DELETE", path: "/v3/locales/en-us", who: Owner, status: 422, code: 141},
			{name: "content manager cannot delete locale", method: "DELETE", path: "/v3/locales/fr-fr", who: ContentManager, status: 403, code: 316},
			{name: "delete locale", method: "DELETE", path: "/v3/locales/fr-fr", who: Owner, status: 200},

			// branches and aliases
			{name: "create branch", method: "POST", path: "/v3/stacks/branches", who: Developer, body: map[string]any{"branch": map[string]string{"uid": "development", "source": "main"}}, status: 201},
			{name: "create branch bad source", method: "POST", path: "/v3/stacks/branches", who: Owner, body: map[string]any{"branch": map[string]string{"uid": "feature", "source": "nope"}}, status: 422, code: 141, field: "source"},
			{name: "list branches", method: "GET", path: "/v3/stacks/branches", who: ContentManager, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if len(r.body["branches"].([]any)) != 2 {
						t.Fatalf("%v", r.body)
					}
				}},
			{name: "assign alias", method: "PUT", path: "/v3/stacks/branch_aliases/deploy", who: Developer, body: map[string]any{"branch_alias": map[string]string{"target_branch": "development"}}, status: 200},
			{name: "alias to missing branch", method: "PUT", path: "/v3/stacks/branch_aliases/deploy", who: Owner, body: map[string]any{"branch_alias": map[string]string{"target_branch": "nope"}}, status: 422, code: 141},
			{name: "get alias", method: "GET", path: "/v3/stacks/branch_aliases/deploy", who: Owner, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if r.body["branch_alias"].(map[string]any)["target_branch"] != "development" {
						t.Fatalf("%v", r.body)
					}
				}},
			{name: "branch header names the alias", method: "GET", path: "/v3/environments", who: Owner, headers: map[string]string{"branch": "deploy"}, status: 200},
			{name: "branch header names nothing", method: "GET", path: "/v3/environments", who: Owner, headers: map[string]string{"branch": "nope"}, status: 422, code: 905, field: "branch"},
			{name: "delete aliased branch refused", method: "DELETE", path: "/v3/stacks/branches/development", who: Owner, status: 422, code: 141},
			{name: "delete alias", method: "DELETE", path: "/v3/stacks/branch_aliases/deploy", who: Owner, status: 200},
			{name: "delete main refused", method: "DELETE", path: "/v3/stacks/branches/main", who: Owner, status: 422, code: 141},
			{name: "delete branch", method: "DELETE", path: "/v3/stacks/branches/development", who: Developer, status: 200},

			// members
			{name: "share as developer refused", method: "POST", path: "/v3/stacks/share", who: Developer, body: map[string]any{"emails": []string{"outsider@example.com"}, "roles": map[string][]string{"outsider@example.com": {"x"}}}, status: 403, code: 316},

			// the edge
			{name: "unknown route", method: "GET", path: "/v3/nothing-here", who: Owner, status: 404, code: 404},
			{name: "wrong method", method: "PATCH", path: "/v3/environments", who: Owner, status: 405, code: 405},
			{name: "dot segments", method: "GET", path: "/v3/environments/../stacks", who: Owner, status: 400, code: 400},
			{name: "encoded slash", method: "GET", path: "/v3/environments/a%2Fb", who: Owner, status: 400, code: 400},
			{name: "body over 1 MiB", method: "POST", path: "/v3/environments", who: Owner, body: `{"environment":{"name":"` + strings.Repeat("a", 1<<20+10) + `"}}`, status: 413, code: 413},
			{name: "absolute-form request", method: "GET", path: "http://stackgate.example/v3/environments", who: Owner, status: 200},
		}
		runScenarios(t, f, table)
	})
}
