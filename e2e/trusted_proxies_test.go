package e2e

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
	"time"
)

// proxyConf is nginx as a plain reverse proxy in front of the API, appending
// the client's address to X-Forwarded-For as nginx does.
const proxyConf = `daemon off;
worker_processes 1;
pid {{.Dir}}/nginx.pid;
error_log {{.Dir}}/error.log warn;
events { worker_connections 128; }
http {
  access_log off;
  client_body_temp_path {{.Dir}}/body; proxy_temp_path {{.Dir}}/proxy;
  fastcgi_temp_path {{.Dir}}/fastcgi; uwsgi_temp_path {{.Dir}}/uwsgi; scgi_temp_path {{.Dir}}/scgi;
  server {
    listen {{.Listen}};
    underscores_in_headers on;
    location / {
      proxy_pass http://{{.Gate}};
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
  }
}
`

// TestTrustedProxies: behind a real nginx and with --trusted-proxies naming
// it, the login backoff keys on each client's own address (nginx appends
// it), not on nginx's, and an X-Forwarded-For the client forges changes
// nothing: one client guessing is slowed, another client is not.
func TestTrustedProxies(t *testing.T) {
	bin := nginxBin(t)
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "sg.db")
	bootstrap(t, nil, db, "owner@example.com", "Proxy Stack")
	gate := serve(t, nil, "--database", db, "--trusted-proxies", "127.0.0.1/32")

	listen := freeAddr(t)
	f, err := os.Create(filepath.Join(dir, "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	err = template.Must(template.New("proxy").Parse(proxyConf)).Execute(f, map[string]string{
		"Dir": dir, "Gate": strings.TrimPrefix(gate.URL, "http://"), "Listen": listen})
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir, "-c", filepath.Join(dir, "nginx.conf"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Signal(os.Interrupt); _, _ = cmd.Process.Wait() })
	waitHealthy(t, "http://"+listen)

	// Two clients on the loopback, from their own addresses.
	from := func(ip string) *http.Client {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
		return &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				return d.DialContext(ctx, network, addr)
			}}}
	}
	attempt := func(c *http.Client, forged string) int {
		req, _ := http.NewRequest("POST", "http://"+listen+"/v3/user-session",
			strings.NewReader(`{"user":{"email":"owner@example.com","password":"wrong-password"}}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", forged)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	a, b := from("127.0.0.2"), from("127.0.0.3")
	for i, forged := range []string{"203.0.113.1", "203.0.113.2", "203.0.113.3"} {
		if s := attempt(a, forged); s != 422 {
			t.Fatalf("attempt %d from 127.0.0.2: %d, want 422", i+1, s)
		}
	}
	if s := attempt(a, "203.0.113.4"); s != 429 {
		t.Fatalf("4th attempt from 127.0.0.2 with a new forged address: %d, want 429 (backoff on the real client)", s)
	}
	if s := attempt(b, "203.0.113.1"); s != 422 {
		t.Fatalf("first attempt from 127.0.0.3: %d, want 422 (not slowed by another client)", s)
	}
}
