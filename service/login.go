package service

import (
	"context"
	"crypto/sha256"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/secret"
)

// Login protection (README "Security" says what it allows per hour):
//
//   - Each (email, client address) pair is spaced out by loginClientPolicy,
//     in this node's memory: one client guessing one account slows down
//     exponentially, while the owner, from another address, is unaffected.
//   - Each account is spaced out by loginAccountPolicy, in the store
//     (ReserveLoginAttempt: atomic, shared by every node), against guessers
//     spread over many addresses. It only ever delays, by at most its Max.
//   - An email without an account gets the same treatment from an in-memory
//     tracker with the account policy, so status, body and Retry-After never
//     tell whether an account exists.
//   - Attempts are counted when reserved, before the password is verified, so
//     concurrent guessers cannot exceed the budget.
//   - argon2id runs at most Config.PasswordConcurrency at a time; a login that
//     waits longer than Config.PasswordQueueWait for its turn gets 503 with
//     Retry-After (so memory stays bounded: 19 MiB per running hash).

var (
	errLogin = &stackgate.Error{Code: stackgate.ELOGIN, Fields: map[string][]string{}}
	errBusy  = &stackgate.Error{Code: stackgate.EUNAVAILABLE, Fields: map[string][]string{}, RetryAfter: time.Second}
)

// errTooManyAttempts refuses an attempt until retryAt: the same answer for
// accounts and for emails without one.
func errTooManyAttempts(now, retryAt time.Time) error {
	return &stackgate.Error{Code: stackgate.ELOCKED, Fields: map[string][]string{}, RetryAfter: max(retryAt.Sub(now), time.Second)}
}

// Login is LoginFrom with no client address (CLI, tests).
func (s *Service) Login(ctx context.Context, email, password string) (*stackgate.User, string, error) {
	return s.LoginFrom(ctx, email, password, "", "")
}

// LoginFrom checks a password and opens a session, returning its authtoken.
// client is the caller's address, for the per-client backoff; it and the
// client's userAgent are kept with the session for its user to recognise
// it by (ListSessions).
func (s *Service) LoginFrom(ctx context.Context, email, password, client, userAgent string) (*stackgate.User, string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	now := s.Now()
	ck := sha256.Sum256([]byte(email + "\x00" + client))
	a, res := s.clientTries.reserve(ck, now)
	if !a.Allowed {
		s.logins.throttledClient.Add(1)
		return nil, "", errTooManyAttempts(now, a.RetryAt)
	}
	u, err := s.store.FindUserByEmail(ctx, email)
	switch {
	case stackgate.IsCode(err, stackgate.ENOTFOUND):
		a, _ = s.unknownTries.reserve(sha256.Sum256([]byte(email)), now)
		if !a.Allowed {
			s.clientTries.release(res)
			s.logins.throttledAccount.Add(1)
			return nil, "", errTooManyAttempts(now, a.RetryAt)
		}
		if !s.passwords.acquire(ctx) {
			s.logins.busy.Add(1)
			return nil, "", errBusy
		}
		secret.VerifyPassword(s.dummy, password) // same cost as a real attempt
		s.passwords.release()
		return nil, "", errLogin
	case err != nil:
		s.clientTries.release(res)
		return nil, "", err
	}
	a, err = s.store.ReserveLoginAttempt(ctx, u.UID, now, loginAccountPolicy)
	if err != nil {
		s.clientTries.release(res)
		return nil, "", err
	}
	if !a.Allowed {
		// The account is being guessed at from elsewhere: this client's own
		// count is left as it was, so its owner is only ever delayed by the
		// account's policy.
		s.clientTries.release(res)
		s.logins.throttledAccount.Add(1)
		return nil, "", errTooManyAttempts(now, a.RetryAt)
	}
	if !s.passwords.acquire(ctx) {
		s.logins.busy.Add(1)
		return nil, "", errBusy
	}
	ok := secret.VerifyPassword(u.PasswordHash, password)
	s.passwords.release()
	if !ok {
		return nil, "", errLogin
	}
	s.clientTries.forget(ck)
	if err := s.store.SetLoginFailures(ctx, u.UID, 0, time.Time{}); err != nil {
		return nil, "", err
	}
	token := stackgate.NewAuthtoken()
	sess := &stackgate.Session{UID: stackgate.NewUID(), TokenHash: s.keys.Hash(token), HashKey: s.keys.HMACKeyID(), UserUID: u.UID, CreatedAt: now,
		UserAgent: stackgate.SessionUserAgent(userAgent), RemoteAddr: client}
	if err := s.store.CreateSession(ctx, sess, s.cfg.MaxSessionsPerUser); err != nil {
		return nil, "", err
	}
	return u, token, nil
}

// hashPassword hashes under the same concurrency cap as verification,
// waiting as long as ctx allows.
func (s *Service) hashPassword(ctx context.Context, password string) (string, error) {
	if err := s.passwords.wait(ctx); err != nil {
		return "", err
	}
	defer s.passwords.release()
	return secret.HashPassword(password)
}

// passwordSlots caps how many argon2id computations run at once. A caller
// waits at most queueWait for a slot; at most maxWaiting callers wait at
// all, the others are refused at once.
type passwordSlots struct {
	slots      chan struct{}
	waiting    atomic.Int64
	maxWaiting int64
	queueWait  time.Duration
}

func newPasswordSlots(n int, queueWait time.Duration) *passwordSlots {
	return &passwordSlots{slots: make(chan struct{}, n), maxWaiting: int64(64 * n), queueWait: queueWait}
}

// acquire takes a slot, waiting at most queueWait; false when none came.
func (p *passwordSlots) acquire(ctx context.Context) bool {
	select {
	case p.slots <- struct{}{}:
		return true
	default:
	}
	if p.waiting.Add(1) > p.maxWaiting {
		p.waiting.Add(-1)
		return false
	}
	defer p.waiting.Add(-1)
	t := time.NewTimer(p.queueWait)
	defer t.Stop()
	select {
	case p.slots <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

// wait takes a slot, waiting as long as ctx allows.
func (p *passwordSlots) wait(ctx context.Context) error {
	select {
	case p.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *passwordSlots) release() { <-p.slots }

// attemptTracker applies a LoginPolicy to keys held in memory (hashes, so
// no email or address is kept). It holds at most max keys: when full it
// first forgets keys whose count has lapsed, then arbitrary ones.
type attemptTracker struct {
	policy stackgate.LoginPolicy
	max    int

	mu   sync.Mutex
	m    map[[sha256.Size]byte]*attemptState
	gens uint64
}

type attemptState struct {
	failures int
	next     time.Time
	gen      uint64 // bumped by every reservation, so release can tell it is still its own
}

// reservation is what release needs to undo a counted attempt.
type reservation struct {
	key  [sha256.Size]byte
	prev attemptState
	gen  uint64
}

func newAttemptTracker(p stackgate.LoginPolicy, max int) *attemptTracker {
	return &attemptTracker{policy: p, max: max, m: map[[sha256.Size]byte]*attemptState{}}
}

func (t *attemptTracker) reserve(key [sha256.Size]byte, now time.Time) (stackgate.LoginAttempt, reservation) {
	t.mu.Lock()
	defer t.mu.Unlock()
	st, ok := t.m[key]
	if !ok {
		if len(t.m) >= t.max {
			t.shrink(now)
		}
		st = &attemptState{}
		t.m[key] = st
	}
	prev := *st
	a, failures, next := t.policy.Reserve(st.failures, st.next, now)
	if !a.Allowed {
		return a, reservation{}
	}
	t.gens++
	st.failures, st.next, st.gen = failures, next, t.gens
	return a, reservation{key: key, prev: prev, gen: t.gens}
}

// release undoes the reservation r, unless another attempt on its key has
// been reserved since.
func (t *attemptTracker) release(r reservation) {
	if r.gen == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if st, ok := t.m[r.key]; ok && st.gen == r.gen {
		*st = r.prev
	}
}

// forget restarts the count of key (a successful login).
func (t *attemptTracker) forget(key [sha256.Size]byte) {
	t.mu.Lock()
	delete(t.m, key)
	t.mu.Unlock()
}

// shrink makes room: lapsed keys first, then arbitrary ones down to 90%.
func (t *attemptTracker) shrink(now time.Time) {
	for k, st := range t.m {
		if !now.Before(st.next.Add(t.policy.Forget)) {
			delete(t.m, k)
		}
	}
	for k := range t.m {
		if len(t.m) < t.max*9/10 {
			break
		}
		delete(t.m, k)
	}
}

// len returns how many keys are tracked (tests).
func (t *attemptTracker) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m)
}

// HoldPasswordSlots takes every argon2id slot until the returned function is
// called (tests of the 503 path). The function may be called more than once.
func (s *Service) HoldPasswordSlots() (release func()) {
	for range cap(s.passwords.slots) {
		s.passwords.slots <- struct{}{}
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			for range cap(s.passwords.slots) {
				<-s.passwords.slots
			}
		})
	}
}
