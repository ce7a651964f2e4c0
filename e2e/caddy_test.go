package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func caddyBin(t *testing.T) string {
	return proxyBin(t, "caddy", []string{"/usr/bin/caddy", "/usr/local/bin/caddy"}, ".ci/run installs it",
		"apt-get install caddy to run the gate-behind-Caddy test")
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
	out := startProxy(t, "caddy", cmd, func() string { return "Caddyfile:\n" + conf })
	waitListening(t, "caddy", out, addrs)
	return addrs
}

// TestCaddyGate runs the README's Caddyfile (three sites, forward_auth to
// /gate/forward-auth?api=…) in front of echo upstreams.
func TestCaddyGate(t *testing.T) { runProxyCorpus(t, "caddy", external(startCaddy)) }
