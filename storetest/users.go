package storetest

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stackgate/stackgate"
)

func testUsers(t *testing.T, s stackgate.Store) {
	u := newUser(t, s)
	sub(t, "FindByUID", func(t *testing.T) {
		got, err := s.FindUserByUID(ctx(t), u.UID)
		must(t, err)
		diff(t, "user", u, got)
	})
	sub(t, "FindByEmail", func(t *testing.T) {
		got, err := s.FindUserByEmail(ctx(t), strings.ToUpper(u.Email))
		must(t, err)
		diff(t, "user", u, got)
	})
	sub(t, "Missing", func(t *testing.T) {
		_, err := s.FindUserByUID(ctx(t), "bltmissing")
		wantCode(t, err, stackgate.ENOTFOUND, "")
		_, err = s.FindUserByEmail(ctx(t), "nobody@example.com")
		wantCode(t, err, stackgate.ENOTFOUND, "")
	})
	sub(t, "DuplicateEmail", func(t *testing.T) {
		dup := *u
		dup.UID = stackgate.NewUID()
		dup.Email = strings.ToUpper(u.Email) // emails are stored lower-cased
		wantCode(t, s.CreateUser(ctx(t), &dup), stackgate.ECONFLICT, "email")
	})
	sub(t, "SetLoginFailures", func(t *testing.T) {
		until := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
		must(t, s.SetLoginFailures(ctx(t), u.UID, 3, until))
		got, err := s.FindUserByUID(ctx(t), u.UID)
		must(t, err)
		diff(t, "failures", []any{3, until}, []any{got.FailedAttempts, got.LockedUntil})
		must(t, s.SetLoginFailures(ctx(t), u.UID, 0, time.Time{}))
		got, err = s.FindUserByUID(ctx(t), u.UID)
		must(t, err)
		if got.FailedAttempts != 0 || !got.LockedUntil.IsZero() {
			t.Errorf("after reset: failed=%d lockedUntil=%v, want 0 and zero", got.FailedAttempts, got.LockedUntil)
		}
		wantCode(t, s.SetLoginFailures(ctx(t), "bltmissing", 1, until), stackgate.ENOTFOUND, "")
	})
	policy := stackgate.LoginPolicy{Free: 5, Base: time.Second, Max: time.Minute, Forget: time.Hour}
	sub(t, "ReserveLoginAttempt", func(t *testing.T) {
		u := newUser(t, s)
		t0 := time.Date(2026, 5, 6, 7, 0, 0, 0, time.UTC)
		for _, step := range []struct {
			at       time.Duration // after t0
			allowed  bool
			failures int
			retryAt  time.Duration // after t0, when refused
		}{
			{0, true, 1, 0}, {0, true, 2, 0}, {0, true, 3, 0}, {0, true, 4, 0},
			{0, true, 5, 0}, // the 5th is the last free one: next after 1s
			{500 * time.Millisecond, false, 5, time.Second}, // refused, not counted
			{time.Second, true, 6, 0},                       // next after 2s more
			{2 * time.Second, false, 6, 3 * time.Second},
			{3 * time.Second, true, 7, 0},
			{3*time.Second + time.Hour + 4*time.Second, true, 1, 0}, // an hour of quiet after the next slot: counting restarts
		} {
			got, err := s.ReserveLoginAttempt(ctx(t), u.UID, t0.Add(step.at), policy)
			must(t, err)
			want := stackgate.LoginAttempt{Allowed: step.allowed, Failures: step.failures}
			if !step.allowed {
				want.RetryAt = t0.Add(step.retryAt)
			}
			diff(t, fmt.Sprintf("attempt at +%v", step.at), want, got)
		}
		got, err := s.FindUserByUID(ctx(t), u.UID)
		must(t, err)
		if got.FailedAttempts != 1 {
			t.Errorf("stored failures = %d, want 1", got.FailedAttempts)
		}
		_, err = s.ReserveLoginAttempt(ctx(t), "bltmissing", t0, policy)
		wantCode(t, err, stackgate.ENOTFOUND, "")
	})
	sub(t, "ReserveLoginAttemptConcurrent", func(t *testing.T) {
		// 50 guessers at the same instant: exactly Free are let through,
		// whatever the interleaving.
		u := newUser(t, s)
		at := time.Date(2026, 5, 6, 8, 0, 0, 0, time.UTC)
		const n = 50
		var allowed atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range n {
			wg.Go(func() {
				<-start
				a, err := s.ReserveLoginAttempt(t.Context(), u.UID, at, policy)
				if err != nil {
					t.Error(err)
					return
				}
				if a.Allowed {
					allowed.Add(1)
				} else if !a.RetryAt.Equal(at.Add(time.Second)) {
					t.Errorf("refused with RetryAt %v, want %v", a.RetryAt, at.Add(time.Second))
				}
			})
		}
		close(start)
		wg.Wait()
		if got := allowed.Load(); got != int32(policy.Free) {
			t.Errorf("%d of %d concurrent attempts allowed, want exactly %d", got, n, policy.Free)
		}
		got, err := s.FindUserByUID(ctx(t), u.UID)
		must(t, err)
		if got.FailedAttempts != policy.Free || !got.LockedUntil.Equal(at.Add(time.Second)) {
			t.Errorf("stored %d failures, next %v; want %d, %v", got.FailedAttempts, got.LockedUntil, policy.Free, at.Add(time.Second))
		}
	})
}

func testSessions(t *testing.T, s stackgate.Store) {
	u := newUser(t, s)
	sess := &stackgate.Session{TokenHash: []byte("session-1"), HashKey: "h1", UserUID: u.UID, CreatedAt: now()}
	must(t, s.CreateSession(ctx(t), sess, 20))
	sub(t, "Find", func(t *testing.T) {
		got, err := s.FindSession(ctx(t), sess.TokenHash)
		must(t, err)
		diff(t, "session", sess, got)
	})
	sub(t, "Missing", func(t *testing.T) {
		_, err := s.FindSession(ctx(t), []byte("nope"))
		wantCode(t, err, stackgate.ENOTFOUND, "")
		must(t, s.DeleteSession(ctx(t), u.UID, []byte("nope"))) // already gone: no error
	})
	sub(t, "DeleteOnlyTheUsers", func(t *testing.T) {
		other := newUser(t, s)
		must(t, s.DeleteSession(ctx(t), other.UID, sess.TokenHash))
		if _, err := s.FindSession(ctx(t), sess.TokenHash); err != nil {
			t.Fatalf("another user's DeleteSession removed the session: %v", err)
		}
	})
	sub(t, "UnknownUser", func(t *testing.T) {
		err := s.CreateSession(ctx(t), &stackgate.Session{TokenHash: []byte("orphan"), UserUID: "bltmissing", CreatedAt: now()}, 20)
		wantCode(t, err, stackgate.ENOTFOUND, "")
	})
	sub(t, "Delete", func(t *testing.T) {
		must(t, s.DeleteSession(ctx(t), u.UID, sess.TokenHash))
		_, err := s.FindSession(ctx(t), sess.TokenHash)
		wantCode(t, err, stackgate.ENOTFOUND, "")
	})
	sub(t, "MaxPerUser", func(t *testing.T) {
		other := newUser(t, s)
		otherSess := &stackgate.Session{TokenHash: []byte("other"), UserUID: other.UID, CreatedAt: now()}
		must(t, s.CreateSession(ctx(t), otherSess, 1))
		const max = 20
		var hashes [][]byte
		for i := range max + 1 {
			h := []byte{'m', byte(i)}
			hashes = append(hashes, h)
			must(t, s.CreateSession(ctx(t), &stackgate.Session{TokenHash: h, UserUID: u.UID, CreatedAt: now()}, max))
		}
		// The 21st login dropped the oldest session, and only it.
		_, err := s.FindSession(ctx(t), hashes[0])
		wantCode(t, err, stackgate.ENOTFOUND, "")
		for _, h := range hashes[1:] {
			if _, err := s.FindSession(ctx(t), h); err != nil {
				t.Errorf("session %x: %v", h, err)
			}
		}
		// Another user's sessions are not counted.
		got, err := s.FindSession(ctx(t), otherSess.TokenHash)
		must(t, err)
		if !bytes.Equal(got.TokenHash, otherSess.TokenHash) {
			t.Errorf("other session hash = %x", got.TokenHash)
		}
	})
}
