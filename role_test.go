package stackgate_test

import (
	"testing"

	"github.com/stackgate/stackgate"
)

func TestTokenValues(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		v := stackgate.NewTokenValue()
		if len(v) != 26 || v[:2] != "cs" {
			t.Fatalf("token %q is not cs + 24 hex", v)
		}
		for _, c := range v[2:] {
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				t.Fatalf("token %q is not lowercase hex", v)
			}
		}
		if seen[v] {
			t.Fatal("duplicate token value")
		}
		seen[v] = true
	}
}
