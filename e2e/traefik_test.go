package e2e

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
	"time"
)

// traefikBin is the Traefik that .ci/run builds with .ci/traefik.sh (not
// packaged in Debian), named by STACKGATE_TEST_TRAEFIK, or one on PATH.
func traefikBin(t *testing.T) string {
	var paths []string
	if p := os.Getenv("STACKGATE_TEST_TRAEFIK"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("STACKGATE_TEST_TRAEFIK: %v", err)
		}
		paths = []string{p}
	}
	return proxyBin(t, "traefik", paths, ".ci/run builds it with .ci/traefik.sh and sets STACKGATE_TEST_TRAEFIK",
		"export STACKGATE_TEST_TRAEFIK=$(bash .ci/traefik.sh) to run the gate-behind-Traefik test")
}

// traefikStatic is the README's static configuration: one entry point per
// API and the file provider reading traefikDynamic from Dynamic.
var traefikStatic = template.Must(template.New("traefik").Parse(strings.TrimLeft(`
# traefik.yml, the static configuration: an entry point per API. Client
# X-Forwarded-* headers are dropped at the entry points (no forwardedHeaders
# trustedIPs), so what Traefik tells the gate is its own.
global:
  checkNewVersion: false
  sendAnonymousUsage: false
entryPoints:
{{- range .Sites}}
  {{.API}}:
    address: ":{{.Port}}"
{{- end}}
providers:
  file:
    filename: {{.Dynamic}}
`, "\n")))

// traefikDynamic is the README's dynamic configuration (file provider): per
// API a router, forwardAuth to /gate/forward-auth?api=… and the upstream.
// forwardAuth sends the gate every client header (no authRequestHeaders:
// the gate refuses repeats and other spellings it must see) and its own
// X-Forwarded-Method and X-Forwarded-Uri (trustForwardHeader false: never
// the client's). authResponseHeaders replaces the client's copies of the
// gate's four headers with the gate's (deleting one the gate did not send);
// authResponseHeadersRegex deletes every other client X-Stackgate-*
// (X-Stackgate-Admin), which nginx cannot.
var traefikDynamic = template.Must(template.New("traefik-dynamic").Parse(strings.TrimLeft(`
# stackgate.yml, the dynamic configuration (file provider).
http:
  routers:
{{- range .Sites}}
    {{.API}}:
      entryPoints: ["{{.API}}"]
      rule: "PathPrefix(`+"`/`"+`)"
      middlewares: ["stackgate-{{.API}}"]
      service: "{{.API}}"
{{- end}}
  # The gate sees every client header (no authRequestHeaders) and Traefik's
  # own X-Forwarded-Method and -Uri (trustForwardHeader false: never the
  # client's). The gate's four headers replace the client's (one it did not
  # send is deleted); any other client X-Stackgate-* is deleted too.
  middlewares:
{{- range .Sites}}
    stackgate-{{.API}}:
      forwardAuth:
        address: "http://{{$.Gate}}/gate/forward-auth?api={{.API}}"
        trustForwardHeader: false
        authResponseHeaders: ["X-Stackgate-Stack", "X-Stackgate-Principal", "X-Stackgate-Branch", "X-Stackgate-Environment"]
        authResponseHeadersRegex: "(?i)^x[^a-z0-9]stackgate[^a-z0-9]"
{{- end}}
  services:
{{- range .Sites}}
    {{.API}}:
      loadBalancer:
        servers:
          - url: "http://{{.Upstream}}"
{{- end}}
`, "\n")))

// traefikParams fill traefikStatic: the sites and the dynamic file's path.
type traefikParams struct {
	proxyParams
	Dynamic string
}

// readmeTraefikDynamic is where the README's static configuration looks for
// the dynamic one.
const readmeTraefikDynamic = "/etc/traefik/stackgate.yml"

// startTraefik runs the README's Traefik configuration (plus an error-only
// log) until the test ends, once every site routes to the gate.
func startTraefik(t *testing.T, gate string, upstreams map[string]*echo) map[string]string {
	bin := traefikBin(t)
	dir := t.TempDir()
	params, addrs := sitesFor(t, gate, upstreams)
	dynamic := filepath.Join(dir, "stackgate.yml")
	static := render(traefikStatic, traefikParams{params, dynamic}) + "log:\n  level: ERROR\n"
	if err := os.WriteFile(dynamic, []byte(render(traefikDynamic, params)), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "traefik.yml")
	if err := os.WriteFile(file, []byte(static), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--configFile="+file)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir)
	out := startProxy(t, "traefik", cmd, func() string {
		dyn, _ := os.ReadFile(dynamic)
		return "traefik.yml:\n" + static + "stackgate.yml:\n" + string(dyn)
	})
	waitListening(t, "traefik", out, addrs)
	// Traefik listens before the file provider's routers are in place; until
	// then it answers 404 itself.
	deadline := time.Now().Add(15 * time.Second)
	for api, a := range addrs {
		for {
			resp, err := http.Get("http://" + a + "/v3/content_types")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound || !strings.HasPrefix(string(body), "404 page not found") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("traefik's %s site does not route: %s", api, out.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return addrs
}

// TestTraefikGate runs the README's Traefik configuration (an entry point
// per API, forwardAuth to /gate/forward-auth?api=…) in front of echo
// upstreams, through the attack corpus.
func TestTraefikGate(t *testing.T) {
	traefikBin(t) // skip or fail before the world is built
	runProxyCorpus(t, "traefik", external(startTraefik))
}
