package http_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stackgate/stackgate/internal/testdb"
)

// gateWorld is a fixture with the credentials the gate tests need: a
// delivery token for production (with its preview token), a read-only
// management token, and a member whose custom role publishes entries only
// on staging.
type gateWorld struct {
	*fixture
	key, delivery, preview, mgmtRead, staging string
}

func newGateWorld(t testing.TB, open testdb.Opener) *gateWorld {
	t.Helper()
	f := newFixture(t, open)
	w := &gateWorld{fixture: f, key: f.stack.APIKey}
	if r := f.do(req{method: "POST", path: "/v3/environments", headers: f.as(Owner),
		body: map[string]any{"environment": map[string]any{"name": "staging"}}}); r.status != 201 && r.status != 200 {
		t.Fatalf("staging: %d %s", r.status, r.raw)
	}
	r := f.do(req{method: "POST", path: "/v3/stacks/delivery_tokens?create_with_preview_token=true", headers: f.as(Owner), body: dtBody("site", dtScope())})
	if r.status != 201 {
		t.Fatalf("delivery token: %d %s", r.status, r.raw)
	}
	tok := r.body["token"].(map[string]any)
	w.delivery, w.preview = tok["token"].(string), tok["preview_token"].(string)
	w.mgmtRead = mgmtFor(t, f, "read-only", "$all", map[string]any{"read": true})
	role := f.do(req{method: "POST", path: "/v3/roles", headers: f.as(Owner), body: rolePayload("staging publisher",
		ruleBranch("main"),
		map[string]any{"module": "content_type", "content_types": []string{"$all"}, "acl": fullACL()},
		map[string]any{"module": "environment", "environments": []string{"staging"}, "acl": map[string]any{"read": true}})})
	if role.status != 201 {
		t.Fatalf("role: %d %s", role.status, role.raw)
	}
	roleUID := role.body["role"].(map[string]any)["uid"].(string)
	ctx := context.Background()
	u, _, err := f.svc.EnsureUser(ctx, "publisher@example.com", "publisher-password")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.AddMember(ctx, f.stack.UID, u.UID, []string{roleUID}); err != nil {
		t.Fatal(err)
	}
	if _, w.staging, err = f.svc.Login(ctx, "publisher@example.com", "publisher-password"); err != nil {
		t.Fatal(err)
	}
	return w
}

// gateCase is one request a proxy forwards, as the gate sees it: the
// endpoint asked, the original method and URI, and every header (several
// values of one name allowed).
type gateCase struct {
	name     string
	endpoint string // "" = /gate/auth?api=<api>
	api      string
	method   string
	uri      string
	headers  [][2]string
	status   int
	code     int // error_code when not the status's usual one
}

// ask sends a gate case to its endpoint as nginx (X-Original-*) or Caddy
// (X-Forwarded-*) would.
func (w *gateWorld) ask(c gateCase) reply {
	w.t.Helper()
	endpoint := c.endpoint
	if endpoint == "" {
		endpoint = "/gate/auth?api=" + c.api
	}
	hr := httptest.NewRequest("GET", endpoint, nil)
	for _, h := range c.headers {
		hr.Header[h[0]] = append(hr.Header[h[0]], h[1]) // verbatim, not canonicalised
	}
	// The proxy overwrites its own headers, whatever the client sent.
	if strings.HasPrefix(endpoint, "/gate/forward-auth") {
		hr.Header.Set("X-Forwarded-Method", c.method)
		hr.Header.Set("X-Forwarded-Uri", c.uri)
	} else if strings.HasPrefix(endpoint, "/gate/auth") {
		hr.Header.Set("X-Original-Method", c.method)
		hr.Header.Set("X-Original-URI", c.uri)
	}
	rec := httptest.NewRecorder()
	w.srv.ServeHTTP(rec, hr)
	out := reply{status: rec.Code, header: rec.Header(), raw: rec.Body.Bytes()}
	if len(out.raw) > 0 {
		if err := json.Unmarshal(out.raw, &out.body); err != nil {
			w.t.Fatalf("%s: not JSON: %q", c.name, out.raw)
		}
	}
	return out
}

// check sends the same case to POST /gate/check, headers as given.
func (w *gateWorld) check(c gateCase) reply {
	w.t.Helper()
	hs := map[string][]string{}
	for _, h := range c.headers {
		hs[h[0]] = append(hs[h[0]], h[1])
	}
	return w.do(req{method: "POST", path: "/gate/check", body: map[string]any{"api": c.api, "method": c.method, "path": c.uri, "headers": hs}})
}

func h(kv ...string) [][2]string {
	var out [][2]string
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, [2]string{kv[i], kv[i+1]})
	}
	return out
}

// TestGateAttacks is the attack corpus against the gate's parser and
// decision: every case through /gate/auth (or the endpoint it names), and
// the same request through /gate/check, which must agree.
func TestGateAttacks(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		w := newGateWorld(t, open)
		key, dt, pt := w.key, w.delivery, w.preview
		cred := h("api_key", key, "access_token", dt)
		entries := "/v3/content_types/blog/entries"
		prod := entries + "?environment=production"
		with := func(base [][2]string, kv ...string) [][2]string {
			return append(append([][2]string{}, base...), h(kv...)...)
		}
		cm := h("api_key", key, "authtoken", w.tokens[ContentManager])
		ro := h("api_key", key, "authorization", w.mgmtRead)
		cases := []gateCase{
			// The happy paths.
			{name: "delivery token reads production", api: "cda", method: "GET", uri: prod, headers: cred, status: 200},
			{name: "credentials in the query", api: "cda", method: "GET", uri: prod + "&api_key=" + key + "&access_token=" + dt, status: 200},
			{name: "absolute form", api: "cda", method: "GET", uri: "https://cdn.example.com" + prod, headers: cred, status: 200},
			{name: "HEAD is a read", api: "cda", method: "HEAD", uri: prod, headers: cred, status: 200},
			{name: "forward-auth endpoint", endpoint: "/gate/forward-auth?api=cda", api: "cda", method: "GET", uri: prod, headers: cred, status: 200},
			{name: "encoded letters decode", api: "cda", method: "GET", uri: "/v3/content_types/bl%6fg/entries?environment=productio%6e", headers: cred, status: 200},

			// The API named by the proxy decides which credential counts.
			{name: "preview token on the CDA", api: "cda", method: "GET", uri: prod, headers: h("api_key", key, "preview_token", pt), status: 401},
			{name: "delivery token on the preview service", api: "preview", method: "GET", uri: prod, headers: cred, status: 401},
			{name: "preview token on the preview service", api: "preview", method: "GET", uri: prod, headers: h("api_key", key, "preview_token", pt), status: 200},
			{name: "preview path without /v3", api: "preview", method: "GET", uri: "/content_types/blog/entries?environment=production", headers: h("api_key", key, "preview_token", pt), status: 200},
			{name: "live preview: both tokens on the CDA, delivery decides", api: "cda", method: "GET", uri: prod, headers: with(cred, "preview_token", pt, "live_preview", "hash"), status: 200},
			{name: "live preview: both tokens on preview, preview decides", api: "preview", method: "GET", uri: prod, headers: with(cred, "preview_token", pt, "live_preview", "hash"), status: 200},
			{name: "delivery token on the CMA", api: "cma", method: "GET", uri: entries, headers: cred, status: 401},
			{name: "authtoken on the CDA", api: "cda", method: "GET", uri: prod, headers: cm, status: 401},
			{name: "no api", endpoint: "/gate/auth", api: "cda", method: "GET", uri: prod, headers: cred, status: 400},
			{name: "unknown api", endpoint: "/gate/auth?api=cdn", api: "cda", method: "GET", uri: prod, headers: cred, status: 400},
			{name: "repeated api", endpoint: "/gate/auth?api=cda&api=cma", api: "cda", method: "GET", uri: prod, headers: cred, status: 400},
			{name: "client query appended to the gate's", endpoint: "/gate/auth?api=cda&environment=production", api: "cda", method: "GET", uri: prod, headers: cred, status: 400},

			// Each endpoint reads only its proxy's headers.
			{name: "forward-auth ignores X-Original-*", endpoint: "/gate/forward-auth?api=cma", api: "cma", method: "GET", uri: "/v3/content_types/blog",
				headers: with(ro, "X-Original-Method", "GET", "X-Original-URI", "/v3/content_types"), status: 200},
			{name: "spoofed X-Original-* cannot turn a delete into a read", endpoint: "/gate/forward-auth?api=cma", api: "cma", method: "DELETE", uri: "/v3/content_types/blog",
				headers: with(ro, "X-Original-Method", "GET", "X-Original-URI", "/v3/content_types/blog"), status: 403},
			{name: "spoofed X-Forwarded-* cannot turn a delete into a read", api: "cma", method: "DELETE", uri: "/v3/content_types/blog",
				headers: with(ro, "X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/v3/content_types/blog"), status: 403},
			{name: "content manager cannot delete a content type", api: "cma", method: "DELETE", uri: "/v3/content_types/blog", headers: cm, status: 403},

			// The query, decoded as every upstream decodes it.
			{name: "encoded key decides", api: "cda", method: "GET", uri: entries + "?environmen%74=staging", headers: cred, status: 403},
			{name: "repeated environment", api: "cda", method: "GET", uri: prod + "&environment=staging", headers: cred, status: 400},
			{name: "repeated environment, encoded", api: "cda", method: "GET", uri: prod + "&environmen%74=staging", headers: cred, status: 400},
			{name: "variant case", api: "cda", method: "GET", uri: prod + "&Environment=staging", headers: cred, status: 400},
			{name: "bracket key", api: "cda", method: "GET", uri: prod + "&environment[]=staging", headers: cred, status: 400},
			{name: "PHP dot key", api: "cda", method: "GET", uri: prod + "&access.token=cs000000000000000000000000", headers: cred, status: 400},
			{name: "PHP space key", api: "cda", method: "GET", uri: prod + "&api%20key=" + w.other.APIKey, headers: cred, status: 400},
			{name: "control byte in a value", api: "cda", method: "GET", uri: entries + "?environment=production%0d%0aX-Stackgate-Principal:%20owner", headers: cred, status: 400},
			{name: "semicolon separator", api: "cda", method: "GET", uri: prod + ";environment=staging", headers: cred, status: 400},
			{name: "bad escape", api: "cda", method: "GET", uri: prod + "&x=%zz", headers: cred, status: 400},
			{name: "plus decodes to space", api: "cda", method: "GET", uri: entries + "?environment=production+", headers: cred, status: 403},
			{name: "environment header beside a different query", api: "cda", method: "GET", uri: prod, headers: with(cred, "environment", "staging"), status: 400},
			{name: "same environment in header and query", api: "cda", method: "GET", uri: prod, headers: with(cred, "environment", "production"), status: 200},
			{name: "api_key in header and query differ", api: "cda", method: "GET", uri: prod + "&api_key=" + w.other.APIKey, headers: cred, status: 400},
			{name: "access_token in header and query differ", api: "cda", method: "GET", uri: prod + "&access_token=cs000000000000000000000000", headers: cred, status: 400},
			{name: "repeated locale", api: "cma", method: "GET", uri: entries + "?locale=en-us&locale=fr-fr", headers: cm, status: 400},
			{name: "repeated branch", api: "cda", method: "GET", uri: prod + "&branch=main&branch=dev", headers: cred, status: 400},

			// Headers: one of each, in one spelling.
			{name: "two api_key headers", api: "cda", method: "GET", uri: prod, headers: with(cred, "Api_key", w.other.APIKey), status: 400},
			{name: "api-key beside api_key", api: "cda", method: "GET", uri: prod, headers: with(cred, "Api-Key", key), status: 400},
			{name: "two access_token headers", api: "cda", method: "GET", uri: prod, headers: with(cred, "Access_token", dt), status: 400},
			{name: "two authorization headers", api: "cma", method: "GET", uri: entries, headers: with(ro, "Authorization", w.mgmtRead), status: 400},
			{name: "two branch headers", api: "cda", method: "GET", uri: prod, headers: with(cred, "branch", "main", "Branch", "main"), status: 400},
			{name: "Connection names branch", api: "cda", method: "GET", uri: prod, headers: with(cred, "branch", "main", "Connection", "keep-alive, branch"), status: 400},
			{name: "Connection names nothing relevant", api: "cda", method: "GET", uri: prod, headers: with(cred, "Connection", "keep-alive"), status: 200},
			{name: "X-Original-URL", api: "cda", method: "GET", uri: prod, headers: with(cred, "X-Original-Url", "/v3/content_types/x"), status: 400},
			{name: "X-Rewrite-URL", api: "cda", method: "GET", uri: prod, headers: with(cred, "X-Rewrite-Url", "/v3/content_types/x"), status: 400},

			// Method overrides.
			{name: "X-HTTP-Method-Override", api: "cma", method: "GET", uri: "/v3/content_types/blog", headers: with(ro, "X-Http-Method-Override", "DELETE"), status: 400},
			{name: "X-HTTP-Method", api: "cma", method: "GET", uri: "/v3/content_types/blog", headers: with(ro, "X-Http-Method", "DELETE"), status: 400},
			{name: "X-Method-Override", api: "cma", method: "GET", uri: "/v3/content_types/blog", headers: with(ro, "X-Method-Override", "DELETE"), status: 400},
			{name: "_method", api: "cma", method: "GET", uri: "/v3/content_types/blog?_method=DELETE", headers: ro, status: 400},
			{name: "override equal to the method", api: "cma", method: "GET", uri: "/v3/content_types/blog", headers: with(ro, "X-Http-Method-Override", "GET"), status: 200},
			{name: "lower-case method", api: "cma", method: "get", uri: "/v3/content_types/blog", headers: ro, status: 400},

			// Paths that are not canonical.
			{name: "double slash", api: "cda", method: "GET", uri: "/v3//content_types/blog/entries?environment=production", headers: cred, status: 400},
			{name: "dot segment", api: "cda", method: "GET", uri: "/v3/./content_types/blog/entries?environment=production", headers: cred, status: 400},
			{name: "dot-dot segment", api: "cda", method: "GET", uri: "/v3/assets/../content_types/blog/entries?environment=production", headers: cred, status: 400},
			{name: "encoded dots", api: "cda", method: "GET", uri: "/v3/content_types/%2e%2e/entries?environment=production", headers: cred, status: 400},
			{name: "encoded slash", api: "cda", method: "GET", uri: "/v3/content_types/a%2Fb/entries?environment=production", headers: cred, status: 400},
			{name: "double-encoded slash", api: "cda", method: "GET", uri: "/v3/content_types/a%252fb/entries?environment=production", headers: cred, status: 400},
			{name: "encoded backslash", api: "cda", method: "GET", uri: "/v3/content_types/a%5cb/entries?environment=production", headers: cred, status: 400},
			{name: "backslash", api: "cda", method: "GET", uri: "/v3/content_types/a\\b/entries?environment=production", headers: cred, status: 400},
			{name: "matrix parameter", api: "cda", method: "GET", uri: "/v3/content_types/blog;x=y/entries?environment=production", headers: cred, status: 400},
			{name: "encoded NUL", api: "cda", method: "GET", uri: "/v3/content_types/blog%00/entries?environment=production", headers: cred, status: 400},
			{name: "invalid UTF-8", api: "cda", method: "GET", uri: "/v3/content_types/blog%ff/entries?environment=production", headers: cred, status: 400},
			{name: "encoded fullwidth solidus", api: "cda", method: "GET", uri: "/v3/content_types/a%EF%BC%8Fb/entries?environment=production", headers: cred, status: 400},
			{name: ":// inside the path", api: "cma", method: "DELETE", uri: "/v3/x://h/content_types/blog", headers: ro, status: 400},
			{name: "no leading slash", api: "cda", method: "GET", uri: "v3/content_types/blog/entries?environment=production", headers: cred, status: 400},
			{name: "fragment", api: "cda", method: "GET", uri: prod + "#x", headers: cred, status: 400},
			{name: "absolute form with userinfo", api: "cda", method: "GET", uri: "https://u@cdn.example.com" + prod, headers: cred, status: 400},
			{name: "other scheme", api: "cda", method: "GET", uri: "ftp://cdn.example.com" + prod, headers: cred, status: 400},

			// Bodies the gate does not see.
			{name: "publish by a role limited to staging, body unseen", api: "cma", method: "POST", uri: entries + "/bltentry/publish",
				headers: h("api_key", key, "authtoken", w.staging), status: 403},
			{name: "publish naming staging in the query, body unseen", api: "cma", method: "POST", uri: entries + "/bltentry/publish?environment=staging",
				headers: h("api_key", key, "authtoken", w.staging), status: 403},
			{name: "publish by the owner, body unseen", api: "cma", method: "POST", uri: entries + "/bltentry/publish",
				headers: h("api_key", key, "authtoken", w.tokens[Owner]), status: 200},
			{name: "bulk publish by a content manager, body unseen", api: "cma", method: "POST", uri: "/v3/bulk/publish",
				headers: cm, status: 200},

			// Refusals before any rule.
			{name: "no credential", api: "cda", method: "GET", uri: prod, headers: h("api_key", key), status: 401},
			{name: "unknown token", api: "cda", method: "GET", uri: prod, headers: h("api_key", key, "access_token", "cs000000000000000000000000"), status: 401},
			{name: "other stack", api: "cda", method: "GET", uri: prod, headers: h("api_key", w.other.APIKey, "access_token", dt), status: 401},
			{name: "no stack", api: "cda", method: "GET", uri: prod, headers: h("access_token", dt), status: 412},
			{name: "unknown route", api: "cda", method: "GET", uri: "/v3/secret-admin?environment=production", headers: cred, status: 403},
			{name: "no environment", api: "cda", method: "GET", uri: entries, headers: cred, status: 422, code: 141},
			{name: "unknown branch", api: "cda", method: "GET", uri: prod, headers: with(cred, "branch", "nope"), status: 422, code: 905},
			{name: "write with a delivery token", api: "cda", method: "POST", uri: prod, headers: cred, status: 403},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				got := w.ask(c)
				if got.status != c.status {
					t.Fatalf("status %d, want %d: %s", got.status, c.status, got.raw)
				}
				if c.status == 200 {
					if len(got.raw) != 0 || got.header.Get("X-Stackgate-Stack") != key || got.header.Get("X-Stackgate-Principal") == "" ||
						got.header.Get("X-Stackgate-Branch") != "main" {
						t.Fatalf("allow without the trusted headers or with a body: %v %q", got.header, got.raw)
					}
				} else {
					code := map[int]int{400: 400, 401: 105, 403: 316, 412: 109}[c.status]
					if c.code != 0 {
						code = c.code
					}
					wantError(t, got, c.status, code, "")
				}
				if strings.Contains(string(got.raw), dt) || strings.Contains(string(got.raw), pt) {
					t.Fatalf("a token is echoed: %s", got.raw)
				}
				if c.endpoint != "" && !strings.HasPrefix(c.endpoint, "/gate/forward-auth?api=") {
					return // the gate's own URI was wrong: /gate/check has no such thing
				}
				if strings.Contains(c.name, "spoofed") || strings.Contains(c.name, "ignores") {
					return // /gate/check has no proxy headers to ignore
				}
				chk := w.check(c)
				if chk.status != 200 || chk.body["status"] != float64(c.status) || chk.body["allowed"] != (c.status == 200) {
					t.Fatalf("/gate/check disagrees: %s", chk.raw)
				}
			})
		}
	})
}

// TestGateMissingOriginalHeaders: each endpoint refuses a request lacking
// its proxy's headers, even when the other proxy's are present.
func TestGateMissingOriginalHeaders(t *testing.T) {
	f := newFixture(t, testdb.SQLite)
	for _, c := range []struct {
		name, endpoint string
		headers        map[string]string
	}{
		{"auth without X-Original-URI", "/gate/auth?api=cma", map[string]string{"X-Original-Method": "GET"}},
		{"auth without X-Original-Method", "/gate/auth?api=cma", map[string]string{"X-Original-URI": "/v3/roles"}},
		{"auth with only X-Forwarded-*", "/gate/auth?api=cma", map[string]string{"X-Forwarded-Method": "GET", "X-Forwarded-Uri": "/v3/roles"}},
		{"forward-auth with only X-Original-*", "/gate/forward-auth?api=cma", map[string]string{"X-Original-Method": "GET", "X-Original-URI": "/v3/roles"}},
		{"forward-auth without X-Forwarded-Uri", "/gate/forward-auth?api=cma", map[string]string{"X-Forwarded-Method": "GET"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := f.as(Owner)
			for k, v := range c.headers {
				h[k] = v
			}
			wantError(t, f.do(req{method: "GET", path: c.endpoint, headers: h}), 400, 400, "")
		})
	}
}

// TestGateBodyScope: /gate/check with the request's body decides on every
// environment and locale it names, as the proxy listeners do.
func TestGateBodyScope(t *testing.T) {
	w := newGateWorld(t, testdb.SQLite)
	publish := "/v3/content_types/blog/entries/bltentry/publish"
	for _, c := range []struct {
		name    string
		path    string
		body    any
		allowed bool
		status  float64
	}{
		{"staging only", publish, map[string]any{"entry": map[string]any{"environments": []string{"staging"}, "locales": []string{"en-us"}}, "locale": "en-us"}, true, 200},
		{"production too", publish, map[string]any{"entry": map[string]any{"environments": []string{"staging", "production"}}}, false, 403},
		{"no environment", publish, map[string]any{"entry": map[string]any{"locales": []string{"en-us"}}}, false, 403},
		{"bulk on staging", "/v3/bulk/publish", map[string]any{"entries": []any{map[string]any{"uid": "e1", "content_type": "blog", "locale": "en-us"}}, "environments": []string{"staging"}, "locales": []string{"en-us"}}, true, 200},
		{"bulk on production", "/v3/bulk/publish", map[string]any{"entries": []any{map[string]any{"uid": "e1", "content_type": "blog"}}, "environments": []string{"production"}}, false, 403},
		{"repeated key", publish, `{"entry":{"environments":["staging"],"environments":["production"]}}`, false, 400},
		{"variant key", publish, `{"entry":{"environments":["staging"],"Environments":["production"]}}`, false, 400},
		{"wrong type", publish, `{"entry":{"environments":"production"}}`, false, 400},
		{"not an object", publish, `["staging"]`, false, 400},
	} {
		t.Run(c.name, func(t *testing.T) {
			var body any = c.body
			if s, ok := c.body.(string); ok {
				body = json.RawMessage(s)
			}
			got := w.do(req{method: "POST", path: "/gate/check", body: map[string]any{"api": "cma", "method": "POST", "path": c.path,
				"api_key": w.key, "credential": map[string]string{"authtoken": w.staging}, "body": body}})
			if got.status != http.StatusOK || got.body["allowed"] != c.allowed || got.body["status"] != c.status {
				t.Fatalf("%s", got.raw)
			}
		})
	}
}
