package storetest

import (
	"bytes"
	"strings"
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
}

func testSessions(t *testing.T, s stackgate.Store) {
	u := newUser(t, s)
	sess := &stackgate.Session{TokenHash: []byte("session-1"), UserUID: u.UID, CreatedAt: now()}
	must(t, s.CreateSession(ctx(t), sess, 20))
	sub(t, "Find", func(t *testing.T) {
		got, err := s.FindSession(ctx(t), sess.TokenHash)
		must(t, err)
		diff(t, "session", sess, got)
	})
	sub(t, "Missing", func(t *testing.T) {
		_, err := s.FindSession(ctx(t), []byte("nope"))
		wantCode(t, err, stackgate.ENOTFOUND, "")
		wantCode(t, s.DeleteSession(ctx(t), []byte("nope")), stackgate.ENOTFOUND, "")
	})
	sub(t, "UnknownUser", func(t *testing.T) {
		err := s.CreateSession(ctx(t), &stackgate.Session{TokenHash: []byte("orphan"), UserUID: "bltmissing", CreatedAt: now()}, 20)
		wantCode(t, err, stackgate.ENOTFOUND, "")
	})
	sub(t, "Delete", func(t *testing.T) {
		must(t, s.DeleteSession(ctx(t), sess.TokenHash))
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
