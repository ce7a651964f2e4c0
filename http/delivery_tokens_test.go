package http_test

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/access"
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
	f.svc, f.acc = newServices(f.store, cfg)
	f.srv = sghttp.NewServer(f.svc, f.acc, nil)
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

// actorOf authenticates who on the fixture stack through the checker.
func actorOf(t testing.TB, f *fixture, who cred) stackgate.Actor {
	t.Helper()
	p, err := f.acc.Authenticate(t.Context(), access.Credentials{APIKey: f.stack.APIKey, Authtoken: f.tokens[who]})
	if err != nil {
		t.Fatalf("authenticate %s: %v", who, err)
	}
	return p.Actor()
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
