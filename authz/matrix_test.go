package authz_test

import (
	"strings"
	"testing"

	"github.com/stackgate/stackgate/authz/authztest"
)

// TestMatrix runs every case of testdata/matrix.json against the engine.
func TestMatrix(t *testing.T) {
	m, err := authztest.Load("testdata/matrix.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Cases) < 250 {
		t.Fatalf("the matrix has %d cases; it must keep at least 250", len(m.Cases))
	}
	for _, c := range m.Cases {
		t.Run(c.Name, func(t *testing.T) {
			d, err := m.Decide(c)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed != c.Allowed {
				t.Fatalf("allowed = %v, want %v (reason %q)", d.Allowed, c.Allowed, d.Reason)
			}
			if d.Reason == "" {
				t.Fatal("a decision without a reason")
			}
			if c.Reason != "" && !strings.Contains(d.Reason, c.Reason) {
				t.Fatalf("reason %q does not mention %q", d.Reason, c.Reason)
			}
			if c.Source != "" && (d.Rule == nil || d.Rule.Source != c.Source) {
				t.Fatalf("rule = %+v, want source %q", d.Rule, c.Source)
			}
		})
	}
}
