package http_test

import (
	"fmt"
	"log/slog"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"

	sghttp "github.com/stackgate/stackgate/http"
	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/service"
)

// Wire patterns of spec §4 and of stackgate.NewUID / FormatTime.
var (
	csTokenPattern  = regexp.MustCompile(`^cs[0-9a-f]{24}$`)
	bltUIDPattern   = regexp.MustCompile(`^blt[0-9a-f]{16}$`)
	wireTimePattern = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
)

// newFixtureWith is newFixture whose service (and router) run with cfg.
func newFixtureWith(t testing.TB, open testdb.Opener, cfg service.Config) *fixture {
	t.Helper()
	f := newFixture(t, open)
	f.svc = service.New(f.store, testKeys, cfg, slog.New(slog.DiscardHandler))
	f.srv = sghttp.NewServer(f.svc, nil)
	return f
}

// jobj and jlist assert the JSON type of a decoded value.
func jobj(t testing.TB, v any) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("not a JSON object: %#v", v)
	}
	return m
}

func jlist(t testing.TB, v any) []any {
	t.Helper()
	l, ok := v.([]any)
	if !ok {
		t.Fatalf("not a JSON array: %#v", v)
	}
	return l
}

// mustDo sends one request and fails unless the status is want.
func mustDo(t testing.TB, f *fixture, headers map[string]string, method, path string, body any, want int) reply {
	t.Helper()
	r := f.do(req{method: method, path: path, headers: headers, body: body})
	if r.status != want {
		t.Fatalf("%s %s: status %d, want %d; body %s", method, path, r.status, want, r.raw)
	}
	return r
}

// wantErrorKeyContaining checks the error shape and that some key of errors
// contains part.
func wantErrorKeyContaining(t testing.TB, r reply, status, code int, part string) {
	t.Helper()
	wantError(t, r, status, code, "")
	for k := range jobj(t, r.body["errors"]) {
		if strings.Contains(k, part) {
			return
		}
	}
	t.Fatalf("no errors key contains %q; body %s", part, r.raw)
}

// withoutKeys returns a shallow copy of m without keys.
func withoutKeys(m map[string]any, keys ...string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

// gateStatus asks /gate/auth whether a request carrying headers may do
// method uri, and returns its status. The API is the one the credential
// belongs to: cda for an access_token, preview for a preview_token, cma
// otherwise.
func gateStatus(t testing.TB, f *fixture, headers map[string]string, method, uri string) int {
	t.Helper()
	h := map[string]string{"X-Original-Method": method, "X-Original-URI": uri}
	for k, v := range headers {
		h[k] = v
	}
	api := "cma"
	if _, ok := headers["access_token"]; ok {
		api = "cda"
	} else if _, ok := headers["preview_token"]; ok {
		api = "preview"
	}
	return f.do(req{method: "GET", path: "/gate/auth?api=" + api, headers: h}).status
}

func scopeEnv(envs ...any) map[string]any {
	return map[string]any{"module": "environment", "environments": envs, "acl": map[string]any{"read": true}}
}

func scopeBranch(branches ...string) map[string]any {
	return map[string]any{"module": "branch", "branches": branches, "acl": map[string]any{"read": true}}
}

func scopeAlias(aliases ...string) map[string]any {
	return map[string]any{"module": "branch_alias", "branch_aliases": aliases, "acl": map[string]any{"read": true}}
}

func deliveryTokenBody(name string, scope ...any) map[string]any {
	return map[string]any{"token": map[string]any{"name": name, "description": "about " + name, "scope": scope}}
}

func standardDeliveryScope() []any { return []any{scopeEnv("production"), scopeBranch("main")} }

const deliveryTokensPath = "/v3/stacks/delivery_tokens"

// mgmtAll creates, through the API as the owner, a management token with
// $all read/write on main and returns its secret.
func mgmtAll(t testing.TB, f *fixture, name string) string {
	t.Helper()
	r := mustDo(t, f, f.as(Owner), "POST", "/v3/stacks/management_tokens", map[string]any{"token": map[string]any{
		"name": name, "scope": []any{
			map[string]any{"module": "$all", "acl": map[string]any{"read": true, "write": true}},
			scopeBranch("main")}}}, 201)
	return jobj(t, r.body["token"])["token"].(string)
}

// environmentsByName lists the stack's environments as the API renders them.
func environmentsByName(t testing.TB, f *fixture) map[string]map[string]any {
	t.Helper()
	r := mustDo(t, f, f.as(Owner), "GET", "/v3/environments", nil, 200)
	out := map[string]map[string]any{}
	for _, e := range jlist(t, r.body["environments"]) {
		env := jobj(t, e)
		out[env["name"].(string)] = env
	}
	return out
}

// TestDeliveryTokenValidation: every validation rule of create and update
// answers 422 / 141 with the field in errors, and bad inputs 400.
func TestDeliveryTokenValidation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		mustDo(t, f, f.as(Owner), "PUT", "/v3/stacks/branch_aliases/deploy", map[string]any{"branch_alias": map[string]any{"target_branch": "main"}}, 200)
		const createFailed = "Delivery Token creation failed. Please try again."
		const updateFailed = "Delivery Token update failed. Please try again."
		message := func(want string) func(t *testing.T, f *fixture, r reply) {
			return func(t *testing.T, f *fixture, r reply) {
				if r.body["error_message"] != want {
					t.Fatalf("error_message = %v, want %q", r.body["error_message"], want)
				}
			}
		}
		keyContaining := func(part string) func(t *testing.T, f *fixture, r reply) {
			return func(t *testing.T, f *fixture, r reply) { wantErrorKeyContaining(t, r, 422, 141, part) }
		}
		std := standardDeliveryScope()
		env, branch := std[0], std[1]
		name255 := strings.Repeat("n", 255)
		var uid string
		post := func(name string, body any, status int, field string, check func(*testing.T, *fixture, reply)) scenario {
			code := 0
			if status >= 400 {
				code = 141
				if status == 400 {
					code = 400
				}
			}
			return scenario{name: name, method: "POST", path: deliveryTokensPath, who: Owner, body: body, status: status, code: code, field: field, bodyCheck: check}
		}
		runScenarios(t, f, []scenario{
			post("create a valid token", deliveryTokenBody("site", std...), 201, "", func(t *testing.T, f *fixture, r reply) {
				uid = jobj(t, r.body["token"])["uid"].(string)
			}),
			post("name of 255 characters is accepted", deliveryTokenBody(name255, std...), 201, "", nil),
			post("name of 255 multibyte characters is accepted", deliveryTokenBody(strings.Repeat("é", 255), std...), 201, "", nil),
			post("name missing", map[string]any{"token": map[string]any{"scope": std}}, 422, "name", message(createFailed)),
			post("name empty", deliveryTokenBody("", std...), 422, "name", message(createFailed)),
			post("name blank", deliveryTokenBody("   ", std...), 422, "name", nil),
			post("name of 256 characters", deliveryTokenBody(strings.Repeat("n", 256), std...), 422, "name", nil),
			post("name of 10000 characters", deliveryTokenBody(strings.Repeat("n", 10000), std...), 422, "name", nil),
			post("name duplicate", deliveryTokenBody("site", std...), 422, "name", message(createFailed)),
			post("name duplicate of the 255-character name", deliveryTokenBody(name255, std...), 422, "name", nil),
			post("scope missing", map[string]any{"token": map[string]any{"name": "s"}}, 422, "scope", nil),
			post("scope null", map[string]any{"token": map[string]any{"name": "s", "scope": nil}}, 422, "scope", nil),
			post("scope empty list", deliveryTokenBody("s"), 422, "scope", nil),
			post("scope an object", map[string]any{"token": map[string]any{"name": "s", "scope": map[string]any{"module": "environment"}}}, 422, "scope", nil),
			post("scope a string", map[string]any{"token": map[string]any{"name": "s", "scope": "production"}}, 422, "scope", nil),
			post("no environment entry", deliveryTokenBody("s", branch), 422, "scope.environments", nil),
			post("environment entry with no environments", deliveryTokenBody("s", scopeEnv(), branch), 422, "scope.environments", nil),
			post("environment entry without the environments key", deliveryTokenBody("s", map[string]any{"module": "environment", "acl": map[string]any{"read": true}}, branch), 422, "scope.environments", nil),
			post("unknown environment", deliveryTokenBody("s", scopeEnv("nope"), branch), 422, "scope.environments", message(createFailed)),
			post("one unknown environment among known ones", deliveryTokenBody("s", scopeEnv("production", "nope"), branch), 422, "scope.environments", nil),
			post("environment of the wrong type", deliveryTokenBody("s", scopeEnv(42), branch), 422, "scope.environments", nil),
			post("environment object naming nothing", deliveryTokenBody("s", scopeEnv(map[string]any{"name": "nope"}), branch), 422, "scope.environments", nil),
			post("environment of another stack", deliveryTokenBody("s", scopeEnv(otherStackEnvUID(t, f)), branch), 422, "scope.environments", nil),
			post("two environment entries", deliveryTokenBody("s", env, scopeEnv("production"), branch), 422, "scope.environments", nil),
			post("no branch or alias entry", deliveryTokenBody("s", env), 422, "scope.branch_or_alias", message(createFailed)),
			post("unknown branch", deliveryTokenBody("s", env, scopeBranch("nope")), 422, "scope.branches", nil),
			post("branch entry with no branches", deliveryTokenBody("s", env, scopeBranch()), 422, "scope.branches", nil),
			post("unknown branch alias", deliveryTokenBody("s", env, scopeAlias("nope")), 422, "scope.branch_aliases", nil),
			post("a branch alias alone is a branch scope", deliveryTokenBody("alias only", env, scopeAlias("deploy")), 201, "", nil),
			post("unknown module", deliveryTokenBody("s", env, branch, map[string]any{"module": "content_type", "acl": map[string]any{"read": true}}), 422, "", keyContaining("module")),
			post("made-up module", deliveryTokenBody("s", env, branch, map[string]any{"module": "spaceship", "acl": map[string]any{"read": true}}), 422, "", keyContaining("module")),
			post("module missing", deliveryTokenBody("s", env, branch, map[string]any{"acl": map[string]any{"read": true}}), 422, "", keyContaining("module")),
			post("module not a string", deliveryTokenBody("s", env, branch, map[string]any{"module": 7}), 422, "", nil),
			post("scope entry not an object", deliveryTokenBody("s", env, branch, "environment"), 422, "", nil),
			post("acl true", deliveryTokenBody("s", map[string]any{"module": "environment", "environments": []string{"production"}, "acl": true}, branch), 422, "", keyContaining("acl")),
			post("acl a string", deliveryTokenBody("s", env, map[string]any{"module": "branch", "branches": []string{"main"}, "acl": "read"}), 422, "", keyContaining("acl")),
			post("acl a list", deliveryTokenBody("s", env, map[string]any{"module": "branch", "branches": []string{"main"}, "acl": []any{true}}), 422, "", keyContaining("acl")),
			post("acl flag not a boolean", deliveryTokenBody("s", map[string]any{"module": "environment", "environments": []string{"production"}, "acl": map[string]any{"read": "yes"}}, branch), 422, "", keyContaining("acl")),
			post(`acl {"read":"true"} is accepted`, `{"token":{"name":"string acl","scope":[{"module":"environment","environments":["production"],"acl":{"read":"true"}},{"module":"branch","branches":["main"],"acl":{"read":"true"}}]}}`, 201, "",
				func(t *testing.T, f *fixture, r reply) {
					for _, s := range jlist(t, jobj(t, r.body["token"])["scope"]) {
						if acl := jobj(t, jobj(t, s)["acl"]); acl["read"] != true {
							t.Fatalf("acl.read = %#v, want the boolean true; %s", acl["read"], r.raw)
						}
					}
				}),
			post("token missing", map[string]any{"name": "s", "scope": std}, 422, "token", nil),
			post("token not an object", map[string]any{"token": "s"}, 400, "", nil),
			post("name not a string", map[string]any{"token": map[string]any{"name": 42, "scope": std}}, 400, "", nil),
			post("malformed JSON", `{"token":{"name":"s"`, 400, "", nil),
			post("top-level array", `[{"token":{}}]`, 400, "", nil),
			post("empty body", ``, 400, "", nil),
		})
		runScenarios(t, f, []scenario{
			{name: "bad create_with_preview_token", method: "POST", path: deliveryTokensPath + "?create_with_preview_token=maybe", who: Owner, body: deliveryTokenBody("maybe", std...), status: 400, code: 400},
			{name: "nothing was created by the refused requests", method: "GET", path: deliveryTokensPath + "?include_count=true", who: Owner, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					names := map[string]bool{}
					for _, x := range jlist(t, r.body["tokens"]) {
						names[jobj(t, x)["name"].(string)] = true
					}
					want := map[string]bool{"site": true, name255: true, strings.Repeat("é", 255): true, "alias only": true, "string acl": true}
					if !reflect.DeepEqual(names, want) {
						t.Fatalf("tokens %v, want %v", names, want)
					}
				}},
			{name: "update: name empty", method: "PUT", path: deliveryTokensPath + "/" + uid, who: Owner, body: map[string]any{"token": map[string]any{"name": ""}}, status: 422, code: 141, field: "name", bodyCheck: message(updateFailed)},
			{name: "update: name of 256 characters", method: "PUT", path: deliveryTokensPath + "/" + uid, who: Owner, body: map[string]any{"token": map[string]any{"name": strings.Repeat("n", 256)}}, status: 422, code: 141, field: "name"},
			{name: "update: name taken by another token", method: "PUT", path: deliveryTokensPath + "/" + uid, who: Owner, body: map[string]any{"token": map[string]any{"name": "alias only"}}, status: 422, code: 141, field: "name", bodyCheck: message(updateFailed)},
			{name: "update: scope null", method: "PUT", path: deliveryTokensPath + "/" + uid, who: Owner, body: map[string]any{"token": map[string]any{"scope": nil}}, status: 422, code: 141, field: "scope"},
			{name: "update: no environment entry", method: "PUT", path: deliveryTokensPath + "/" + uid, who: Owner, body: deliveryTokenBody("site", branch), status: 422, code: 141, field: "scope.environments"},
			{name: "update: unknown environment", method: "PUT", path: deliveryTokensPath + "/" + uid, who: Owner, body: deliveryTokenBody("site", scopeEnv("nope"), branch), status: 422, code: 141, field: "scope.environments"},
			{name: "update: no branch entry", method: "PUT", path: deliveryTokensPath + "/" + uid, who: Owner, body: deliveryTokenBody("site", env), status: 422, code: 141, field: "scope.branch_or_alias"},
			{name: "update: unknown branch", method: "PUT", path: deliveryTokensPath + "/" + uid, who: Owner, body: deliveryTokenBody("site", env, scopeBranch("nope")), status: 422, code: 141, field: "scope.branches"},
			{name: "update: unknown module", method: "PUT", path: deliveryTokensPath + "/" + uid, who: Owner, body: deliveryTokenBody("site", env, branch, map[string]any{"module": "entry", "acl": map[string]any{"read": true}}), status: 422, code: 141, bodyCheck: keyContaining("module")},
			{name: "update: acl not an object", method: "PUT", path: deliveryTokensPath + "/" + uid, who: Owner, body: deliveryTokenBody("site", env, map[string]any{"module": "branch", "branches": []string{"main"}, "acl": true}), status: 422, code: 141, bodyCheck: keyContaining("acl")},
			{name: "update: token missing", method: "PUT", path: deliveryTokensPath + "/" + uid, who: Owner, body: map[string]any{"name": "x"}, status: 422, code: 141, field: "token"},
			{name: "update: malformed JSON", method: "PUT", path: deliveryTokensPath + "/" + uid, who: Owner, body: `{"token":`, status: 400, code: 400},
			{name: "update: unknown uid", method: "PUT", path: deliveryTokensPath + "/bltdoesnotexist0", who: Owner, body: deliveryTokenBody("x", std...), status: 422, code: 141, field: "uid"},
			{name: "the refused updates changed nothing", method: "GET", path: deliveryTokensPath + "/" + uid, who: Owner, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					tok := jobj(t, r.body["token"])
					scope := jlist(t, tok["scope"])
					if tok["name"] != "site" || len(scope) != 2 || jobj(t, scope[0])["module"] != "environment" ||
						jobj(t, jlist(t, jobj(t, scope[0])["environments"])[0])["name"] != "production" || tok["created_at"] != tok["updated_at"] {
						t.Fatalf("token changed: %s", r.raw)
					}
				}},
		})
	})
}

// otherStackEnvUID returns the uid of the other stack's production environment.
func otherStackEnvUID(t testing.TB, f *fixture) string {
	t.Helper()
	r := mustDo(t, f, map[string]string{"api_key": f.other.APIKey, "authtoken": f.tokens[Outsider]}, "GET", "/v3/environments", nil, 200)
	return jobj(t, jlist(t, r.body["environments"])[0])["uid"].(string)
}

// TestDeliveryTokenLifecycle: create, fetch, list, update, preview tokens and
// delete, with the shapes and values spec §4 asks for.
func TestDeliveryTokenLifecycle(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		owner, dev := f.as(Owner), f.as(Developer)
		mustDo(t, f, owner, "POST", "/v3/environments", envBody("staging"), 201)
		mustDo(t, f, owner, "POST", "/v3/stacks/branches", map[string]any{"branch": map[string]any{"uid": "development", "source": "main"}}, 201)
		envs := environmentsByName(t, f)
		prodUID, stagingUID := envs["production"]["uid"].(string), envs["staging"]["uid"].(string)

		// create
		created := mustDo(t, f, dev, "POST", deliveryTokensPath, deliveryTokenBody("site", scopeEnv("production", stagingUID), scopeBranch("main")), 201)
		if created.body["notice"] != "Delivery Token created successfully." {
			t.Fatalf("notice %v", created.body["notice"])
		}
		tok := jobj(t, created.body["token"])
		uid, value := tok["uid"].(string), tok["token"].(string)
		t.Run("create reply", func(t *testing.T) {
			if !csTokenPattern.MatchString(value) || !bltUIDPattern.MatchString(uid) || tok["type"] != "delivery" {
				t.Fatalf("token %q uid %q type %v", value, uid, tok["type"])
			}
			if tok["name"] != "site" || tok["description"] != "about site" || tok["created_by"] != f.users[Developer].UID || tok["updated_by"] != f.users[Developer].UID {
				t.Fatalf("fields: %s", created.raw)
			}
			if !wireTimePattern.MatchString(fmt.Sprint(tok["created_at"])) || !wireTimePattern.MatchString(fmt.Sprint(tok["updated_at"])) {
				t.Fatalf("times: %s", created.raw)
			}
			if _, has := tok["preview_token"]; has {
				t.Fatalf("preview_token without create_with_preview_token: %s", created.raw)
			}
			scope := jlist(t, tok["scope"])
			if len(scope) != 2 {
				t.Fatalf("scope %v", scope)
			}
			envEntry := jobj(t, scope[0])
			got := jlist(t, envEntry["environments"])
			if envEntry["module"] != "environment" || len(got) != 2 {
				t.Fatalf("environment entry %v", envEntry)
			}
			// Each environment is expanded into the object GET /v3/environments
			// renders, in the order given, with the samples' deploy_content
			// and servers.
			for i, name := range []string{"production", "staging"} {
				want := map[string]any{"deploy_content": false, "servers": []any{}}
				for k, v := range jobj(t, envs[name]) {
					want[k] = v
				}
				if !reflect.DeepEqual(got[i], any(want)) {
					t.Fatalf("environment %d = %v, want %v", i, got[i], want)
				}
			}
			for _, k := range []string{"name", "uid", "urls", "_version", "ACL", "tags", "created_at", "updated_at"} {
				if _, ok := jobj(t, got[1])[k]; !ok {
					t.Fatalf("expanded environment lacks %s: %v", k, got[1])
				}
			}
			if urls := jlist(t, jobj(t, got[1])["urls"]); len(urls) != 1 || jobj(t, urls[0])["url"] != "https://staging.example.com" {
				t.Fatalf("urls %v", urls)
			}
			branchEntry := jobj(t, scope[1])
			if branchEntry["module"] != "branch" || !reflect.DeepEqual(branchEntry["branches"], []any{"main"}) {
				t.Fatalf("branch entry %v", branchEntry)
			}
			seen := map[string]bool{}
			for _, s := range scope {
				m, _ := jobj(t, s)["_metadata"].(map[string]any)
				id, _ := m["uid"].(string)
				if id == "" || seen[id] {
					t.Fatalf("scope entry without a distinct _metadata.uid: %s", created.raw)
				}
				seen[id] = true
			}
		})
		t.Run("the same environment twice, by name and uid, is one environment", func(t *testing.T) {
			r := mustDo(t, f, owner, "POST", deliveryTokensPath, deliveryTokenBody("twice", scopeEnv("production", prodUID), scopeBranch("main")), 201)
			if got := jlist(t, jobj(t, jlist(t, jobj(t, r.body["token"])["scope"])[0])["environments"]); len(got) != 1 {
				t.Fatalf("environments %v", got)
			}
			mustDo(t, f, owner, "DELETE", deliveryTokensPath+"/"+jobj(t, r.body["token"])["uid"].(string), nil, 200)
		})
		t.Run("create_with_preview_token", func(t *testing.T) {
			r := mustDo(t, f, owner, "POST", deliveryTokensPath+"?create_with_preview_token=true", deliveryTokenBody("with preview", scopeEnv("production"), scopeBranch("main")), 201)
			pt := jobj(t, r.body["token"])
			p, _ := pt["preview_token"].(string)
			if !csTokenPattern.MatchString(p) || p == pt["token"] {
				t.Fatalf("preview_token %q: %s", p, r.raw)
			}
			r = mustDo(t, f, owner, "POST", deliveryTokensPath+"?create_with_preview_token=false", deliveryTokenBody("without preview", scopeEnv("production"), scopeBranch("main")), 201)
			if _, has := jobj(t, r.body["token"])["preview_token"]; has {
				t.Fatalf("preview_token with create_with_preview_token=false: %s", r.raw)
			}
			// preview_token appears in fetch and list too
			fetched := jobj(t, mustDo(t, f, owner, "GET", deliveryTokensPath+"/"+pt["uid"].(string), nil, 200).body["token"])
			if fetched["preview_token"] != p {
				t.Fatalf("fetch lost the preview token: %v", fetched)
			}
			list := mustDo(t, f, owner, "GET", deliveryTokensPath+"?query="+url.QueryEscape(`{"name":"with preview"}`), nil, 200)
			if items := jlist(t, list.body["tokens"]); len(items) != 1 || jobj(t, items[0])["preview_token"] != p {
				t.Fatalf("list lost the preview token: %s", list.raw)
			}
		})

		// fetch
		t.Run("fetch returns {token:{…}} equal to the create reply", func(t *testing.T) {
			r := mustDo(t, f, dev, "GET", deliveryTokensPath+"/"+uid, nil, 200)
			if _, has := r.body["tokens"]; has {
				t.Fatalf("fetch answers tokens: %s", r.raw)
			}
			if !reflect.DeepEqual(r.body["token"], any(tok)) {
				t.Fatalf("fetch %v\ncreate %v", r.body["token"], tok)
			}
		})
		t.Run("list items equal the create reply", func(t *testing.T) {
			r := mustDo(t, f, dev, "GET", deliveryTokensPath, nil, 200)
			var found bool
			for _, x := range jlist(t, r.body["tokens"]) {
				if jobj(t, x)["uid"] == uid {
					found = reflect.DeepEqual(x, any(tok))
				}
			}
			if !found {
				t.Fatalf("list item differs or is missing: %s", r.raw)
			}
		})
		t.Run("the token reads its environments through the gate", func(t *testing.T) {
			h := map[string]string{"api_key": f.stack.APIKey, "access_token": value}
			if s := gateStatus(t, f, h, "GET", "/v3/content_types/blog/entries?environment=production"); s != 200 {
				t.Fatalf("production: %d", s)
			}
			if s := gateStatus(t, f, h, "GET", "/v3/content_types/blog/entries?environment=staging"); s != 200 {
				t.Fatalf("staging: %d", s)
			}
			if s := gateStatus(t, f, map[string]string{"api_key": f.other.APIKey, "access_token": value}, "GET", "/v3/content_types/blog/entries?environment=production"); s != 401 {
				t.Fatalf("with another stack's api_key: %d, want 401", s)
			}
			if s := gateStatus(t, f, map[string]string{"api_key": f.stack.APIKey, "authorization": value}, "GET", "/v3/environments"); s != 401 {
				t.Fatalf("a delivery token as a management token: %d, want 401", s)
			}
			wantError(t, f.do(req{method: "GET", path: "/v3/environments", headers: f.withToken(value)}), 401, 105, "authorization")
		})

		// update
		meta := func(t *testing.T, token map[string]any) []string {
			var out []string
			for _, s := range jlist(t, token["scope"]) {
				out = append(out, jobj(t, jobj(t, s)["_metadata"])["uid"].(string))
			}
			return out
		}
		before := meta(t, tok)
		t.Run("update name, description and scope", func(t *testing.T) {
			r := mustDo(t, f, f.as(Admin), "PUT", deliveryTokensPath+"/"+uid, map[string]any{"token": map[string]any{"name": "site 2", "description": "changed",
				"scope": []any{scopeEnv("staging"), scopeBranch("main", "development")}}}, 200)
			if r.body["notice"] != "Delivery Token updated successfully." {
				t.Fatalf("notice %v", r.body["notice"])
			}
			got := jobj(t, r.body["token"])
			if got["name"] != "site 2" || got["description"] != "changed" || got["token"] != value || got["uid"] != uid || got["type"] != "delivery" ||
				got["created_at"] != tok["created_at"] || got["created_by"] != tok["created_by"] || got["updated_by"] != f.users[Admin].UID {
				t.Fatalf("update reply: %s", r.raw)
			}
			scope := jlist(t, got["scope"])
			if envsGot := jlist(t, jobj(t, scope[0])["environments"]); len(envsGot) != 1 || jobj(t, envsGot[0])["uid"] != stagingUID {
				t.Fatalf("environments %v", envsGot)
			}
			if !reflect.DeepEqual(jobj(t, scope[1])["branches"], []any{"main", "development"}) {
				t.Fatalf("branches %v", jobj(t, scope[1])["branches"])
			}
			if m := meta(t, got); !reflect.DeepEqual(m, before) {
				t.Fatalf("_metadata.uid changed: %v → %v", before, m)
			}
			fetched := mustDo(t, f, owner, "GET", deliveryTokensPath+"/"+uid, nil, 200)
			if !reflect.DeepEqual(fetched.body["token"], any(got)) {
				t.Fatalf("fetch after update %v\nupdate reply %v", fetched.body["token"], got)
			}
			h := map[string]string{"api_key": f.stack.APIKey, "access_token": value}
			if s := gateStatus(t, f, h, "GET", "/v3/content_types/blog/entries?environment=production"); s != 403 {
				t.Fatalf("an environment taken out of the scope still reads: %d", s)
			}
			if s := gateStatus(t, f, h, "GET", "/v3/content_types/blog/entries?environment=staging"); s != 200 {
				t.Fatalf("the unchanged token value stopped working: %d", s)
			}
		})
		t.Run("update as the SDK does: the fetched object sent back, environments as objects", func(t *testing.T) {
			fetched := jobj(t, mustDo(t, f, dev, "GET", deliveryTokensPath+"/"+uid, nil, 200).body["token"])
			fetched["name"] = "site 3"
			r := mustDo(t, f, dev, "PUT", deliveryTokensPath+"/"+uid, map[string]any{"token": fetched}, 200)
			got := jobj(t, r.body["token"])
			if got["name"] != "site 3" || got["token"] != value {
				t.Fatalf("%s", r.raw)
			}
			if !reflect.DeepEqual(got["scope"], fetched["scope"]) {
				t.Fatalf("scope changed by a round trip:\n%v\n%v", got["scope"], fetched["scope"])
			}
		})
		for _, tc := range []struct {
			name string
			env  any
		}{
			{"environment object with name only", map[string]any{"name": "production"}},
			{"environment object with uid only", map[string]any{"uid": prodUID}},
			{"environment object with name and uid", map[string]any{"name": "production", "uid": prodUID}},
			{"environment by uid", prodUID},
		} {
			t.Run("update: "+tc.name, func(t *testing.T) {
				r := mustDo(t, f, dev, "PUT", deliveryTokensPath+"/"+uid, map[string]any{"token": map[string]any{"scope": []any{scopeEnv(tc.env), scopeBranch("main")}}}, 200)
				got := jobj(t, r.body["token"])
				if envsGot := jlist(t, jobj(t, jlist(t, got["scope"])[0])["environments"]); len(envsGot) != 1 || jobj(t, envsGot[0])["uid"] != prodUID {
					t.Fatalf("%s", r.raw)
				}
				if m := meta(t, got); !reflect.DeepEqual(m, before) {
					t.Fatalf("_metadata.uid changed: %v → %v", before, m)
				}
			})
		}

		// read-only fields
		mustDo(t, f, owner, "POST", deliveryTokensPath+"/"+uid+"/preview_token", nil, 201)
		for _, tc := range []struct {
			field string
			value any
		}{
			{"uid", "bltforged00000000"},
			{"token", "cs000000000000000000000000"},
			{"type", "management"},
			{"preview_token", "csffffffffffffffffffffffff"},
			{"_metadata", map[string]any{"uid": "csforged"}},
			{"created_at", "2000-01-01T00:00:00.000Z"},
			{"created_by", "bltforged00000000"},
			{"stack", map[string]any{"api_key": f.other.APIKey, "uid": f.other.UID}},
			{"api_key", f.other.APIKey},
			{"SYS_ACL", map[string]any{"others": map[string]any{"read": true}}},
		} {
			t.Run("read-only field "+tc.field+" is ignored", func(t *testing.T) {
				prior := jobj(t, mustDo(t, f, owner, "GET", deliveryTokensPath+"/"+uid, nil, 200).body["token"])
				r := mustDo(t, f, dev, "PUT", deliveryTokensPath+"/"+uid, map[string]any{"token": map[string]any{tc.field: tc.value}}, 200)
				after := jobj(t, mustDo(t, f, owner, "GET", deliveryTokensPath+"/"+uid, nil, 200).body["token"])
				for _, got := range []map[string]any{jobj(t, r.body["token"]), after} {
					if !reflect.DeepEqual(withoutKeys(got, "updated_at", "updated_by"), withoutKeys(prior, "updated_at", "updated_by")) {
						t.Fatalf("state changed:\nbefore %v\nafter  %v", prior, got)
					}
				}
			})
		}
		t.Run("read-only fields in scope entries are ignored", func(t *testing.T) {
			prior := jobj(t, mustDo(t, f, owner, "GET", deliveryTokensPath+"/"+uid, nil, 200).body["token"])
			env := scopeEnv("production")
			env["_metadata"] = map[string]any{"uid": "csforged0000000000"}
			r := mustDo(t, f, dev, "PUT", deliveryTokensPath+"/"+uid, map[string]any{"token": map[string]any{"scope": []any{env, scopeBranch("main")}}}, 200)
			if !reflect.DeepEqual(jobj(t, r.body["token"])["scope"], prior["scope"]) {
				t.Fatalf("scope changed:\n%v\n%v", jobj(t, r.body["token"])["scope"], prior["scope"])
			}
		})
		if _, err := f.svc.DeliveryToken(t.Context(), principalOf(t, f, Owner), "bltforged00000000"); err == nil {
			t.Fatal("a forged uid created a token")
		}

		// preview tokens
		var preview1, preview2 string
		runScenarios(t, f, []scenario{
			{name: "preview token: POST with an empty form body", method: "POST", path: deliveryTokensPath + "/" + uid + "/preview_token", who: Developer,
				headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, body: "", status: 201,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					got := jobj(t, r.body["token"])
					preview1, _ = got["preview_token"].(string)
					if r.body["notice"] != "Preview token created successfully." || !csTokenPattern.MatchString(preview1) || got["token"] != value || got["uid"] != uid {
						t.Fatalf("%s", r.raw)
					}
				}},
			{name: "preview token: POST with no body and no content type", method: "POST", path: deliveryTokensPath + "/" + uid + "/preview_token", who: Developer, status: 201,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					preview2, _ = jobj(t, r.body["token"])["preview_token"].(string)
					if !csTokenPattern.MatchString(preview2) || preview2 == preview1 {
						t.Fatalf("a second POST did not replace the preview token: %q then %q", preview1, preview2)
					}
				}},
			{name: "preview token: fetch shows the new one", method: "GET", path: deliveryTokensPath + "/" + uid, who: Owner, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if jobj(t, r.body["token"])["preview_token"] != preview2 {
						t.Fatalf("%s", r.raw)
					}
				}},
			{name: "preview token: only the new one passes the gate", method: "GET", path: deliveryTokensPath + "/" + uid, who: Owner, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					uri := "/v3/content_types/blog/entries?environment=production"
					if s := gateStatus(t, f, map[string]string{"api_key": f.stack.APIKey, "preview_token": preview1}, "GET", uri); s != 401 {
						t.Fatalf("replaced preview token: %d, want 401", s)
					}
					if s := gateStatus(t, f, map[string]string{"api_key": f.stack.APIKey, "preview_token": preview2}, "GET", uri); s != 200 {
						t.Fatalf("new preview token: %d, want 200", s)
					}
				}},
			{name: "preview token: a non-empty body that is not JSON", method: "POST", path: deliveryTokensPath + "/" + uid + "/preview_token", who: Developer, body: "a=b", status: 400, code: 400},
			{name: "preview token: unknown delivery token", method: "POST", path: deliveryTokensPath + "/bltdoesnotexist0/preview_token", who: Developer, status: 422, code: 141},
			{name: "preview token: DELETE", method: "DELETE", path: deliveryTokensPath + "/" + uid + "/preview_token", who: Developer, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if r.body["notice"] != "Preview token deleted successfully." {
						t.Fatalf("%s", r.raw)
					}
					if s := gateStatus(t, f, map[string]string{"api_key": f.stack.APIKey, "preview_token": preview2}, "GET", "/v3/content_types/blog/entries?environment=production"); s != 401 {
						t.Fatalf("deleted preview token: %d, want 401", s)
					}
				}},
			{name: "preview token: gone from fetch", method: "GET", path: deliveryTokensPath + "/" + uid, who: Owner, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					got := jobj(t, r.body["token"])
					if _, has := got["preview_token"]; has || got["token"] != value {
						t.Fatalf("%s", r.raw)
					}
				}},
			{name: "preview token: DELETE when there is none", method: "DELETE", path: deliveryTokensPath + "/" + uid + "/preview_token", who: Developer, status: 422, code: 141},
			{name: "preview token: DELETE on an unknown delivery token", method: "DELETE", path: deliveryTokensPath + "/bltdoesnotexist0/preview_token", who: Developer, status: 422, code: 141},
			{name: "preview token: created again before the token is deleted", method: "POST", path: deliveryTokensPath + "/" + uid + "/preview_token", who: Owner, status: 201,
				bodyCheck: func(t *testing.T, f *fixture, r reply) { preview1 = jobj(t, r.body["token"])["preview_token"].(string) }},
		})

		// delete
		other := jobj(t, mustDo(t, f, owner, "POST", deliveryTokensPath, deliveryTokenBody("other", scopeEnv("production"), scopeBranch("main")), 201).body["token"])["uid"].(string)
		runScenarios(t, f, []scenario{
			{name: "delete: force=maybe", method: "DELETE", path: deliveryTokensPath + "/" + uid + "?force=maybe", who: Developer, status: 400, code: 400, field: "force"},
			{name: "delete: still there after the refused delete", method: "GET", path: deliveryTokensPath + "/" + uid, who: Developer, status: 200},
			{name: "delete: unknown uid", method: "DELETE", path: deliveryTokensPath + "/bltdoesnotexist0", who: Developer, status: 422, code: 141, field: "uid"},
			{name: "delete: force=false", method: "DELETE", path: deliveryTokensPath + "/" + other + "?force=false", who: Developer, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if r.body["notice"] != "Delivery Token deleted successfully." {
						t.Fatalf("%s", r.raw)
					}
				}},
			{name: "delete: force=true", method: "DELETE", path: deliveryTokensPath + "/" + uid + "?force=true", who: Developer, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					uri := "/v3/content_types/blog/entries?environment=production"
					if s := gateStatus(t, f, map[string]string{"api_key": f.stack.APIKey, "access_token": value}, "GET", uri); s != 401 {
						t.Fatalf("deleted delivery token: %d, want 401", s)
					}
					if s := gateStatus(t, f, map[string]string{"api_key": f.stack.APIKey, "preview_token": preview1}, "GET", uri); s != 401 {
						t.Fatalf("preview token of a deleted delivery token: %d, want 401", s)
					}
				}},
			{name: "delete: gone", method: "GET", path: deliveryTokensPath + "/" + uid, who: Developer, status: 422, code: 141, field: "uid"},
			{name: "delete: twice", method: "DELETE", path: deliveryTokensPath + "/" + uid, who: Developer, status: 422, code: 141},
			{name: "delete: preview token of a deleted token", method: "DELETE", path: deliveryTokensPath + "/" + uid + "/preview_token", who: Developer, status: 422, code: 141},
			{name: "delete: the name is free again", method: "POST", path: deliveryTokensPath, who: Developer, body: deliveryTokenBody("site 3", scopeEnv("production"), scopeBranch("main")), status: 201},
		})
	})
}

// principalOf authenticates who on the fixture stack through the service.
func principalOf(t testing.TB, f *fixture, who cred) *service.Principal {
	t.Helper()
	p, err := f.svc.Authenticate(t.Context(), service.Credentials{APIKey: f.stack.APIKey, Authtoken: f.tokens[who]})
	if err != nil {
		t.Fatalf("authenticate %s: %v", who, err)
	}
	return p
}

// TestDeliveryTokenList: limit, skip, include_count, asc/desc and query.
func TestDeliveryTokenList(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		uids, created := map[string]string{}, map[string]string{}
		for _, name := range []string{"charlie", "alpha", "delta", "bravo"} { // creation order
			r := mustDo(t, f, f.as(Owner), "POST", deliveryTokensPath, deliveryTokenBody(name, scopeEnv("production"), scopeBranch("main")), 201)
			uids[name] = jobj(t, r.body["token"])["uid"].(string)
			created[name] = jobj(t, r.body["token"])["created_at"].(string)
		}
		names := func(want []string, count int) func(t *testing.T, f *fixture, r reply) {
			return func(t *testing.T, f *fixture, r reply) {
				var got []string
				for _, x := range jlist(t, r.body["tokens"]) {
					tok := jobj(t, x)
					if !csTokenPattern.MatchString(fmt.Sprint(tok["token"])) || tok["type"] != "delivery" {
						t.Fatalf("list item without its token: %v", tok)
					}
					got = append(got, tok["name"].(string))
				}
				if want == nil {
					want = []string{}
				}
				if got == nil {
					got = []string{}
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("names %v, want %v", got, want)
				}
				c, has := r.body["count"]
				switch {
				case count < 0 && has:
					t.Fatalf("count without include_count: %v", c)
				case count >= 0 && c != float64(count):
					t.Fatalf("count = %v, want %d", c, count)
				}
			}
		}
		list := func(name, query string, want []string, count int) scenario {
			return scenario{name: name, method: "GET", path: deliveryTokensPath + query, who: Developer, status: 200, bodyCheck: names(want, count)}
		}
		bad := func(name, query, field string) scenario {
			return scenario{name: name, method: "GET", path: deliveryTokensPath + query, who: Developer, status: 400, code: 400, field: field}
		}
		runScenarios(t, f, []scenario{
			list("all, newest first", "", []string{"bravo", "delta", "alpha", "charlie"}, -1),
			list("include_count", "?include_count=true", []string{"bravo", "delta", "alpha", "charlie"}, 4),
			list("include_count=false", "?include_count=false", []string{"bravo", "delta", "alpha", "charlie"}, -1),
			list("limit", "?limit=2", []string{"bravo", "delta"}, -1),
			list("limit 1 is the newest (findOne)", "?limit=1", []string{"bravo"}, -1),
			list("asc created_at: oldest first", "?asc=created_at", []string{"charlie", "alpha", "delta", "bravo"}, -1),
			list("limit and skip", "?limit=2&skip=1", []string{"delta", "alpha"}, -1),
			list("skip", "?skip=3", []string{"charlie"}, -1),
			list("skip past the end", "?skip=10&include_count=true", nil, 4),
			list("count ignores paging", "?limit=1&skip=1&include_count=true", []string{"delta"}, 4),
			list("asc name", "?asc=name", []string{"alpha", "bravo", "charlie", "delta"}, -1),
			list("desc name", "?desc=name", []string{"delta", "charlie", "bravo", "alpha"}, -1),
			list("asc name, limit, skip", "?asc=name&limit=2&skip=1", []string{"bravo", "charlie"}, -1),
			list("desc name, limit 1", "?desc=name&limit=1", []string{"delta"}, -1),
			list("query name equality", `?query={"name":"delta"}`, []string{"delta"}, -1),
			list("query name equality, no match", `?query={"name":"echo"}&include_count=true`, nil, 0),
			list("query uid equality", `?query={"uid":"`+uids["bravo"]+`"}`, []string{"bravo"}, -1),
			list("query name $in", `?query={"name":{"$in":["alpha","delta","echo"]}}&include_count=true`, []string{"delta", "alpha"}, 2),
			list("query uid $in", `?query={"uid":{"$in":["`+uids["charlie"]+`","`+uids["bravo"]+`"]}}`, []string{"bravo", "charlie"}, -1),
			list("query $in empty", `?query={"name":{"$in":[]}}`, nil, -1),
			list("query and sort and paging", `?query={"name":{"$in":["alpha","bravo","charlie"]}}&desc=name&limit=2&include_count=true`, []string{"charlie", "bravo"}, 3),
			list("query URL-encoded", `?query=%7B%22name%22%3A%22alpha%22%7D`, []string{"alpha"}, -1),
			bad("query not JSON", `?query={bad`, "query"),
			bad("query a JSON array", `?query=[1]`, "query"),
			bad("query a JSON string", `?query="alpha"`, "query"),
			list("query $regex with $options", `?query={"name":{"$regex":"^[AB]","$options":"i"}}`, []string{"bravo", "alpha"}, -1),
			list("query a dotted path into the scope", `?query={"scope.branches":"main","scope.module":"environment"}&limit=1`, []string{"bravo"}, -1),
			list("query $gte on created_at", `?query={"created_at":{"$gte":"`+created["delta"]+`"}}`, []string{"bravo", "delta"}, -1),
			bad("query with an unsupported operator", `?query={"name":{"$where":"a"}}`, "query"),
			bad("query $regex not valid", `?query={"name":{"$regex":"("}}`, "query"),
			{name: "an invalid query says why", method: "GET", path: deliveryTokensPath + `?query={"name":{"$in":"alpha"}}`, who: Developer, status: 400, code: 400, field: "query",
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if got, want := r.body["error_message"], "The query parameter query is not valid: $in takes a list."; got != want {
						t.Fatalf("error_message %q, want %q", got, want)
					}
				}},
			bad("query $in not a list", `?query={"name":{"$in":"alpha"}}`, "query"),
			bad("limit not a number", `?limit=ten`, "limit"),
			bad("skip negative", `?skip=-1`, "skip"),
			bad("skip not a number", `?skip=two`, "skip"),
			bad("include_count not a boolean", `?include_count=maybe`, "include_count"),
		})
	})
}

// TestDeliveryTokenPermissions: every endpoint for every kind of caller.
func TestDeliveryTokenPermissions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		mgmt := mgmtAll(t, f, "all")
		target := jobj(t, mustDo(t, f, f.as(Owner), "POST", deliveryTokensPath+"?create_with_preview_token=true", deliveryTokenBody("target", standardDeliveryScope()...), 201).body["token"])
		tuid := target["uid"].(string)
		type endpoint struct {
			name, method, path string
			body               any
			ok                 int
		}
		endpoints := func(uid, name string) []endpoint {
			return []endpoint{
				{"create", "POST", deliveryTokensPath, deliveryTokenBody(name, standardDeliveryScope()...), 201},
				{"list", "GET", deliveryTokensPath, nil, 200},
				{"get", "GET", deliveryTokensPath + "/" + uid, nil, 200},
				{"update", "PUT", deliveryTokensPath + "/" + uid, map[string]any{"token": map[string]any{"description": "by " + name}}, 200},
				{"create preview token", "POST", deliveryTokensPath + "/" + uid + "/preview_token", nil, 201},
				{"delete preview token", "DELETE", deliveryTokensPath + "/" + uid + "/preview_token", nil, 200},
				{"delete", "DELETE", deliveryTokensPath + "/" + uid + "?force=true", nil, 200},
			}
		}
		denied := []struct {
			who     string
			headers map[string]string
			status  int
			code    int
		}{
			{"content_manager", f.as(ContentManager), 403, 316},
			{"management token ($all read/write)", f.withToken(mgmt), 403, 316},
			{"outsider (not a member)", f.as(Outsider), 403, 316},
			{"no credential", map[string]string{"api_key": f.stack.APIKey}, 401, 105},
			{"unknown authtoken", map[string]string{"api_key": f.stack.APIKey, "authtoken": "bltnotatoken"}, 401, 105},
			{"unknown api_key", map[string]string{"api_key": "bltdoesnotexist0", "authtoken": f.tokens[Owner]}, 412, 109},
			{"owner of another stack on that stack", map[string]string{"api_key": f.other.APIKey, "authtoken": f.tokens[Outsider]}, 422, 141},
		}
		for _, d := range denied {
			for _, e := range endpoints(tuid, "denied") {
				t.Run(d.who+" "+e.name, func(t *testing.T) {
					want, code := d.status, d.code
					if d.status == 422 && e.name == "create" || d.status == 422 && e.name == "list" {
						// the other stack's own tokens: allowed there, but never the fixture's
						want = e.ok
					}
					r := f.do(req{method: e.method, path: e.path, headers: d.headers, body: e.body})
					if want >= 400 {
						wantError(t, r, want, code, "")
						if want == 403 && r.body["error_message"] != "You don't have the permission to do this operation." {
							t.Fatalf("error_message %v", r.body["error_message"])
						}
					} else if r.status != want {
						t.Fatalf("status %d, want %d: %s", r.status, want, r.raw)
					} else if e.name == "list" {
						for _, x := range jlist(t, r.body["tokens"]) {
							if jobj(t, x)["uid"] == tuid {
								t.Fatalf("another stack lists the fixture's token: %s", r.raw)
							}
						}
					}
				})
			}
		}
		t.Run("the refused requests changed nothing", func(t *testing.T) {
			r := mustDo(t, f, f.as(Owner), "GET", deliveryTokensPath+"/"+tuid, nil, 200)
			if !reflect.DeepEqual(r.body["token"], any(target)) {
				t.Fatalf("changed:\n%v\n%v", r.body["token"], target)
			}
			list := mustDo(t, f, f.as(Owner), "GET", deliveryTokensPath+"?include_count=true", nil, 200)
			if list.body["count"] != float64(1) {
				t.Fatalf("%s", list.raw)
			}
		})
		for _, who := range []cred{Owner, Admin, Developer} {
			var uid string
			for _, e := range endpoints("{uid}", who.String()+" token") {
				t.Run(who.String()+" "+e.name, func(t *testing.T) {
					path := strings.Replace(e.path, "{uid}", uid, 1)
					r := f.do(req{method: e.method, path: path, headers: f.as(who), body: e.body})
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

// TestDeliveryTokenReferences: environments, branches and aliases a token
// names cannot be deleted until the token lets go of them.
func TestDeliveryTokenReferences(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		owner := f.as(Owner)
		mustDo(t, f, owner, "POST", "/v3/environments", envBody("staging"), 201)
		mustDo(t, f, owner, "POST", "/v3/environments", envBody("qa"), 201)
		mustDo(t, f, owner, "POST", "/v3/stacks/branches", map[string]any{"branch": map[string]any{"uid": "development", "source": "main"}}, 201)
		mustDo(t, f, owner, "PUT", "/v3/stacks/branch_aliases/deploy", map[string]any{"branch_alias": map[string]any{"target_branch": "main"}}, 200)
		a := jobj(t, mustDo(t, f, owner, "POST", deliveryTokensPath, deliveryTokenBody("a", scopeEnv("staging"), scopeBranch("development")), 201).body["token"])["uid"].(string)
		b := jobj(t, mustDo(t, f, owner, "POST", deliveryTokensPath, deliveryTokenBody("b", scopeEnv("production"), scopeAlias("deploy")), 201).body["token"])["uid"].(string)
		c := jobj(t, mustDo(t, f, owner, "POST", deliveryTokensPath, deliveryTokenBody("c", scopeEnv("qa"), scopeBranch("main")), 201).body["token"])["uid"].(string)
		runScenarios(t, f, []scenario{
			{name: "environment referenced by a token", method: "DELETE", path: "/v3/environments/staging", who: Owner, status: 422, code: 141},
			{name: "branch referenced by a token", method: "DELETE", path: "/v3/stacks/branches/development", who: Owner, status: 422, code: 141},
			{name: "alias referenced by a token", method: "DELETE", path: "/v3/stacks/branch_aliases/deploy", who: Owner, status: 422, code: 141},
			{name: "environment referenced by an update", method: "DELETE", path: "/v3/environments/qa", who: Owner, status: 422, code: 141},
			{name: "the environment is still there", method: "GET", path: "/v3/environments/staging", who: Owner, status: 200},
			{name: "the branch is still there", method: "GET", path: "/v3/stacks/branches/development", who: Owner, status: 200},
			{name: "delete token a", method: "DELETE", path: deliveryTokensPath + "/" + a, who: Owner, status: 200},
			{name: "environment free after the token is deleted", method: "DELETE", path: "/v3/environments/staging", who: Owner, status: 200},
			{name: "branch free after the token is deleted", method: "DELETE", path: "/v3/stacks/branches/development", who: Owner, status: 200},
			{name: "update token b off the alias", method: "PUT", path: deliveryTokensPath + "/" + b, who: Owner, body: map[string]any{"token": map[string]any{"scope": []any{scopeEnv("production"), scopeBranch("main")}}}, status: 200},
			{name: "alias free after the update", method: "DELETE", path: "/v3/stacks/branch_aliases/deploy", who: Owner, status: 200},
			{name: "update token c to another environment", method: "PUT", path: deliveryTokensPath + "/" + c, who: Owner, body: map[string]any{"token": map[string]any{"scope": []any{scopeEnv("production"), scopeBranch("main")}}}, status: 200},
			{name: "environment free after the update", method: "DELETE", path: "/v3/environments/qa", who: Owner, status: 200},
			{name: "an update that only renames keeps the references", method: "PUT", path: deliveryTokensPath + "/" + c, who: Owner, body: map[string]any{"token": map[string]any{"name": "c2"}}, status: 200},
			{name: "production still referenced after a rename", method: "DELETE", path: "/v3/environments/production", who: Owner, status: 422, code: 141},
		})
		t.Run("renaming a referenced environment: the token follows it", func(t *testing.T) {
			value := jobj(t, mustDo(t, f, owner, "GET", deliveryTokensPath+"/"+c, nil, 200).body["token"])["token"].(string)
			mustDo(t, f, owner, "PUT", "/v3/environments/production", envBody("live"), 200)
			tok := jobj(t, mustDo(t, f, owner, "GET", deliveryTokensPath+"/"+c, nil, 200).body["token"])
			if env := jobj(t, jlist(t, jobj(t, jlist(t, tok["scope"])[0])["environments"])[0]); env["name"] != "live" {
				t.Fatalf("expanded environment %v", env)
			}
			h := map[string]string{"api_key": f.stack.APIKey, "access_token": value}
			if s := gateStatus(t, f, h, "GET", "/v3/content_types/blog/entries?environment=live"); s != 200 {
				t.Fatalf("renamed environment: %d, want 200", s)
			}
			if s := gateStatus(t, f, h, "GET", "/v3/content_types/blog/entries?environment=production"); s != 403 {
				t.Fatalf("old name: %d, want 403", s)
			}
			wantError(t, f.do(req{method: "DELETE", path: "/v3/environments/live", headers: owner}), 422, 141, "")
			mustDo(t, f, owner, "PUT", deliveryTokensPath+"/"+c, map[string]any{"token": map[string]any{"description": "still editable"}}, 200)
		})
	})
}

// TestDeliveryTokenLimitConfig: a stack holds at most DeliveryTokenLimit
// delivery tokens; the limit is per stack.
func TestDeliveryTokenLimitConfig(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixtureWith(t, open, service.Config{DeliveryTokenLimit: 2})
		var first string
		for i := range 2 {
			r := mustDo(t, f, f.as(Owner), "POST", deliveryTokensPath, deliveryTokenBody(fmt.Sprint("t", i), standardDeliveryScope()...), 201)
			if i == 0 {
				first = jobj(t, r.body["token"])["uid"].(string)
			}
		}
		r := f.do(req{method: "POST", path: deliveryTokensPath, headers: f.as(Developer), body: deliveryTokenBody("t2", standardDeliveryScope()...)})
		wantError(t, r, 422, 141, "token")
		if msgs := jlist(t, jobj(t, r.body["errors"])["token"]); len(msgs) != 1 || !strings.Contains(fmt.Sprint(msgs[0]), "2") {
			t.Fatalf("errors.token %v", msgs)
		}
		if r.body["error_message"] != "Delivery Token creation failed. Please try again." {
			t.Fatalf("error_message %v", r.body["error_message"])
		}
		wantError(t, f.do(req{method: "POST", path: deliveryTokensPath + "?create_with_preview_token=true", headers: f.as(Owner), body: deliveryTokenBody("t3", standardDeliveryScope()...)}), 422, 141, "token")
		list := mustDo(t, f, f.as(Owner), "GET", deliveryTokensPath+"?include_count=true", nil, 200)
		if list.body["count"] != float64(2) {
			t.Fatalf("the refused create left a token: %s", list.raw)
		}
		// another stack has its own allowance
		other := map[string]string{"api_key": f.other.APIKey, "authtoken": f.tokens[Outsider]}
		mustDo(t, f, other, "POST", deliveryTokensPath, deliveryTokenBody("o1", standardDeliveryScope()...), 201)
		// deleting one makes room again
		mustDo(t, f, f.as(Owner), "DELETE", deliveryTokensPath+"/"+first, nil, 200)
		mustDo(t, f, f.as(Owner), "POST", deliveryTokensPath, deliveryTokenBody("t2", standardDeliveryScope()...), 201)
	})
}
