// Package sqlite is the single-node stackgate.Store: one SQLite file in WAL
// mode, written through one connection and read through several. The SQL
// itself lives in sqlstore; this package opens the pools, migrates the
// schema and supplies the SQLite dialect.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"runtime"
	"strings"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is a stackgate.Store backed by SQLite.
type DB struct {
	*sqlstore.Store
	write, read *sql.DB

	// Applied names the migrations that Open applied ("stackgate migrate"
	// reports them).
	Applied []string

	memory bool   // ":memory:": one connection, no other process can write
	path   string // the database file ("" for ":memory:"), for Health and Backup
}

var _ stackgate.Store = (*DB)(nil)

// pragmas are applied to every connection, in this order (the driver runs
// busy_timeout before the others).
var pragmas = []string{
	// Wait up to 5s for a lock instead of failing at once with SQLITE_BUSY:
	// readers and the writer briefly contend during checkpoints.
	"busy_timeout(5000)",
	// WAL lets readers run concurrently with the single writer.
	"journal_mode(WAL)",
	// SQLite leaves foreign keys off unless asked, per connection; the schema
	// relies on them (cascades from roles to memberships, alias targets).
	"foreign_keys(ON)",
	// In WAL mode NORMAL is durable against application crashes and only
	// risks the last transactions on power loss, for far fewer fsyncs.
	"synchronous(NORMAL)",
}

// Open opens (creating if needed) the database at path and migrates it.
// path ":memory:" gives a private in-memory database, served by one
// connection for reads and writes alike.
func Open(path string) (*DB, error) {
	if path == ":memory:" {
		db, err := sql.Open("sqlite", dsn(":memory:", true))
		if err != nil {
			return nil, err
		}
		// Each connection to :memory: is its own database: keep exactly one.
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
		d, err := open(db, db)
		if d != nil {
			d.memory = true
		}
		return d, err
	}
	// The file holds password hashes, emails and sealed tokens: create it
	// 0600, like the key file. SQLite gives the -wal and -shm files it
	// creates beside it the database file's mode.
	if err := createPrivate(path); err != nil {
		return nil, err
	}
	write, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		return nil, err
	}
	// One writer connection: SQLite allows one writer at a time anyway, and
	// queueing in the pool is cheaper than spinning on SQLITE_BUSY.
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxIdleTime(0)
	write.SetConnMaxLifetime(0)
	read, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		write.Close()
		return nil, err
	}
	n := max(4, runtime.NumCPU())
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	d, err := open(write, read)
	if d != nil {
		d.path = path
	}
	return d, err
}

func open(write, read *sql.DB) (*DB, error) {
	db := &DB{Store: sqlstore.New(write, read, dialect{}), write: write, read: read}
	var err error
	// Migrate before any reader connects, so journal_mode(WAL) has been set
	// on the file by the writer first.
	if db.Applied, err = db.Migrate(context.Background()); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// createPrivate creates path, mode 0600, when it does not exist yet; an
// existing file is left as it is.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	return f.Close()
}

// dsn is the modernc.org/sqlite data source name for path. The writer's
// transactions BEGIN IMMEDIATE (_txlock=immediate): they take the write lock
// at once, so a transaction that reads then writes cannot fail to upgrade
// its lock halfway through.
func dsn(path string, writer bool) string {
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	if writer {
		q.Set("_txlock", "immediate")
	} else {
		// Readers never write: a write sent to the wrong pool fails loudly
		// instead of contending with the writer.
		q.Add("_pragma", "query_only(ON)")
	}
	// In a URI filename, % escapes and ? and # end the path: escape them.
	path = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + path + "?" + q.Encode()
}

// ReadDB returns the reader pool, for diagnostics and tests.
func (db *DB) ReadDB() *sql.DB { return db.read }

// Migrate applies the pending migrations and returns their names.
func (db *DB) Migrate(ctx context.Context) ([]string, error) {
	p, err := db.provider()
	if err != nil {
		return nil, err
	}
	return sqlstore.MigrateUp(ctx, p)
}

// provider is goose over the embedded migrations.
func (db *DB) provider() (*goose.Provider, error) {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	// Out of order allowed: branches number their migrations in parallel and
	// land in any order (00007 may be applied before 00005 arrives); each
	// migration touches only its own tables.
	p, err := goose.NewProvider(goose.DialectSQLite3, db.write, fsys, goose.WithAllowOutofOrder(true))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

// pending reports whether migrations this binary knows are not applied.
func (db *DB) pending(ctx context.Context) (bool, error) {
	p, err := db.provider()
	if err != nil {
		return false, err
	}
	return p.HasPending(ctx)
}

// dialect is SQLite's sqlstore.Dialect.
type dialect struct{}

// Rebind keeps ? placeholders, which SQLite speaks natively.
func (dialect) Rebind(query string) string { return query }

// ForUpdate and ForShare are empty: SQLite has no row locks, and every write
// transaction holds the database's write lock from BEGIN IMMEDIATE on.
func (dialect) ForUpdate() string { return "" }
func (dialect) ForShare() string  { return "" }

// Classify reads the extended result code of the driver's error.
func (dialect) Classify(err error) sqlstore.ErrorKind {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return sqlstore.ErrOther
	}
	switch e.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return sqlstore.ErrUnique
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return sqlstore.ErrForeignKey
	}
	return sqlstore.ErrOther
}

// Notify does nothing: SQLite has no channel between processes. This
// process's own writes reach its cache in-process; writes by other processes
// on the same file (`stackgate user add` beside a running server) are noticed
// by Listen's PRAGMA data_version poll.
func (dialect) Notify(context.Context, *sql.Tx, stackgate.Change) error { return nil }

// ReadTxOptions: a deferred transaction on a WAL reader already reads one
// snapshot from its first SELECT on.
func (dialect) ReadTxOptions() *sql.TxOptions { return nil }

// CachesStatements: modernc.org/sqlite parses the text of every call that
// is not a prepared statement's, so the store prepares them.
func (dialect) CachesStatements() bool { return false }
