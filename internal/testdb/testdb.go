// Package testdb opens real stores for tests: SQLite in a temporary
// directory, and PostgreSQL in a fresh schema of the database named by
// STACKGATE_TEST_POSTGRES_URL. Without that variable the PostgreSQL half is
// skipped with a plain message, except under CI (CI set), where it fails.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for schema setup
	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/postgres"
	"github.com/stackgate/stackgate/sqlite"
)

// EnvPostgresURL names the variable that points tests at PostgreSQL.
const EnvPostgresURL = "STACKGATE_TEST_POSTGRES_URL"

// Opener opens a fresh, empty store for one test.
type Opener func(tb testing.TB) stackgate.Store

// Backends returns the stores every storage test runs against, by name.
func Backends() map[string]Opener {
	return map[string]Opener{"sqlite": SQLite, "postgres": Postgres}
}

// Each runs f once per backend, as subtests "sqlite" and "postgres".
func Each(t *testing.T, f func(t *testing.T, open Opener)) {
	for _, name := range []string{"sqlite", "postgres"} {
		open := Backends()[name]
		t.Run(name, func(t *testing.T) { f(t, open) })
	}
}

// SQLite opens a store on a new file in a temporary directory: a copy of a
// database migrated once per test process (migrating costs more than most
// tests under -race), which Open finds current. TestMigrateFresh and the
// process tests still migrate empty files of their own.
func SQLite(tb testing.TB) stackgate.Store {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "stackgate.db")
	img, err := migratedSQLite()
	if err != nil {
		tb.Fatalf("sqlite template: %v", err)
	}
	if err := os.WriteFile(path, img, 0o600); err != nil {
		tb.Fatal(err)
	}
	return OpenSQLite(tb, path)
}

// migratedSQLite returns the bytes of an empty, fully migrated SQLite
// database, made once; closing it checkpoints the WAL into the file.
var migratedSQLite = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "stackgate-testdb-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "template.db")
	db, err := sqlite.Open(path)
	if err != nil {
		return nil, err
	}
	if err := db.Close(); err != nil {
		return nil, err
	}
	return os.ReadFile(path)
})

// OpenSQLite opens (creating and migrating it if need be) the database at
// path, closed when the test ends.
func OpenSQLite(tb testing.TB, path string) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(path)
	if err != nil {
		tb.Fatalf("open sqlite: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("close sqlite: %v", err)
		}
	})
	return db
}

// PostgresBaseURL returns the test server's URL (its default schema, for
// administration), skipping the test when none is configured, failing under
// CI, where a skip would hide a broken setup.
func PostgresBaseURL(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(EnvPostgresURL)
	if base == "" {
		if os.Getenv("CI") != "" {
			tb.Fatalf("%s is not set: under CI the PostgreSQL tests must run (see .ci/run)", EnvPostgresURL)
		}
		tb.Skipf("PostgreSQL half skipped: set %s (e.g. export %s=$(bash .ci/postgres.sh)) to run it", EnvPostgresURL, EnvPostgresURL)
	}
	return base
}

// PostgresURL returns a URL of a fresh schema, dropped when the test ends.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	base := PostgresBaseURL(tb)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatalf("postgres: %v", err)
	}
	defer admin.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "sgtest_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		tb.Fatalf("postgres unreachable at %s: %v", base, err)
	}
	tb.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err == nil {
			_, _ = db.Exec("DROP SCHEMA " + schema + " CASCADE")
			db.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("postgres url: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Postgres opens a store on a fresh schema.
func Postgres(tb testing.TB) stackgate.Store {
	tb.Helper()
	return OpenPostgres(tb, PostgresURL(tb))
}

// OpenPostgres opens (migrating it if need be) the database at url, such as
// one of PostgresURL, closed when the test ends.
func OpenPostgres(tb testing.TB, url string) *postgres.DB {
	tb.Helper()
	db, err := postgres.Open(context.Background(), url)
	if err != nil {
		tb.Fatalf("open postgres: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("close postgres: %v", err)
		}
	})
	return db
}

// Plan returns the lines of the plan db gives for explain (SQLite's
// EXPLAIN QUERY PLAN, PostgreSQL's EXPLAIN): the last column of each row.
func Plan(tb testing.TB, db interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, explain string) []string {
	tb.Helper()
	rows, err := db.QueryContext(context.Background(), explain)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		tb.Fatal(err)
	}
	var plan []string
	for rows.Next() {
		vals := make([]any, len(cols))
		var line string
		for i := range vals[:len(vals)-1] {
			vals[i] = new(any)
		}
		vals[len(vals)-1] = &line
		if err := rows.Scan(vals...); err != nil {
			tb.Fatal(err)
		}
		plan = append(plan, line)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return plan
}
