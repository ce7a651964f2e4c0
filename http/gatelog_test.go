package http_test

import (
	"strings"
	"testing"

	"github.com/stackgate/stackgate/internal/testdb"
)

// TestGateRefusalLogLine: a refusal's line names the client and the
// original method and path, from whichever way the gate was asked, and
// never a credential or anything of the query.
func TestGateRefusalLogLine(t *testing.T) {
	w := newProxyWorld(t, testdb.SQLite, 0)
	const bad = "cs0000000000000000000000000badtoken"
	const path = "/v3/content_types/blog/entries"
	query := "?environment=production&access_token=" + bad
	for _, c := range []struct {
		name, url string
		headers   [][2]string
		route     string
	}{
		{"nginx auth_request", w.mainURL + "/gate/auth?api=cda", h("api_key", w.key, "access_token", bad,
			"X-Original-Method", "GET", "X-Original-URI", path+query), "route=/gate/auth"},
		{"forward auth", w.mainURL + "/gate/forward-auth?api=cda", h("api_key", w.key, "access_token", bad,
			"X-Forwarded-Method", "GET", "X-Forwarded-Uri", path+query), "route=/gate/forward-auth"},
		{"proxy listener", w.cdaURL + path + query, h("api_key", w.key), `route="proxy cda"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := len(w.logs.String())
			if status, _, _ := send(t, "GET", c.url, c.headers, nil); status < 400 {
				t.Fatalf("status %d, want a refusal", status)
			}
			line := w.logs.String()[before:]
			for _, want := range []string{"gate refused", c.route, "client=127.0.0.1", "original_method=GET", "original_path=" + path} {
				if !strings.Contains(line, want) {
					t.Errorf("the line lacks %q:\n%s", want, line)
				}
			}
			for _, never := range []string{bad, "environment=production", "access_token="} {
				if strings.Contains(line, never) {
					t.Errorf("the line holds %q:\n%s", never, line)
				}
			}
		})
	}
}

// TestRequestIDKept: a well-formed incoming X-Request-Id is the request's
// id (echoed, and in the access log); anything else is replaced.
func TestRequestIDKept(t *testing.T) {
	w := newProxyWorld(t, testdb.SQLite, 0)
	for _, c := range []struct {
		name string
		in   []string
		kept bool
	}{
		{"uuid", []string{"6f1c2a52-4e0b-4a4c-9d7e-1f3c3b2a9e10"}, true},
		{"nginx request_id", []string{"0f3b9c4e1d2a8b7c6d5e4f3a2b1c0d9e"}, true},
		{"with a space", []string{"a b"}, false},
		{"log injection", []string{"x\" msg=forged"}, false},
		{"too long", []string{strings.Repeat("a", 129)}, false},
		{"two of them", []string{"a1", "b2"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			headers := h("api_key", w.key, "authorization", w.mgmtRead)
			for _, v := range c.in {
				headers = append(headers, [2]string{"X-Request-Id", v})
			}
			_, hdr, _ := send(t, "GET", w.mainURL+"/v3/environments", headers, nil)
			got := hdr.Get("X-Request-Id")
			if (got == c.in[0]) != c.kept || got == "" {
				t.Fatalf("X-Request-Id %q for %q, kept want %v", got, c.in, c.kept)
			}
			if c.kept && !strings.Contains(w.logs.String(), "request_id="+c.in[0]) {
				t.Fatalf("the access log lacks the kept id:\n%s", w.logs.String())
			}
		})
	}
}
