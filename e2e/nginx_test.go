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
	return proxyBin(t, "nginx", []string{"/usr/sbin/nginx", "/usr/bin/nginx"}, ".ci/run installs it",
		"apt-get install nginx to run the gate-behind-nginx test")
}

// proxyBin finds a proxy's binary at one of paths or on PATH. Under CI a
// missing one fails the test (ci says how CI provides it); elsewhere the
// test is skipped (hint says how to run it).
func proxyBin(t *testing.T, name string, paths []string, ci, hint string) string {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("no %s: under CI the %s test must run (%s)", name, name, ci)
	}
	t.Skipf("no %s; %s", name, hint)
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
	out := startProxy(t, "nginx", exec.Command(bin, "-p", dir, "-c", filepath.Join(dir, "nginx.conf")), func() string {
		log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		return "error.log:\n" + string(log)
	})
	waitListening(t, "nginx", out, addrs)
}

// startProxy starts a proxy's process, which is stopped when the test
// ends; if the test failed, its output is logged with what onFail returns.
func startProxy(t *testing.T, name string, cmd *exec.Cmd, onFail func() string) *strings.Builder {
	t.Helper()
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_, _ = cmd.Process.Wait()
		if t.Failed() {
			t.Logf("%s output:\n%s\n%s", name, out.String(), onFail())
		}
	})
	return out
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
