package access_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/access"
	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/secret"
)

// TestSessionUsesForgotten: a session's last-use record lives while the
// session is cached or has a use not flushed yet, and is forgotten once
// neither holds (a node sees a new session at every login); no use is lost
// on the way, and a session used again after gets a record again.
func TestSessionUsesForgotten(t *testing.T) {
	defer access.SetSessionUsesSweep(0)()
	ctx := t.Context()
	keys, _ := secret.ParseKeyFile(secret.GenerateKeyFile())
	n := newNode(testdb.SQLite(t), keys, access.Config{})
	// Each use a millisecond after the last (a use records the millisecond).
	var clock atomic.Int64
	clock.Store(time.Now().UnixMilli())
	n.Checker.Now = func() time.Time { return time.UnixMilli(clock.Add(1)) }
	if _, _, err := n.EnsureUser(ctx, "u@example.com", "password-1"); err != nil {
		t.Fatal(err)
	}
	login := func() (string, string) {
		t.Helper()
		u, token, err := n.Login(ctx, "u@example.com", "password-1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.AuthenticateUser(ctx, token); err != nil {
			t.Fatal(err)
		}
		return u.UID, token
	}
	held := func(want int, when string) {
		t.Helper()
		if got := n.CacheStats().LastUses; got != want {
			t.Fatalf("%s: %d last-use records held, want %d", when, got, want)
		}
	}
	flush := func() []stackgate.LastUse {
		uses := n.LastUses()
		n.MarkFlushed(uses)
		return uses
	}
	uid, first := login()
	_, second := login() // a new session is a change to the user: the first leaves the cache
	if _, err := n.AuthenticateUser(ctx, first); err != nil {
		t.Fatal(err)
	}
	if uses := flush(); len(uses) != 2 {
		t.Fatalf("flushed %v, want both sessions' uses", uses)
	}
	held(2, "both cached and flushed")

	// Logging out the first drops the user's sessions from the cache: the
	// first's record goes at the next flush; the second is used again
	// before that (it is cached again, its record held).
	if err := n.Logout(ctx, uid, first); err != nil {
		t.Fatal(err)
	}
	if _, err := n.AuthenticateUser(ctx, second); err != nil {
		t.Fatal(err)
	}
	if uses := flush(); len(uses) != 1 {
		t.Fatalf("flushed %v, want the second session's new use", uses)
	}
	held(1, "after the logout")

	// A record with a use not flushed yet is kept though its session left
	// the cache (the user's sessions are dropped by a change to the user).
	_, third := login() // the second leaves the cache with its record flushed
	if err := n.Logout(ctx, uid, second); err != nil {
		t.Fatal(err)
	}
	n.MarkFlushed(nil)
	held(1, "the third's use not flushed yet")
	if uses := flush(); len(uses) != 1 {
		t.Fatalf("flushed %v, want the third session's use", uses)
	}
	n.MarkFlushed(nil)
	held(0, "nothing cached, everything flushed")

	if _, err := n.AuthenticateUser(ctx, third); err != nil {
		t.Fatal(err)
	}
	held(1, "the third used again")
	if uses := flush(); len(uses) != 1 {
		t.Fatalf("flushed %v, want the third session's use again", uses)
	}
}
