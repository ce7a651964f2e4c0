package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/sqlite"
	"github.com/stackgate/stackgate/storetest"
)

// MustOpenDB opens a fresh database file in a temporary directory.
func MustOpenDB(tb testing.TB) *sqlite.DB {
	tb.Helper()
	return testdb.OpenSQLite(tb, filepath.Join(tb.TempDir(), "stackgate.db"))
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) stackgate.Store { return MustOpenDB(t) })
}

func TestConformanceMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) stackgate.Store {
		db, err := sqlite.Open(":memory:")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}

func TestMigrate(t *testing.T) {
	db := MustOpenDB(t)
	// Open applied everything; a second run has nothing to do.
	names, err := db.Migrate(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 0 {
		t.Errorf("Migrate after Open applied %v, want nothing", names)
	}
}

// TestMigrateFresh migrates a new file, writes one of everything, and reads
// it back after reopening the file, when the migrations have nothing to apply.
func TestMigrateFresh(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.db")
	first, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	storetest.Reopened(t, first, func(t *testing.T) stackgate.Store {
		if err := first.Close(); err != nil {
			t.Fatal(err)
		}
		db := testdb.OpenSQLite(t, path)
		if names, err := db.Migrate(t.Context()); err != nil || len(names) != 0 {
			t.Fatalf("Migrate after reopening applied %v, %v; want nothing", names, err)
		}
		return db
	})
}

func TestPragmas(t *testing.T) {
	db := MustOpenDB(t)
	for _, tc := range []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"synchronous", "1"}, // NORMAL
		{"busy_timeout", "5000"},
		{"query_only", "1"}, // on the reader pool
	} {
		var got string
		if err := db.ReadDB().QueryRowContext(t.Context(), "PRAGMA "+tc.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("PRAGMA %s = %q, want %q", tc.pragma, got, tc.want)
		}
	}
}

// TestOpenPath checks that a path is taken literally, although the driver
// is given a URI in which %, ? and # mean something.
func TestOpenPath(t *testing.T) {
	for _, name := range []string{"plain.db", "with space.db", "pct%20x.db", "q?x#y.db"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), name)
			db, err := sqlite.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("database not created at %q: %v", path, err)
			}
		})
	}
}

// TestFilesPrivate: the database and the -wal and -shm files SQLite creates
// beside it are 0600, whatever the umask allows.
func TestFilesPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sg.db")
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	u := &stackgate.User{UID: "bltu1", Email: "a@example.com", PasswordHash: "x", CreatedAt: stackgate.Now(), UpdatedAt: stackgate.Now()}
	if err := db.CreateUser(context.Background(), u); err != nil { // a write: the WAL exists
		t.Fatal(err)
	}
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s: mode %o, want 600", filepath.Base(name), mode)
		}
	}
}

// TestMigrateSessionUIDs: sessions of a database before 00010 get uids.
func TestMigrateSessionUIDs(t *testing.T) { storetest.SessionsMigrated(t, MustOpenDB(t)) }

// TestAuditResponseIndexed: adding a write's reply to its audit entries
// (SetAuditResponse, after every write) looks the entries up by index, not
// by scanning the whole log — with a log of tens of thousands of entries
// the scan made every write take a quarter of a second, on the one writer.
func TestAuditResponseIndexed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stackgate.db")
	testdb.OpenSQLite(t, path)
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	plan := testdb.Plan(t, raw, `EXPLAIN QUERY PLAN UPDATE audit_logs SET response = '{}'
		WHERE request_id = 'r' AND response IS NULL`)
	if len(plan) != 1 || !strings.Contains(plan[0], "USING INDEX audit_logs_pending_response") {
		t.Errorf("plan %q: want a search of audit_logs_pending_response", plan)
	}
}
