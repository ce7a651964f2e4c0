package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func caddyBin(t *testing.T) string {
	for _, p := range []string{"/usr/bin/caddy", "/usr/local/bin/caddy"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("caddy"); err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatal("caddy is not installed: under CI the Caddy test must run (.ci/run installs it)")
	}
	t.Skip("caddy not installed; apt-get install caddy to run the gate-behind-Caddy test")
	return ""
}

// startCaddy runs the README's Caddyfile (HTTP only, admin off, its state
// in a temporary directory).
func startCaddy(t *testing.T, gate string, upstreams map[string]*echo) map[string]string {
	bin := caddyBin(t)
	dir := t.TempDir()
	params, addrs := sitesFor(t, gate, upstreams)
	conf := render(caddyMain, map[string]string{"Dir": dir, "Sites": render(caddySites, params)})
	file := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "run", "--config", file, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_, _ = cmd.Process.Wait()
		if t.Failed() {
			t.Logf("caddy output:\n%s\nCaddyfile:\n%s", out.String(), conf)
		}
	})
	waitListening(t, "caddy", out, addrs)
	return addrs
}

// TestCaddyGate runs the README's Caddyfile (three sites, forward_auth to
// /gate/forward-auth?api=…) in front of echo upstreams.
func TestCaddyGate(t *testing.T) { runProxyCorpus(t, "caddy", external(startCaddy)) }
