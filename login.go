package stackgate

import "time"

// LoginPolicy spaces out password attempts made on one key: an account (kept
// by the store, shared by every node) or an account seen from one client (kept
// in memory by each node). The first Free attempts since the count last
// restarted are immediate; each further attempt must wait Base, then twice as
// long, and so on up to Max. An attempt is counted when it is reserved, before
// the password is verified, so concurrent guessers share one budget; a
// successful login restarts the count, and so does a quiet period of Forget
// since the last attempt was allowed.
//
// The policy only ever delays: whoever floods an account with wrong passwords
// makes its owner wait at most Max for an attempt, never longer.
type LoginPolicy struct {
	Free   int
	Base   time.Duration
	Max    time.Duration
	Forget time.Duration
}

// LoginAttempt is the outcome of reserving a login attempt.
type LoginAttempt struct {
	Allowed  bool      // the password may be verified now
	Failures int       // attempts counted since the count last restarted, this one included
	RetryAt  time.Time // when not Allowed: the earliest time an attempt may be made
}

// Reserve decides an attempt at now on a key whose state is failures (attempts
// counted) and next (no attempt before it; it is also when the last attempt
// was allowed, or later), and returns the key's new state. It is the one rule
// both the stores and the in-memory trackers apply.
func (p LoginPolicy) Reserve(failures int, next, now time.Time) (a LoginAttempt, newFailures int, newNext time.Time) {
	if failures > 0 && p.Forget > 0 && !now.Before(next.Add(p.Forget)) {
		failures = 0
	}
	if now.Before(next) {
		return LoginAttempt{Failures: failures, RetryAt: next}, failures, next
	}
	failures++
	newNext = now
	if failures >= p.Free {
		newNext = now.Add(p.Delay(failures))
	}
	return LoginAttempt{Allowed: true, Failures: failures}, failures, newNext
}

// Delay is how long the key waits after its failures-th counted attempt.
func (p LoginPolicy) Delay(failures int) time.Duration {
	if failures < p.Free {
		return 0
	}
	d := p.Base
	for i := p.Free; i < failures && d < p.Max; i++ {
		d *= 2
	}
	return min(d, p.Max)
}
