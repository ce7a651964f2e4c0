package http_test

import (
	"log/slog"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	sghttp "github.com/stackgate/stackgate/http"
	"github.com/stackgate/stackgate/internal/testdb"
)

func gateHeaders(key, token, client string) map[string]string {
	return map[string]string{"X-Original-Method": "GET", "X-Original-URI": "/v3/content_types/blog/entries?environment=production",
		"api_key": key, "access_token": token, "X-Forwarded-For": client}
}

// TestGateRefusalRate: with --gate-refusal-rate, a client that has earned
// its burst of refusals is refused (429, Retry-After) before its request is
// decided, valid token or not; another client is unaffected.
func TestGateRefusalRate(t *testing.T) {
	f := newFixture(t, testdb.SQLite)
	r := f.do(req{method: "POST", path: "/v3/stacks/delivery_tokens", headers: f.as(Owner), body: dtBody("site", dtScope())})
	if r.status != 201 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	valid := r.body["token"].(map[string]any)["token"].(string)
	f.srv.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("192.0.2.1/32")}
	f.srv.SetGateRefusalRate(1) // bursts of 10
	for range 10 {
		got := f.do(req{method: "GET", path: "/gate/auth?api=cda", headers: gateHeaders(f.stack.APIKey, "cs000000000000000000000000", "198.51.100.1")})
		wantError(t, got, 401, 105, "access_token")
	}
	for _, tok := range []string{"cs000000000000000000000000", valid} {
		got := f.do(req{method: "GET", path: "/gate/auth?api=cda", headers: gateHeaders(f.stack.APIKey, tok, "198.51.100.1")})
		wantError(t, got, 429, 429, "")
		if got.header.Get("Retry-After") != "1" {
			t.Errorf("Retry-After %q", got.header.Get("Retry-After"))
		}
	}
	if got := f.do(req{method: "GET", path: "/gate/auth?api=cda", headers: gateHeaders(f.stack.APIKey, valid, "198.51.100.2")}); got.status != 200 {
		t.Fatalf("another client: %d %s", got.status, got.raw)
	}
	// Allowed requests take nothing from the bucket; off means off.
	f.srv.SetGateRefusalRate(0)
	if got := f.do(req{method: "GET", path: "/gate/auth?api=cda", headers: gateHeaders(f.stack.APIKey, valid, "198.51.100.1")}); got.status != 200 {
		t.Fatalf("limit off: %d %s", got.status, got.raw)
	}
}

// TestRefusalLogSampled: a flood of refusals writes a bounded number of log
// lines, and the metrics still count every refusal, on the gate and on the
// API.
func TestRefusalLogSampled(t *testing.T) {
	f := newFixture(t, testdb.SQLite)
	var logs syncBuffer
	f.srv = sghttp.NewServer(f.svc, f.acc, slog.New(slog.NewTextHandler(&logs, nil)))
	const n = 1000
	for range n {
		f.do(req{method: "GET", path: "/gate/auth?api=cda", headers: gateHeaders(f.stack.APIKey, "cs000000000000000000000000", "")})
		f.do(req{method: "GET", path: "/v3/environments", headers: map[string]string{"api_key": "bltnosuchstack", "authtoken": "x"}})
	}
	lines := strings.Count(logs.String(), "\n")
	if lines > 200 {
		t.Errorf("%d log lines for %d refusals, want at most 200 (sampled)", lines, 2*n)
	}
	if lines < 100 {
		t.Errorf("%d log lines, want the first 100 refusals logged", lines)
	}
	if strings.Contains(logs.String(), "cs000000000000000000000000") {
		t.Error("a token reached the log")
	}
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{`stackgate_http_requests_total{route="/gate/auth",status="401"} 1000`,
		`stackgate_http_requests_total{route="GET /v3/environments",status="412"} 1000`} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestProxyRefusalRate: the proxy listeners apply --gate-refusal-rate too;
// a client past its burst is refused before its request is decided, and
// nothing reaches the upstream.
func TestProxyRefusalRate(t *testing.T) {
	w := newProxyWorld(t, testdb.SQLite, 0)
	w.srv.SetGateRefusalRate(1) // bursts of 10
	prod := w.cdaURL + "/v3/content_types/blog/entries?environment=production"
	for range 10 {
		if status, _, _ := send(t, "GET", prod, h("api_key", w.key, "access_token", "cs000000000000000000000000"), nil); status != 401 {
			t.Fatalf("refusal: %d", status)
		}
	}
	w.cdaUp.take()
	status, hdr, _ := send(t, "GET", prod, h("api_key", w.key, "access_token", w.delivery), nil)
	if status != 429 || hdr.Get("Retry-After") != "1" || len(w.cdaUp.take()) != 0 {
		t.Fatalf("past the burst: %d %v", status, hdr)
	}
}
