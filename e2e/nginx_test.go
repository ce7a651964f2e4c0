package e2e

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func nginxBin(t *testing.T) string {
	for _, p := range []string{"/usr/sbin/nginx", "/usr/bin/nginx"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatal("nginx is not installed: under CI the nginx test must run (.ci/run installs it)")
	}
	t.Skip("nginx not installed; apt-get install nginx to run the gate-behind-nginx test")
	return ""
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// proxyFor starts a proxy (nginx or Caddy) in front of the gate and one
// echo upstream per API, and returns the listen address of each site.
type proxyFor func(t *testing.T, gate string, upstreams map[string]*echo) map[string]string

// external runs a proxy in front of a gate started with no extra flags.
func external(start proxyFor) proxyUnderTest {
	return proxyUnderTest{start: func(t *testing.T, w func(args ...string) *world, ups map[string]*echo) (*world, map[string]string) {
		wd := w()
		return wd, start(t, strings.TrimPrefix(wd.gate.URL, "http://"), ups)
	}}
}

// proxyUnderTest starts a world and the proxy in front of it.
type proxyUnderTest struct {
	start func(t *testing.T, newWorld func(args ...string) *world, upstreams map[string]*echo) (*world, map[string]string)
}

// sitesFor gives each API a free port and its echo upstream.
func sitesFor(t *testing.T, gate string, upstreams map[string]*echo) (proxyParams, map[string]string) {
	p := proxyParams{Gate: gate}
	addrs := map[string]string{}
	for _, api := range []string{"cda", "preview", "cma"} {
		listen := freeAddr(t)
		_, port, _ := net.SplitHostPort(listen)
		p.Sites = append(p.Sites, site{API: api, Listen: listen, Port: port, Upstream: upstreams[api].addr()})
		addrs[api] = listen
	}
	return p, addrs
}

// startNginx runs the README's nginx configuration in the foreground.
func startNginx(t *testing.T, gate string, upstreams map[string]*echo) map[string]string {
	params, addrs := sitesFor(t, gate, upstreams)
	runNginx(t, render(nginxSites, params), addrs)
	return addrs
}

// runNginx runs nginx in the foreground with sites until the test ends,
// once it listens on every address of addrs.
func runNginx(t *testing.T, sites string, addrs map[string]string) {
	bin := nginxBin(t)
	dir := t.TempDir()
	conf := render(nginxMain, map[string]string{"Dir": dir, "Sites": sites})
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir, "-c", filepath.Join(dir, "nginx.conf"))
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_, _ = cmd.Process.Wait()
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx output: %s\nerror.log:\n%s", out.String(), log)
		}
	})
	waitListening(t, "nginx", out, addrs)
}

// waitListening waits until every site accepts connections.
func waitListening(t *testing.T, name string, out *strings.Builder, addrs map[string]string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for _, a := range addrs {
		for {
			c, err := net.Dial("tcp", a)
			if err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s did not listen on %s: %s", name, a, out.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// TestNginxGate runs the README's nginx configuration (three sites:
// api=cda, api=preview, api=cma) in front of echo upstreams; the attack
// corpus runs through it in TestProxyAttacks.
func TestNginxGate(t *testing.T) { runProxyCorpus(t, "nginx", external(startNginx)) }
