package http_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stackgate/stackgate/internal/testdb"
)

// BenchmarkEnvironmentList measures an authenticated GET /v3/environments
// through the real router: authentication and authorization come from the
// cache; the list itself is read from the store.
func BenchmarkEnvironmentList(b *testing.B) {
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			f := newFixture(b, testdb.Backends()[name])
			r := httptest.NewRequest("GET", "/v3/environments", nil)
			r.Header.Set("api_key", f.stack.APIKey)
			r.Header.Set("authtoken", f.tokens[Developer])
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				f.srv.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}

// gateWriter is a reusable ResponseWriter, so that a benchmark counts the
// gate's allocations, not a recorder's.
type gateWriter struct {
	h      http.Header
	status int
}

func (w *gateWriter) Header() http.Header         { return w.h }
func (w *gateWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *gateWriter) WriteHeader(status int)      { w.status = status }

// benchGate drives r through Server.ServeHTTP — the handler Open installs,
// so the gate's fast path as the binary serves it — and requires status.
func benchGate(b *testing.B, srv http.Handler, r *http.Request, status int) {
	w := &gateWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		w.status = 0
		srv.ServeHTTP(w, r)
		if w.status != status {
			b.Fatalf("status %d, want %d", w.status, status)
		}
	}
}

// BenchmarkGateAuth measures /gate/auth (nginx auth_request) through the
// installed handler on a cache hit: no store round-trip at all.
//   - cma: a member's authtoken, asked about a CMA entries read;
//   - cda: a delivery token, asked about a CDA entries read in its
//     environment;
//   - cda-preview-too: the same with the preview token the Delivery SDK
//     sends beside it under Live Preview (ignored on api=cda);
//   - cda-unknown: an unknown delivery token (401): the miss is remembered
//     after the first store lookup.
func BenchmarkGateAuth(b *testing.B) {
	f := newFixture(b, testdb.SQLite)
	created := f.do(req{method: "POST", path: "/v3/stacks/delivery_tokens?create_with_preview_token=true",
		headers: f.as(Owner), body: dtBody("site", dtScope())})
	if created.status != 201 {
		b.Fatalf("delivery token: %d %s", created.status, created.raw)
	}
	tok := created.body["token"].(map[string]any)
	delivery, preview := tok["token"].(string), tok["preview_token"].(string)
	gate := func(api string, uri string, headers ...string) *http.Request {
		r := httptest.NewRequest("GET", "/gate/auth?api="+api, nil)
		r.Header.Set("X-Original-Method", "GET")
		r.Header.Set("X-Original-URI", uri)
		r.Header.Set("api_key", f.stack.APIKey)
		for i := 0; i < len(headers); i += 2 {
			r.Header.Set(headers[i], headers[i+1])
		}
		return r
	}
	entries := "/v3/content_types/blog/entries"
	b.Run("cma", func(b *testing.B) {
		benchGate(b, f.srv, gate("cma", entries+"?locale=en-us", "authtoken", f.tokens[Developer]), http.StatusOK)
	})
	b.Run("cda", func(b *testing.B) {
		benchGate(b, f.srv, gate("cda", entries+"?environment=production", "access_token", delivery), http.StatusOK)
	})
	b.Run("cda-preview-too", func(b *testing.B) {
		benchGate(b, f.srv, gate("cda", entries+"?environment=production", "access_token", delivery,
			"preview_token", preview), http.StatusOK)
	})
	b.Run("cda-unknown", func(b *testing.B) {
		benchGate(b, f.srv, gate("cda", entries+"?environment=production", "access_token", "cs000000000000000000000000"),
			http.StatusUnauthorized)
	})
}
