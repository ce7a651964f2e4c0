package e2e

import (
	"strings"
	"testing"
)

// stackgateListeners is stackgate as the enforcing reverse proxy: the CDA
// and preview listeners and --cma-upstream on the main listener.
var stackgateListeners = proxyUnderTest{start: func(t *testing.T, newWorld func(args ...string) *world, ups map[string]*echo) (*world, map[string]string) {
	cda, preview := freeAddr(t), freeAddr(t)
	w := newWorld("--cda-addr", cda, "--cda-upstream", ups["cda"].srv.URL, "--preview-addr", preview,
		"--preview-upstream", ups["preview"].srv.URL, "--cma-upstream", ups["cma"].srv.URL)
	return w, map[string]string{"cda": cda, "preview": preview, "cma": strings.TrimPrefix(w.gate.URL, "http://")}
}}

// TestListenerGate runs the attack corpus through stackgate's own proxy
// listeners, which also see bodies.
func TestListenerGate(t *testing.T) { runProxyCorpus(t, "stackgate", stackgateListeners) }
