package e2e

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeProxyConfigs: the README's nginx configuration, Caddyfile and
// Traefik configuration are the ones TestNginxGate, TestCaddyGate and
// TestTraefikGate run, rendered with the README's addresses (readmeParams),
// so the two cannot drift apart.
func TestReadmeProxyConfigs(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ lang, text string }{
		{"nginx", render(nginxSites, readmeParams)},
		{"caddyfile", render(caddySites, readmeParams)},
		{"yaml", render(traefikStatic, traefikParams{readmeParams, readmeTraefikDynamic})},
		{"yaml", render(traefikDynamic, readmeParams)},
	} {
		block := "```" + c.lang + "\n" + strings.TrimLeft(c.text, "\n") + "```\n"
		if !strings.Contains(string(readme), block) {
			t.Errorf("README.md lacks the %s configuration the e2e tests run; it should hold, verbatim:\n%s", c.lang, block)
		}
	}
}
