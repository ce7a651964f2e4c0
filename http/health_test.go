package http_test

import (
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stackgate/stackgate/access"
	sghttp "github.com/stackgate/stackgate/http"
	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/service"
)

// TestHealthAndReady: /healthz says the process is alive; /readyz names
// every check of the store (the change listener is checked only once a
// server listens: cmd/stackgate's process tests stop the database under it).
func TestHealthAndReady(t *testing.T) {
	want := map[string]map[string]any{
		"sqlite": {"status": "ready", "checks": map[string]any{
			"store": map[string]any{"ok": true}, "migrations": map[string]any{"ok": true}, "disk": map[string]any{"ok": true}}},
		"postgres": {"status": "ready", "checks": map[string]any{
			"store": map[string]any{"ok": true}, "migrations": map[string]any{"ok": true}, "writable": map[string]any{"ok": true}}},
	}
	for name, open := range testdb.Backends() {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			svc := service.New(st, testKeys, service.Config{}, slog.New(slog.DiscardHandler))
			srv := sghttp.NewServer(svc, access.New(st, testKeys, access.Config{}, nil), nil)
			for path, want := range map[string]map[string]any{"/healthz": {"status": "ok"}, "/readyz": want[name]} {
				w := httptest.NewRecorder()
				srv.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
				var got map[string]any
				if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != 200 {
					t.Fatalf("%s: %d %s", path, w.Code, w.Body)
				}
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("%s (-want +got):\n%s", path, d)
				}
			}
		})
	}
}
