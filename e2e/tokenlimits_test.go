package e2e

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestNginxTokenLimits: the README's nginx gate configuration with the
// X-Forwarded-For line the README's token-limits section adds, and
// --trusted-proxies naming nginx: a delivery token's ip_allow holds each
// client to its own address (a forged X-Forwarded-For changes nothing),
// and its rate_limit answers 429 with Retry-After through nginx's
// auth_request, nothing reaching the upstream past it.
func TestNginxTokenLimits(t *testing.T) {
	w := newWorld(t, "--trusted-proxies", "127.0.0.1/32")
	owner := map[string]string{"api_key": w.key, "authtoken": w.owner}
	status, got, _ := call(t, "POST", w.gate.URL+"/v3/stacks/delivery_tokens", owner, map[string]any{"token": map[string]any{
		"name": "kiosk", "rate_limit": 1, "ip_allow": []string{"127.0.0.2"},
		"scope": []any{map[string]any{"module": "environment", "environments": []string{"production"}, "acl": map[string]bool{"read": true}},
			map[string]any{"module": "branch", "branches": []string{"main"}, "acl": map[string]bool{"read": true}}}}})
	if status != 201 {
		t.Fatalf("delivery token: %d %v", status, got)
	}
	token := got["token"].(map[string]any)["token"].(string)

	ups := map[string]*echo{"cda": newEcho(t), "preview": newEcho(t), "cma": newEcho(t)}
	params, addrs := sitesFor(t, strings.TrimPrefix(w.gate.URL, "http://"), ups)
	sites := strings.ReplaceAll(render(nginxSites, params), "proxy_set_header X-Original-URI $request_uri;",
		"proxy_set_header X-Original-URI $request_uri;\n    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;")
	runNginx(t, sites, addrs)

	from := func(ip string) *http.Client {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
		return &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				return d.DialContext(ctx, network, addr)
			}}}
	}
	get := func(c *http.Client, forged string) (int, http.Header, string) {
		req, _ := http.NewRequest("GET", "http://"+addrs["cda"]+"/v3/content_types/blog/entries?environment=production", nil)
		req.Header.Set("api_key", w.key)
		req.Header.Set("access_token", token)
		if forged != "" {
			req.Header.Set("X-Forwarded-For", forged)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	allowed, other := from("127.0.0.2"), from("127.0.0.3")
	if s, _, b := get(other, "127.0.0.2"); s != 403 || !strings.Contains(b, "ip_allow") {
		t.Errorf("another client forging the allowed address: %d %s", s, b)
	}
	if s, _, b := get(allowed, ""); s != 200 {
		t.Errorf("the allowed client: %d %s", s, b)
	}
	// The second request within the second (1 a second): refused.
	if s, h, b := get(allowed, ""); s != 429 || h.Get("Retry-After") != "1" || !strings.Contains(b, `"error_code":429`) {
		t.Errorf("past the rate: %d %v %s", s, h, b)
	}
	if n := len(ups["cda"].take()); n != 1 {
		t.Errorf("the upstream received %d requests, want 1", n)
	}
}
