package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSystemdUnit: deploy/stackgate.service passes systemd-analyze verify
// (with ExecStart pointed at the built binary) and its hardening scores an
// exposure of at most 2.0 ("OK") in systemd-analyze security.
func TestSystemdUnit(t *testing.T) {
	tool, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Fatal("systemd-analyze is needed (apt-get install systemd)")
	}
	unit, err := os.ReadFile("../deploy/stackgate.service")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(unit), "/usr/local/bin/stackgate", stackgateBin(t))
	path := filepath.Join(t.TempDir(), "stackgate.service")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(tool, "verify", path).CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	if out, err := exec.Command(tool, "security", "--offline=yes", "--threshold=20", path).CombinedOutput(); err != nil {
		t.Fatalf("systemd-analyze security: exposure above 2.0: %v\n%s", err, out)
	}
}
