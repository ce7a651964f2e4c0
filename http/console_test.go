package http_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stackgate/stackgate/console"
	sghttp "github.com/stackgate/stackgate/http"
	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/service"
)

// TestConsoleMounted: the handler Open installs serves the console at
// /console (with its headers) and leaves the API's own replies alone.
func TestConsoleMounted(t *testing.T) {
	svc, acc := newServices(testdb.SQLite(t), service.Config{})
	srv := sghttp.NewServer(svc, acc, slog.New(slog.DiscardHandler))
	for _, tc := range []struct {
		method, path string
		status       int
		console      bool // a console reply (its CSP), not the API's
	}{
		{"GET", "/console", 200, true},
		{"GET", "/console/roles/new", 200, true},
		{"GET", "/console/assets/app.js", 200, true},
		{"POST", "/console/", 405, true},
		{"GET", "/consolex", 404, false},
		{"GET", "/v3/console", 404, false},
		{"GET", "/healthz", 200, false},
	} {
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, nil))
		if w.Code != tc.status {
			t.Errorf("%s %s: status %d, want %d", tc.method, tc.path, w.Code, tc.status)
		}
		if got := w.Header().Get("Content-Security-Policy") == console.CSP; got != tc.console {
			t.Errorf("%s %s: console CSP %v, want %v", tc.method, tc.path, got, tc.console)
		}
		if !tc.console && tc.status == 404 {
			var body struct {
				Code int `json:"error_code"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Code != http.StatusNotFound {
				t.Errorf("%s %s: not the API's 404 JSON: %s", tc.method, tc.path, w.Body)
			}
		}
	}
}
