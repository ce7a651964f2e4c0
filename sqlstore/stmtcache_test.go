package sqlstore_test

import (
	"testing"

	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/sqlstore"
)

// TestStatementCache: on SQLite, the texts of writes and reads end up
// prepared once per pool (a write's are prepared before the next write
// begins), the pools keep at most MaxStatements, and Close closes them all.
func TestStatementCache(t *testing.T) {
	ctx := t.Context()
	st := testdb.SQLite(t)
	sq := sqlStore(t, st)
	w := newWorld(t, st)
	for range 2 {
		if _, err := st.LoadStack(ctx, w.seed.Stack.APIKey); err != nil {
			t.Fatal(err)
		}
		if _, err := st.FindEnvironment(ctx, w.seed.Stack.UID, "staging"); err != nil {
			t.Fatal(err)
		}
	}
	if wn, rn := sqlstore.Statements(sq); wn < 5 || rn < 5 {
		t.Fatalf("%d writer and %d reader statements prepared; want several each", wn, rn)
	}
	for n := range sqlstore.MaxStatements + 50 {
		if v, err := sqlstore.SelectOnPool(ctx, sq, n); err != nil || v != n {
			t.Fatalf("SELECT %d = %d, %v", n, v, err)
		}
	}
	if _, rn := sqlstore.Statements(sq); rn != sqlstore.MaxStatements {
		t.Fatalf("%d reader statements prepared; want the bound, %d", rn, sqlstore.MaxStatements)
	}
	// Past the bound, reads still run (as text).
	if _, err := st.FindEnvironment(ctx, w.seed.Stack.UID, "staging"); err != nil {
		t.Fatal(err)
	}
	if err := sq.Close(); err != nil {
		t.Fatal(err)
	}
	if wn, rn := sqlstore.Statements(sq); wn != 0 || rn != 0 {
		t.Fatalf("after Close, %d writer and %d reader statements; want none", wn, rn)
	}
}

// TestStatementCachePostgres: PostgreSQL leaves statements to pgx's own
// cache.
func TestStatementCachePostgres(t *testing.T) {
	sq := sqlStore(t, testdb.Postgres(t))
	if wn, rn := sqlstore.Statements(sq); wn != -1 || rn != -1 {
		t.Fatalf("sqlstore caches statements on PostgreSQL (%d, %d); pgx does", wn, rn)
	}
}
