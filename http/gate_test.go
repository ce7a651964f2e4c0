package http_test

import (
	"testing"

	"github.com/stackgate/stackgate/internal/testdb"
)

// TestGateForwardAuth covers how proxies ask: nginx and Traefik headers,
// query-string credentials, absolute-form URIs, and paths that could mean
// something else upstream.
func TestGateForwardAuth(t *testing.T) {
	f := newFixture(t, testdb.SQLite)
	r := f.do(req{method: "POST", path: "/v3/stacks/delivery_tokens", headers: f.as("owner"), body: dtBody("site", dtScope())})
	if r.status != 201 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	tok := r.body["token"].(map[string]any)
	value := tok["token"].(string)
	key := f.stack.APIKey
	entries := "/v3/content_types/blog/entries?environment=production"
	for _, c := range []struct {
		name    string
		headers map[string]string
		status  int
	}{
		{"nginx headers", map[string]string{"X-Original-Method": "GET", "X-Original-URI": entries, "api_key": key, "access_token": value}, 200},
		{"traefik headers", map[string]string{"X-Forwarded-Method": "GET", "X-Forwarded-Uri": entries, "api_key": key, "access_token": value}, 200},
		{"credentials in the query", map[string]string{"X-Original-Method": "GET", "X-Original-URI": entries + "&api_key=" + key + "&access_token=" + value}, 200},
		{"absolute-form URI", map[string]string{"X-Original-Method": "GET", "X-Original-URI": "https://cdn.example.com" + entries, "api_key": key, "access_token": value}, 200},
		{"HEAD is a read", map[string]string{"X-Original-Method": "HEAD", "X-Original-URI": entries, "api_key": key, "access_token": value}, 200},
		{"write refused", map[string]string{"X-Original-Method": "POST", "X-Original-URI": entries, "api_key": key, "access_token": value}, 403},
		{"encoded slash", map[string]string{"X-Original-Method": "GET", "X-Original-URI": "/v3/content_types/a%2Fb/entries?environment=production", "api_key": key, "access_token": value}, 403},
		{"encoded dots", map[string]string{"X-Original-Method": "GET", "X-Original-URI": "/v3/content_types/%2e%2e/entries?environment=production", "api_key": key, "access_token": value}, 403},
		{"unknown route", map[string]string{"X-Original-Method": "GET", "X-Original-URI": "/v3/secret-admin?environment=production", "api_key": key, "access_token": value}, 403},
		{"no environment", map[string]string{"X-Original-Method": "GET", "X-Original-URI": "/v3/content_types/blog/entries", "api_key": key, "access_token": value}, 403},
		{"alias branch header", map[string]string{"X-Original-Method": "GET", "X-Original-URI": entries, "api_key": key, "access_token": value, "branch": "nope"}, 403},
		{"no credential", map[string]string{"X-Original-Method": "GET", "X-Original-URI": entries, "api_key": key}, 401},
		{"unknown token", map[string]string{"X-Original-Method": "GET", "X-Original-URI": entries, "api_key": key, "access_token": "cs000000000000000000000000"}, 401},
		{"both delivery and preview token", map[string]string{"X-Original-Method": "GET", "X-Original-URI": entries, "api_key": key, "access_token": value, "preview_token": value}, 401},
		{"other stack", map[string]string{"X-Original-Method": "GET", "X-Original-URI": entries, "api_key": f.other.APIKey, "access_token": value}, 401},
		{"no stack", map[string]string{"X-Original-Method": "GET", "X-Original-URI": entries, "access_token": value}, 412},
		{"member authtoken on a CMA route", map[string]string{"X-Original-Method": "POST", "X-Original-URI": "/v3/content_types/blog/entries", "api_key": key, "authtoken": f.tokens["content_manager"]}, 200},
		{"member authtoken refused a schema change", map[string]string{"X-Original-Method": "PUT", "X-Original-URI": "/v3/content_types/blog", "api_key": key, "authtoken": f.tokens["content_manager"]}, 403},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := f.do(req{method: "GET", path: "/gate/auth", headers: c.headers})
			if got.status != c.status {
				t.Fatalf("status %d, want %d: %s", got.status, c.status, got.raw)
			}
			if c.status == 200 {
				if len(got.raw) != 0 || got.header.Get("X-Stackgate-Stack") != key || got.header.Get("X-Stackgate-Principal") == "" {
					t.Fatalf("allow without the trusted headers or with a body: %v %q", got.header, got.raw)
				}
			} else {
				wantError(t, got, c.status, map[int]int{401: 105, 403: 316, 412: 109}[c.status], "")
			}
		})
	}
	t.Run("check explains", func(t *testing.T) {
		got := f.do(req{method: "POST", path: "/gate/check", body: map[string]any{"api_key": key, "credential": map[string]string{"access_token": value},
			"method": "GET", "path": "/v3/content_types/blog/entries", "environment": "staging"}})
		if got.status != 200 || got.body["allowed"] != false || got.body["status"] != float64(403) || got.body["reason"] == "" {
			t.Fatalf("%s", got.raw)
		}
		got = f.do(req{method: "POST", path: "/gate/check", body: map[string]any{"api_key": key, "credential": map[string]string{"access_token": value},
			"method": "GET", "path": "/v3/content_types/blog/entries", "environment": "production"}})
		rule, _ := got.body["rule"].(map[string]any)
		if got.body["allowed"] != true || rule == nil || rule["source"] == nil || got.body["principal"].(map[string]any)["kind"] != "delivery_token" {
			t.Fatalf("%s", got.raw)
		}
		got = f.do(req{method: "POST", path: "/gate/check", body: map[string]any{"api_key": "bltnope", "credential": map[string]string{"access_token": value},
			"method": "GET", "path": "/v3/content_types/blog/entries"}})
		if got.body["allowed"] != false || got.body["status"] != float64(412) {
			t.Fatalf("%s", got.raw)
		}
	})
}
