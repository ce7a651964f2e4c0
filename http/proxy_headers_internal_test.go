package http

import "testing"

// Every spelling of a gate header an upstream could read as the gate's is
// stripped from what a client sent before the proxy sets its own.
func TestIsGateHeader(t *testing.T) {
	for name, want := range map[string]bool{
		"X-Stackgate-Principal": true, "X_Stackgate_Principal": true, "X-Stackgate_Stack": true,
		"X_stackgate-Branch": true, "X-STACKGATE-ENVIRONMENT": true, "x_stackgate_admin": true,
		"X-Stackgate-": false, "X-Stackgate": false, "X-Stackgates-Principal": false, "Stackgate-Principal": false,
		"X-Stackgatf-Principal": false, "": false, "X.Stackgate.Principal": true, "X-Stackgate1Principal": false,
	} {
		if got := isGateHeader(name); got != want {
			t.Errorf("isGateHeader(%q) = %v, want %v", name, got, want)
		}
	}
}
