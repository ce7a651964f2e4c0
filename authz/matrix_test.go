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
	allowed := 0
	for _, c := range m.Cases {
		if c.Allowed {
			allowed++
		}
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
			if d.Allowed && d.Rule == nil {
				t.Fatalf("an allow that names no rule (reason %q)", d.Reason)
			}
			if c.Reason != "" && !strings.Contains(d.Reason, c.Reason) {
				t.Fatalf("reason %q does not mention %q", d.Reason, c.Reason)
			}
			if c.Source != "" && (d.Rule == nil || d.Rule.Source != c.Source) {
				t.Fatalf("rule = %+v, want source %q", d.Rule, c.Source)
			}
		})
	}
	// A matrix that only allows (or only denies) proves little.
	if allowed < len(m.Cases)/4 || allowed > len(m.Cases)*3/4 {
		t.Fatalf("%d of %d cases allow: the matrix is lopsided", allowed, len(m.Cases))
	}
}

// TestMatrixAllocations: once a principal is compiled, no decision of the
// matrix allocates, allowed or denied, whatever the principal.
func TestMatrixAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("measures allocations")
	}
	m, err := authztest.Load("testdata/matrix.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range m.Cases {
		decide, err := m.Compile(c)
		if err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(20, func() { _ = decide() }); n != 0 {
			t.Errorf("%s: %v allocations per decision", c.Name, n)
		}
	}
}
