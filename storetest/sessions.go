package storetest

import (
	"testing"
	"time"

	"github.com/stackgate/stackgate"
)

// testSessionList: a user's sessions are listed oldest first with what
// the client said at login, last uses move them forward only, and a
// session is ended by its uid only by its own user: another user's uid, a
// malformed or an unknown one is ENOTFOUND and changes nothing.
func testSessionList(t *testing.T, s stackgate.Store) {
	f := newFixture(t, s) // the owner is a member: its session events are in the stack's log
	other := newUser(t, s)
	mine := []*stackgate.Session{
		{TokenHash: []byte("list-1"), HashKey: "h1", UserUID: f.owner.UID, CreatedAt: now(), UserAgent: "curl/8.5.0", RemoteAddr: "203.0.113.7"},
		{TokenHash: []byte("list-2"), HashKey: "h1", UserUID: f.owner.UID, CreatedAt: now()},
		{TokenHash: []byte("list-3"), HashKey: "h1", UserUID: f.owner.UID, CreatedAt: now(), UserAgent: "Mozilla/5.0", RemoteAddr: "2001:db8::1"},
	}
	for _, sess := range mine {
		must(t, s.CreateSession(ctx(t), sess, 0))
		if sess.UID == "" {
			t.Fatal("CreateSession gave the session no uid")
		}
	}
	theirs := &stackgate.Session{UID: stackgate.NewUID(), TokenHash: []byte("list-other"), HashKey: "h1", UserUID: other.UID, CreatedAt: now()}
	must(t, s.CreateSession(ctx(t), theirs, 0))
	list := func(t *testing.T, userUID string) []*stackgate.Session {
		t.Helper()
		got, err := s.ListSessions(ctx(t), userUID)
		must(t, err)
		return got
	}
	logouts := func(t *testing.T) int {
		t.Helper()
		logs, err := s.ListAuditLogs(ctx(t), f.stack)
		must(t, err)
		n := 0
		for _, e := range logs {
			if e.Module == stackgate.AuditUserSession && e.EventType == stackgate.AuditLogout {
				n++
			}
		}
		return n
	}
	var heard []stackgate.Change
	s.OnCommit(func(ch stackgate.Change) { heard = append(heard, ch) })

	sub(t, "List", func(t *testing.T) {
		diff(t, "sessions", mine, list(t, f.owner.UID))
		diff(t, "a user of none", []*stackgate.Session{}, list(t, "bltnobody"))
		diff(t, "another user's", []*stackgate.Session{theirs}, list(t, other.UID))
	})
	sub(t, "LastUse", func(t *testing.T) {
		t1 := time.Date(2031, 1, 1, 10, 0, 0, 0, time.UTC)
		t0, t2 := t1.Add(-time.Minute), t1.Add(time.Minute)
		use := func(uid string, at time.Time) stackgate.LastUse {
			return stackgate.LastUse{Kind: stackgate.LastUseSession, TokenUID: uid, At: at}
		}
		must(t, s.RecordLastUse(ctx(t), []stackgate.LastUse{use(mine[0].UID, t1), use(theirs.UID, t2), use("bltgone", t1)}))
		// another node's older view never moves it back; a newer one does
		must(t, s.RecordLastUse(ctx(t), []stackgate.LastUse{use(mine[0].UID, t0), use(mine[1].UID, t2)}))
		got := list(t, f.owner.UID)
		diff(t, "last uses", []time.Time{t1, t2, {}}, []time.Time{got[0].LastUsedAt, got[1].LastUsedAt, got[2].LastUsedAt})
		if !list(t, other.UID)[0].LastUsedAt.Equal(t2) {
			t.Error("another user's session's last use was not recorded")
		}
		found, err := s.FindSession(ctx(t), mine[1].TokenHash)
		must(t, err)
		diff(t, "FindSession's last use", t2, found.LastUsedAt)
		diff(t, "changes announced", 0, len(heard))
	})
	sub(t, "DeleteByUIDRefused", func(t *testing.T) {
		before, logged := list(t, f.owner.UID), logouts(t)
		for _, uid := range []string{theirs.UID, "bltmissing", "", "../x", "blt' OR '1'='1"} {
			wantCode(t, s.DeleteSessionByUID(ctx(t), f.owner.UID, uid), stackgate.ENOTFOUND, "")
		}
		diff(t, "sessions after refusals", before, list(t, f.owner.UID))
		diff(t, "another user's sessions", 1, len(list(t, other.UID)))
		diff(t, "logouts after refusals", logged, logouts(t))
		diff(t, "changes after refusals", 0, len(heard))
	})
	sub(t, "DeleteByUID", func(t *testing.T) {
		logged := logouts(t)
		must(t, s.DeleteSessionByUID(ctx(t), f.owner.UID, mine[1].UID))
		_, err := s.FindSession(ctx(t), mine[1].TokenHash)
		wantCode(t, err, stackgate.ENOTFOUND, "")
		diff(t, "the others stay", []*stackgate.Session{mine[0], mine[2]}, clearUse(list(t, f.owner.UID)))
		diff(t, "change", []stackgate.Change{{UserUID: f.owner.UID}}, heard)
		diff(t, "logouts", logged+1, logouts(t))
		// once ended, it is unknown
		wantCode(t, s.DeleteSessionByUID(ctx(t), f.owner.UID, mine[1].UID), stackgate.ENOTFOUND, "")
	})
}

// clearUse returns list with last uses zeroed, to compare with sessions as created.
func clearUse(list []*stackgate.Session) []*stackgate.Session {
	for _, sess := range list {
		sess.LastUsedAt = time.Time{}
	}
	return list
}
