package service

import (
	"context"
	"errors"

	"github.com/stackgate/stackgate"
)

// The states of the change listener (Service.Listen).
const (
	listenerUnstarted int32 = iota // Listen not called: a tool, not a server
	listenerUp
	listenerDown // lost: the cache is bypassed until it listens again
)

var errListenerDown = errors.New("the change listener is not connected (reconnecting); the cache is bypassed")

// Health reports what this node needs to serve: the store's own checks
// (reachable, schema current, writable) and, on a server, whether the
// change listener is connected. A node whose listener is down still
// answers correctly (its cache is bypassed), but every request then costs
// a store round trip, and a load balancer should prefer its peers.
func (s *Service) Health(ctx context.Context) []stackgate.HealthCheck {
	var checks []stackgate.HealthCheck
	if h, ok := s.store.(stackgate.HealthChecker); ok {
		checks = h.Health(ctx)
	}
	if _, ok := s.store.(stackgate.ChangeListener); ok {
		switch s.listener.Load() {
		case listenerUp:
			checks = append(checks, stackgate.HealthCheck{Name: "listener"})
		case listenerDown:
			checks = append(checks, stackgate.HealthCheck{Name: "listener", Err: errListenerDown})
		}
	}
	return checks
}
