// Package postgres is the multi-node stackgate.Store: every node of a
// deployment shares one PostgreSQL database, and each learns of the others'
// writes through LISTEN/NOTIFY (see Listen). The SQL itself lives in
// sqlstore; this package opens the pool, migrates the schema and supplies
// the PostgreSQL dialect.
package postgres

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// channel is the NOTIFY channel that carries stackgate changes.
const channel = "stackgate_changes"

// DB is a stackgate.Store and stackgate.ChangeListener backed by PostgreSQL.
type DB struct {
	*sqlstore.Store
	db  *sql.DB
	url string

	// origin names this handle in the notifications of its commits, so that
	// Listen skips them: the store's OnCommit hooks have already told this
	// process, before each write returned.
	origin string

	// Applied names the migrations that Open applied ("stackgate migrate"
	// reports them).
	Applied []string

	// Logger receives the errors that make Listen reconnect. Set it before
	// calling Listen; nil means slog.Default().
	Logger *slog.Logger
}

var (
	_ stackgate.Store          = (*DB)(nil)
	_ stackgate.ChangeListener = (*DB)(nil)
)

// Open connects to the database at url (a postgres:// URL or a key=value
// DSN, as pgx accepts) and migrates it.
func Open(ctx context.Context, url string) (*DB, error) {
	pool, err := sql.Open("pgx", url)
	if err != nil {
		return nil, err
	}
	// Writes are short transactions and the hot path is served from the
	// access cache, so a modest pool suffices; idle connections are kept
	// so that cache loads do not pay for a connect.
	pool.SetMaxOpenConns(20)
	pool.SetMaxIdleConns(10)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect: %w", err)
	}
	origin := rand.Text()[:16]
	db := &DB{Store: sqlstore.New(pool, pool, dialect{origin: origin}), db: pool, url: url, origin: origin}
	if db.Applied, err = db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Migrate applies the pending migrations and returns their names. A
// session-level advisory lock keeps nodes that start together from
// migrating at the same time.
func (db *DB) Migrate(ctx context.Context) ([]string, error) {
	p, err := db.provider()
	if err != nil {
		return nil, err
	}
	return sqlstore.MigrateUp(ctx, p)
}

// provider is goose over the embedded migrations, with the session lock.
func (db *DB) provider() (*goose.Provider, error) {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, err
	}
	// Out of order allowed: branches number their migrations in parallel and
	// land in any order (00007 may be applied before 00005 arrives); each
	// migration touches only its own tables.
	p, err := goose.NewProvider(goose.DialectPostgres, db.db, fsys, goose.WithSessionLocker(locker), goose.WithAllowOutofOrder(true))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

// pending reports whether migrations this binary knows are not applied
// (HasPending takes no lock).
func (db *DB) pending(ctx context.Context) (bool, error) {
	p, err := db.provider()
	if err != nil {
		return false, err
	}
	return p.HasPending(ctx)
}

// dialect is PostgreSQL's sqlstore.Dialect.
type dialect struct {
	origin string // DB.origin
}

// Rebind numbers the ? placeholders $1, $2, …. The store's SQL has no ? in
// string literals or operators, so every ? is a placeholder.
func (dialect) Rebind(query string) string {
	n := strings.Count(query, "?")
	if n == 0 {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 2*n)
	i := 0
	for _, r := range query {
		if r == '?' {
			i++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(i))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (dialect) ForUpdate() string { return " FOR UPDATE" }
func (dialect) ForShare() string  { return " FOR SHARE" }

// Classify reads the SQLSTATE of the server's error.
func (dialect) Classify(err error) sqlstore.ErrorKind {
	var e *pgconn.PgError
	if !errors.As(err, &e) {
		return sqlstore.ErrOther
	}
	switch e.Code {
	case "23505": // unique_violation
		return sqlstore.ErrUnique
	case "23503": // foreign_key_violation
		return sqlstore.ErrForeignKey
	}
	return sqlstore.ErrOther
}

// Notify queues the change, marked with this handle's origin, on the
// channel; PostgreSQL delivers it to every listener when, and only if, the
// transaction commits.
func (d dialect) Notify(ctx context.Context, tx *sql.Tx, c stackgate.Change) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_notify('`+channel+`', $1)`, sqlstore.EncodeChange(c, d.origin))
	return err
}

// ReadTxOptions: reads of several statements see one snapshot.
func (dialect) ReadTxOptions() *sql.TxOptions {
	return &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
}

// CachesStatements: pgx keeps each text prepared per connection itself (its
// default QueryExecModeCacheStatement, 512 per connection); a second cache
// in sqlstore measured no faster and allocated a fifth more
// (BenchmarkEnvironmentCreateDelete/postgres).
func (dialect) CachesStatements() bool { return true }
