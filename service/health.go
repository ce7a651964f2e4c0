package service

import (
	"context"

	"github.com/stackgate/stackgate"
)

// Health reports what the store says of itself: reachable, schema current,
// writable (the change listener's state is access.Checker's).
func (s *Service) Health(ctx context.Context) []stackgate.HealthCheck {
	if h, ok := s.store.(stackgate.HealthChecker); ok {
		return h.Health(ctx)
	}
	return nil
}
