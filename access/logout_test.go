package access_test

import (
	"path/filepath"
	"testing"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/access"
	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/secret"
)

// TestLogoutOfSessionEndedElsewhere: node b caches a session that node a
// then ends (b does not listen, so it has not heard). Logging out on b still
// takes effect on b at once: the store's DeleteSession announces the user's
// change through b's commit hook although it deleted nothing, the one path
// by which writes reach the cache.
func TestLogoutOfSessionEndedElsewhere(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "sg.db")
	keys, _ := secret.ParseKeyFile(secret.GenerateKeyFile())
	a := newNode(testdb.OpenSQLite(t, path), keys, access.Config{})
	b := newNode(testdb.OpenSQLite(t, path), keys, access.Config{})
	if _, _, err := a.EnsureUser(ctx, "u@example.com", "password-1"); err != nil {
		t.Fatal(err)
	}
	u, authtoken, err := a.Login(ctx, "u@example.com", "password-1")
	if err != nil {
		t.Fatal(err)
	}
	if uid, err := b.AuthenticateUser(ctx, authtoken); err != nil || uid != u.UID {
		t.Fatalf("b: %q, %v; want %s", uid, err, u.UID)
	}
	if err := a.Logout(ctx, u.UID, authtoken); err != nil {
		t.Fatal(err)
	}
	if _, err := a.AuthenticateUser(ctx, authtoken); !stackgate.IsCode(err, stackgate.EUNAUTHORIZED) {
		t.Fatalf("a after its logout: %v, want 401", err)
	}
	if _, err := b.AuthenticateUser(ctx, authtoken); err != nil {
		t.Fatalf("b has not heard of a's logout yet, so its cached session should still answer: %v", err)
	}
	if err := b.Logout(ctx, u.UID, authtoken); err != nil {
		t.Fatalf("logout of a session already gone: %v", err)
	}
	if _, err := b.AuthenticateUser(ctx, authtoken); !stackgate.IsCode(err, stackgate.EUNAUTHORIZED) {
		t.Fatalf("b after its logout: %v, want 401", err)
	}
}
