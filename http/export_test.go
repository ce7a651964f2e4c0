package http

import "time"

// SetCMARateLimitClock replaces the clock of --cma-rate-limit's buckets, so
// that a test steps time instead of waiting for it.
func SetCMARateLimitClock(s *Server, now func() time.Time) { s.cmaLimit.now = now }
