package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stackgate/stackgate"
)

// testAudit: every write leaves one entry, in its transaction, with what the
// request's AuditContext says and the request's secrets removed; a refused
// write leaves none; a stack's log holds its own entries and its members'
// logins and logouts, never another stack's.
func testAudit(t *testing.T, s stackgate.Store) {
	f := newFixture(t, s)
	other := newFixture(t, s)
	member := newUser(t, s)
	must(t, s.AddMember(ctx(t), f.stack, member.UID, nil))
	stranger := newUser(t, s)

	ac := stackgate.AuditContext{By: f.owner.UID, RequestID: "req-1", RemoteAddr: "203.0.113.7",
		Request: []byte(`{"environment":{"name":"staging"},"token":"cs0123","user":{"password":"hunter2","authtoken":"blt9"},"scope":[{"preview_token":"cs9"}]}`)}
	actx := func(t *testing.T) context.Context { return stackgate.WithAudit(ctx(t), ac) }

	latest := func(t *testing.T, stackUID string) []*stackgate.AuditEntry {
		t.Helper()
		got, err := s.ListAuditLogs(ctx(t), stackUID)
		must(t, err)
		slices.Reverse(got) // newest first, for the cases below
		return got
	}

	sub(t, "StackCreated", func(t *testing.T) {
		got := latest(t, f.stack)
		if len(got) != 2 || got[1].Module != stackgate.AuditStack || got[1].EventType != stackgate.AuditCreate ||
			got[1].CreatedBy != f.owner.UID || got[1].ObjectUID != f.stack {
			t.Fatalf("log of a new stack with a member: %+v", got)
		}
		if got[0].Module != stackgate.AuditStackUser || got[0].ObjectUID != member.UID {
			t.Errorf("newest entry: %+v, want the membership of %s", got[0], member.UID)
		}
	})
	var env *stackgate.Environment
	sub(t, "WriteEntry", func(t *testing.T) {
		at := now()
		env = &stackgate.Environment{UID: stackgate.NewUID(), StackUID: f.stack, Name: "staging", URLs: []stackgate.EnvironmentURL{},
			Version: 1, CreatedBy: f.owner.UID, UpdatedBy: f.owner.UID, CreatedAt: at, UpdatedAt: at}
		must(t, s.CreateEnvironment(actx(t), env, 0))
		got := latest(t, f.stack)[0]
		want := &stackgate.AuditEntry{UID: got.UID, StackUID: f.stack, CreatedAt: got.CreatedAt, CreatedBy: f.owner.UID,
			Module: stackgate.AuditEnvironment, EventType: stackgate.AuditCreate, RequestID: "req-1", RemoteAddr: "203.0.113.7",
			ObjectUID: env.UID, Title: "staging",
			Request: []byte(`{"environment":{"name":"staging"},"scope":[{}],"user":{}}`)}
		diff(t, "entry", want, got)
		if d := time.Since(got.CreatedAt); d < 0 || d > time.Minute {
			t.Errorf("created_at %v is not now", got.CreatedAt)
		}
		one, err := s.FindAuditLog(ctx(t), f.stack, got.UID)
		must(t, err)
		diff(t, "found", got, one)
	})
	sub(t, "RefusedWriteLeavesNone", func(t *testing.T) {
		before := latest(t, f.stack)
		dup := *env
		dup.UID = stackgate.NewUID()
		wantCode(t, s.CreateEnvironment(actx(t), &dup, 0), stackgate.ECONFLICT, "name")
		wantCode(t, s.DeleteRole(actx(t), f.stack, "bltmissing"), stackgate.ENOTFOUND, "")
		diff(t, "log after refused writes", before, latest(t, f.stack))
	})
	sub(t, "DeleteNamesWhatWasDeleted", func(t *testing.T) {
		must(t, s.DeleteEnvironment(actx(t), f.stack, env.UID))
		got := latest(t, f.stack)[0]
		if got.EventType != stackgate.AuditDelete || got.ObjectUID != env.UID || got.Title != "staging" {
			t.Errorf("delete entry: %+v", got)
		}
	})
	sub(t, "Sessions", func(t *testing.T) {
		for _, u := range []*stackgate.User{member, stranger} {
			must(t, s.CreateSession(ctx(t), &stackgate.Session{TokenHash: []byte("h" + u.UID), UserUID: u.UID, CreatedAt: now()}, 0))
			must(t, s.DeleteSession(ctx(t), u.UID, []byte("h"+u.UID)))
		}
		got := latest(t, f.stack)
		if got[0].EventType != stackgate.AuditLogout || got[1].EventType != stackgate.AuditLogin ||
			got[0].CreatedBy != member.UID || got[1].CreatedBy != member.UID || got[0].Module != stackgate.AuditUserSession {
			t.Errorf("newest entries: %+v %+v, want the member's logout and login", got[0], got[1])
		}
		for _, e := range got {
			if e.CreatedBy == stranger.UID {
				t.Errorf("a non-member's session event is in the stack's log: %+v", e)
			}
		}
	})
	sub(t, "OtherStack", func(t *testing.T) {
		theirs := latest(t, other.stack)
		if len(theirs) != 1 || theirs[0].StackUID != other.stack {
			t.Fatalf("other stack's log: %+v", theirs)
		}
		_, err := s.FindAuditLog(ctx(t), f.stack, theirs[0].UID)
		wantCode(t, err, stackgate.ENOTFOUND, "")
		empty, err := s.ListAuditLogs(ctx(t), "bltmissing")
		must(t, err)
		diff(t, "unknown stack", []*stackgate.AuditEntry{}, empty)
	})
	sub(t, "Page", func(t *testing.T) {
		all := latest(t, f.stack)
		if len(all) < 5 {
			t.Fatalf("want a log of at least 5 entries to page, have %d", len(all))
		}
		for _, pg := range []struct{ skip, limit int }{{0, 1}, {0, 3}, {1, 2}, {2, len(all)}, {len(all) - 1, 5}, {len(all), 1}, {len(all) + 3, 2}} {
			got, total, err := s.ListAuditLogPage(ctx(t), f.stack, pg.skip, pg.limit)
			must(t, err)
			want := all[min(pg.skip, len(all)):min(pg.skip+pg.limit, len(all))]
			diff(t, fmt.Sprintf("page skip=%d limit=%d", pg.skip, pg.limit), want, got)
			diff(t, fmt.Sprintf("total with skip=%d limit=%d", pg.skip, pg.limit), len(all), total)
		}
		none, total, err := s.ListAuditLogPage(ctx(t), "bltmissing", 0, 10)
		must(t, err)
		diff(t, "unknown stack's page", 0, len(none))
		diff(t, "unknown stack's total", 0, total)
	})
	sub(t, "Prune", func(t *testing.T) {
		n, err := s.PruneAuditLogs(ctx(t), time.Now().Add(-time.Hour))
		must(t, err)
		diff(t, "pruned of the last hour", 0, n)
		n, err = s.PruneAuditLogs(ctx(t), time.Now().Add(time.Hour))
		must(t, err)
		if n < 8 {
			t.Errorf("pruned %d entries, want every one (at least 8)", n)
		}
		diff(t, "log after pruning", []*stackgate.AuditEntry{}, latest(t, f.stack))
	})
}
