package stackgate

import "context"

// HealthCheck is one thing a node needs in order to serve: its name
// ("store", "migrations", "disk", "writable", "listener") and, when it
// fails, why (for the log: the reply of /readyz names the check only, in
// http's words).
type HealthCheck struct {
	Name string
	Err  error // nil when it passes
}

// HealthChecker is the optional capability of a store to say whether it can
// serve right now: reachable, its schema current, and able to write.
type HealthChecker interface {
	Health(ctx context.Context) []HealthCheck
}
