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
			r.Header.Set("authtoken", f.tokens["developer"])
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

// BenchmarkGateAuth measures /gate/auth through the router for a member's
// authtoken on a cache hit: no store round-trip at all.
func BenchmarkGateAuth(b *testing.B) {
	f := newFixture(b, testdb.SQLite)
	r := httptest.NewRequest("GET", "/gate/auth", nil)
	r.Header.Set("api_key", f.stack.APIKey)
	r.Header.Set("authtoken", f.tokens["developer"])
	r.Header.Set("X-Original-Method", "GET")
	r.Header.Set("X-Original-URI", "/v3/content_types/blog/entries?locale=en-us")
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		f.srv.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
