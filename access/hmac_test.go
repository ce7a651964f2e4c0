package access_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/access"
	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/secret"
)

// rehashCounter counts the store's Rehash calls that moved something.
type rehashCounter struct {
	stackgate.Store
	calls atomic.Int32
}

func (r *rehashCounter) Rehash(ctx context.Context, kind stackgate.HashKind, oldHash, newHash []byte, newKey string) error {
	r.calls.Add(1)
	return r.Store.Rehash(ctx, kind, oldHash, newHash, newKey)
}

// TestOlderHMACKey: a session made by a node whose key file has one hmac
// key (h1) is found by a node with a new key first (h2, h1), moves to h2 on
// that use, and from then on is found under h2 with no store write, and
// with no allocation on a cache hit; logout finds it moved.
func TestOlderHMACKey(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "sg.db")
	file := string(secret.GenerateKeyFile())
	oldRing, _ := secret.ParseKeyFile([]byte(file))
	h2 := strings.Replace(strings.SplitN(string(secret.GenerateKeyFile()), "\n", 3)[1], "hmac h1 ", "hmac h2 ", 1)
	newRing, err := secret.ParseKeyFile([]byte(h2 + "\n" + file))
	if err != nil || newRing.HMACKeyID() != "h2" || newRing.OlderHMACKeys() != 1 {
		t.Fatalf("ring: %v %v", newRing.HMACKeyIDs(), err)
	}
	st := &rehashCounter{Store: testdb.OpenSQLite(t, path)}
	old := newNode(testdb.OpenSQLite(t, path), oldRing, access.Config{})
	if _, _, err := old.EnsureUser(ctx, "u@example.com", "password-1"); err != nil {
		t.Fatal(err)
	}
	u, authtoken, err := old.Login(ctx, "u@example.com", "password-1")
	if err != nil {
		t.Fatal(err)
	}
	n := newNode(st, newRing, access.Config{})
	// Not moved yet: the user's session list and SessionOf find it under h1.
	if list, err := n.Sessions(ctx, u.UID, authtoken); err != nil || len(list) != 1 || !list[0].Current {
		t.Fatalf("sessions before the move: %v %v", list, err)
	}
	if sess, err := n.SessionOf(ctx, authtoken); err != nil || sess.HashKey != "h1" {
		t.Fatalf("SessionOf before the move: %v %v", sess, err)
	}
	for i := range 5 {
		if uid, err := n.AuthenticateUser(ctx, authtoken); err != nil || uid != u.UID {
			t.Fatalf("use %d: %q %v", i, uid, err)
		}
	}
	if got := st.calls.Load(); got != 1 {
		t.Fatalf("Rehash called %d times over 5 uses, want 1 (the first)", got)
	}
	b, err := st.KeyBinding(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b.HashedBy["h2"][stackgate.HashSession] != 1 || b.HashedBy["h1"][stackgate.HashSession] != 0 {
		t.Fatalf("hashed by %v", b.HashedBy)
	}
	if allocs := testing.AllocsPerRun(100, func() { n.AuthenticateUser(ctx, authtoken) }); allocs != 0 && !raceEnabled {
		t.Errorf("a cache hit under the active key allocates %v", allocs)
	}
	// A new login hashes under h2.
	if _, second, err := n.Login(ctx, "u@example.com", "password-1"); err != nil {
		t.Fatal(err)
	} else if _, err := n.AuthenticateUser(ctx, second); err != nil || st.calls.Load() != 1 {
		t.Fatalf("a session made under h2: %v, %d rehashes", err, st.calls.Load())
	}
	// Logout finds the moved session.
	if err := n.Logout(ctx, u.UID, authtoken); err != nil {
		t.Fatal(err)
	}
	if _, err := n.AuthenticateUser(ctx, authtoken); !stackgate.IsCode(err, stackgate.EUNAUTHORIZED) {
		t.Fatalf("after logout: %v, want 401", err)
	}
}
