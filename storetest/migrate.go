package storetest

import (
	"context"
	"regexp"
	"testing"

	"github.com/stackgate/stackgate"
)

var uidPattern = regexp.MustCompile(`^blt[0-9a-f]{16}$`)

// Migrator is a store whose migrations a test can roll back.
type Migrator interface {
	stackgate.Store
	Migrate(ctx context.Context) ([]string, error)
	MigrateDownTo(ctx context.Context, version int64) error
}

// SessionsMigrated: sessions written before the migration that gave
// sessions a uid (00010) each get one, distinct, and keep working once s is
// rolled back to before it and migrated again.
func SessionsMigrated(t *testing.T, s Migrator) {
	u := newUser(t, s)
	hashes := [][]byte{[]byte("old-1"), []byte("old-2"), []byte("old-3")}
	seen := map[string]bool{} // the uids given before: rolled back with their column
	for _, h := range hashes {
		sess := &stackgate.Session{TokenHash: h, UserUID: u.UID, CreatedAt: now()}
		must(t, s.CreateSession(ctx(t), sess, 0))
		seen[sess.UID] = true
	}
	must(t, s.MigrateDownTo(ctx(t), 9))
	_, err := s.Migrate(ctx(t))
	must(t, err)
	list, err := s.ListSessions(ctx(t), u.UID)
	must(t, err)
	if len(list) != len(hashes) {
		t.Fatalf("%d sessions after the migration, want %d", len(list), len(hashes))
	}
	for i, sess := range list {
		if !uidPattern.MatchString(sess.UID) || seen[sess.UID] {
			t.Errorf("session %d: uid %q (not a fresh uid)", i, sess.UID)
		}
		seen[sess.UID] = true
		diff(t, "token hash", hashes[i], sess.TokenHash)
		if _, err := s.FindSession(ctx(t), sess.TokenHash); err != nil {
			t.Errorf("session %d after the migration: %v", i, err)
		}
	}
	must(t, s.DeleteSessionByUID(ctx(t), u.UID, list[0].UID))
}
