package service

import "sync/atomic"

// loginCounters count the logins refused before any password was checked.
type loginCounters struct {
	throttledClient  atomic.Uint64 // the per-(email, client) backoff
	throttledAccount atomic.Uint64 // the account's budget (or the unknown-email tracker)
	busy             atomic.Uint64 // no argon2id slot within --password-queue-wait
}

// LoginStats are the counts of refused logins, for metrics.
type LoginStats struct {
	ThrottledClient, ThrottledAccount, Busy uint64
}

// LoginStats returns the counts since start.
func (s *Service) LoginStats() LoginStats {
	return LoginStats{ThrottledClient: s.logins.throttledClient.Load(),
		ThrottledAccount: s.logins.throttledAccount.Load(), Busy: s.logins.busy.Load()}
}
