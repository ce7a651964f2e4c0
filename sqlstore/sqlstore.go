// Package sqlstore implements stackgate.Store once, over database/sql, for
// every SQL backend. The backends (sqlite, postgres) open the connection
// pools, run their own migrations and supply a Dialect: how placeholders are
// spelled, how rows are locked, how driver errors are classified and how a
// committed change is announced to other nodes. The SQL here is written once,
// with ? placeholders, in the subset both SQLite and PostgreSQL accept.
package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/stackgate/stackgate"
)

// ErrorKind classifies a driver error. Dialects classify by the driver's
// error type and code, never by message text.
type ErrorKind int

const (
	ErrOther      ErrorKind = iota
	ErrUnique               // a UNIQUE or PRIMARY KEY constraint failed
	ErrForeignKey           // a FOREIGN KEY constraint failed
)

// Dialect is what differs between the SQL backends.
type Dialect interface {
	// Rebind turns the ? placeholders of query into the driver's own.
	Rebind(query string) string
	// ForUpdate and ForShare are the suffixes that lock the selected rows
	// until the transaction ends ("" where writers are serialized anyway).
	ForUpdate() string
	ForShare() string
	// Classify says what kind of constraint failure err is, if any.
	Classify(err error) ErrorKind
	// Notify announces c to every other node, inside tx, so that the
	// announcement is delivered if and only if tx commits. A single-node
	// backend does nothing. (This process hears c from the store's OnCommit
	// hooks.)
	Notify(ctx context.Context, tx *sql.Tx, c stackgate.Change) error
	// ReadTxOptions are the options of read-only transactions (nil for none).
	ReadTxOptions() *sql.TxOptions
	// CachesStatements says whether the driver keeps each SQL text prepared
	// per connection itself (pgx does); if not, the store prepares each
	// text once per pool (stmtcache.go).
	CachesStatements() bool
}

// Store implements stackgate.Store over a writer and a reader pool, which may
// be the same *sql.DB. Close closes them.
type Store struct {
	write *sql.DB
	read  *sql.DB
	d     Dialect

	// wstmts and rstmts are the prepared statements of write and read (the
	// same cache when the pools are the same; nil when the driver caches).
	wstmts, rstmts *stmtCache

	hooksMu sync.Mutex
	hooks   []func(stackgate.Change) // OnCommit

	// fault, when set (by tests only, export_test.go), sees every statement
	// of a write transaction and may replace it, to inject a failure.
	fault func(query string) string
}

// New returns a Store that writes through write and reads through read.
func New(write, read *sql.DB, d Dialect) *Store {
	s := &Store{write: write, read: read, d: d}
	if !d.CachesStatements() {
		s.wstmts, s.rstmts = newStmtCache(write), newStmtCache(read)
		if read == write {
			s.rstmts = s.wstmts
		}
	}
	return s
}

// OnCommit registers fn to be called, after each write that commits, with
// each distinct change of the write, before the write method returns (see
// stackgate.ChangeNotifier).
func (s *Store) OnCommit(fn func(stackgate.Change)) {
	s.hooksMu.Lock()
	defer s.hooksMu.Unlock()
	s.hooks = append(s.hooks[:len(s.hooks):len(s.hooks)], fn)
}

// committed calls the OnCommit hooks with each change.
func (s *Store) committed(changes []stackgate.Change) {
	if len(changes) == 0 {
		return
	}
	s.hooksMu.Lock()
	hooks := s.hooks
	s.hooksMu.Unlock()
	for _, c := range changes {
		for _, fn := range hooks {
			fn(c)
		}
	}
}

// querier is what *sql.Tx and *sql.DB have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Tx is a transaction that rebinds its queries for the dialect and collects
// the changes to announce at commit. The helpers of each resource take one.
// For reads of a single statement, q is the reader pool itself and tx is
// nil: one statement sees one snapshot anyway, and it saves the BEGIN and
// COMMIT round trips.
type Tx struct {
	q       querier
	tx      *sql.Tx
	d       Dialect
	s       *Store
	stmts   *stmtCache                // the pool's prepared statements (nil: none)
	fault   func(query string) string // Store.fault, in write transactions
	changes []stackgate.Change
	audited bool // an audit entry was written (audit.go)
}

// beginWrite starts a read-write transaction on the writer pool.
func (s *Store) beginWrite(ctx context.Context) (*Tx, error) {
	if s.wstmts != nil {
		s.wstmts.preparePending(ctx)
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &Tx{q: tx, tx: tx, d: s.d, s: s, stmts: s.wstmts, fault: s.fault}, nil
}

// beginRead starts a transaction on the reader pool, so that reads made of
// several statements see one snapshot.
func (s *Store) beginRead(ctx context.Context) (*Tx, error) {
	if s.rstmts != nil {
		s.rstmts.preparePending(ctx)
	}
	tx, err := s.read.BeginTx(ctx, s.d.ReadTxOptions())
	if err != nil {
		return nil, err
	}
	return &Tx{q: tx, tx: tx, d: s.d, s: s, stmts: s.rstmts}, nil
}

// Rollback aborts the transaction; after Commit it is a no-op, so it can be
// deferred right after begin.
func (tx *Tx) Rollback() error { return tx.tx.Rollback() }

// Commit announces the collected changes to other nodes inside the
// transaction, commits, then tells this process (the OnCommit hooks) before
// returning. This is the one place where writes are announced: a write
// method that records its change cannot be forgotten by any caller.
//
// When COMMIT itself fails, whether the write happened is unknown (the
// connection may have died after the server committed): the hooks are told
// anyway, since a needless reload costs little and a missed one would keep a
// revoked credential alive on this node.
func (tx *Tx) Commit(ctx context.Context) error {
	if len(tx.changes) > 0 && !tx.audited {
		return errUnaudited
	}
	var distinct []stackgate.Change
	for _, c := range tx.changes {
		if slices.Contains(distinct, c) {
			continue
		}
		distinct = append(distinct, c)
		if err := tx.d.Notify(ctx, tx.tx, c); err != nil {
			return fmt.Errorf("notify: %w", err)
		}
	}
	err := tx.tx.Commit()
	tx.s.committed(distinct)
	return err
}

// changed records that the transaction touches what credentials may do.
func (tx *Tx) changed(c stackgate.Change) { tx.changes = append(tx.changes, c) }

func (tx *Tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	text, st := tx.stmt(ctx, query)
	if st == nil {
		return tx.q.ExecContext(ctx, text, args...)
	}
	if tx.tx != nil {
		defer st.Close()
	}
	return st.ExecContext(ctx, args...)
}

// prepare prepares query in the transaction, for a statement run many times
// in it; the caller closes it. Transactions only.
func (tx *Tx) prepare(ctx context.Context, query string) (*sql.Stmt, error) {
	text, st := tx.stmt(ctx, query)
	if st != nil {
		return st, nil
	}
	return tx.tx.PrepareContext(ctx, text)
}

// query and queryRow leave a statement bound to the transaction open: the
// transaction closes it when it ends, after the rows it returned.
func (tx *Tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	text, st := tx.stmt(ctx, query)
	if st == nil {
		return tx.q.QueryContext(ctx, text, args...)
	}
	return st.QueryContext(ctx, args...)
}

func (tx *Tx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	text, st := tx.stmt(ctx, query)
	if st == nil {
		return tx.q.QueryRowContext(ctx, text, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// stmt returns query's final text and, when its pool has it prepared, the
// statement to run it with: in a transaction, bound to it (closed when the
// transaction ends, or by the caller); on the pool, the pool's own. A query
// the fault hook replaced runs as text, outside the cache.
func (tx *Tx) stmt(ctx context.Context, query string) (string, *sql.Stmt) {
	faulted := false
	if tx.fault != nil {
		q := tx.fault(query)
		faulted, query = q != query, q
	}
	text := tx.d.Rebind(query)
	if tx.stmts == nil || faulted {
		return text, nil
	}
	if tx.tx == nil {
		return text, tx.stmts.get(ctx, text)
	}
	st := tx.stmts.lookup(text)
	if st == nil {
		return text, nil
	}
	return text, tx.tx.StmtContext(ctx, st)
}

// affected returns ErrNotFound(what) when res touched no row.
func affected(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return stackgate.ErrNotFound(what)
	}
	return nil
}

func noRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// notFound turns sql.ErrNoRows into ErrNotFound(what).
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return stackgate.ErrNotFound(what)
	}
	return err
}

// conflict turns a unique violation into ErrConflict(field). SQLite does not
// say which constraint failed other than in its message, so the caller names
// the field that its statement can make collide (other unique columns hold
// random uids or hashes).
func (tx *Tx) conflict(err error, field string) error {
	if err != nil && tx.d.Classify(err) == ErrUnique {
		return stackgate.ErrConflict(field)
	}
	return err
}

// lockStack locks the stack row for the rest of the transaction. Every
// stack-scoped write takes it first, so writes to one stack are serialized
// (limits and membership checks cannot race) and all locks are taken in the
// same order (stack, then its rows), which rules out deadlocks between them.
// writeStack runs fn in one write transaction that first locks the stack
// row (serialising writes per stack, so counts and reference checks cannot
// race), writes ev's audit entry (which fn may complete: the title of what
// it deleted), records that the stack changed, and commits; any error from
// fn or the entry rolls everything back.
func (s *Store) writeStack(ctx context.Context, stackUID string, ev *event, fn func(tx *Tx) error) error {
	return s.writeLocked(ctx, stackUID, ev, func(tx *Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		tx.changed(stackgate.Change{StackUID: stackUID})
		return nil
	})
}

// writeLocked is writeStack for a write whose change depends on what it
// found (fn records it): one transaction, the stack row locked first, ev's
// entry written after fn.
func (s *Store) writeLocked(ctx context.Context, stackUID string, ev *event, fn func(tx *Tx) error) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := lockStack(ctx, tx, stackUID); err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.audit(ctx, stackUID, ev); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

func lockStack(ctx context.Context, tx *Tx, stackUID string) error {
	var uid string
	err := tx.queryRow(ctx, `SELECT uid FROM stacks WHERE uid = ?`+tx.d.ForUpdate(), stackUID).Scan(&uid)
	return notFound(err, "stack")
}

// Timestamps are stored as unix milliseconds, which every driver scans into
// an int64; the zero time is stored as 0 so that it reads back as zero.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// blob binds an empty byte slice as NULL, so that "no secret" is one value.
func blob(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

func nullString(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

func stringPtr(ns sql.NullString) *string {
	if !ns.Valid {
		return nil
	}
	s := ns.String
	return &s
}

func marshal(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func unmarshal(s string, v any) error {
	if err := json.Unmarshal([]byte(s), v); err != nil {
		return fmt.Errorf("decode stored json: %w", err)
	}
	return nil
}

// changePayload is the wire form of a Change in notifications: {"s":uid} or
// {"u":uid} or {"a":uid}, with "o" naming the store handle that committed it (so that a
// node can skip its own writes, which its OnCommit hooks have handled).
type changePayload struct {
	S string `json:"s,omitempty"`
	U string `json:"u,omitempty"`
	A string `json:"a,omitempty"`
	O string `json:"o,omitempty"`
}

// EncodeChange renders c, committed by the store handle origin, as a
// notification payload.
func EncodeChange(c stackgate.Change, origin string) string {
	b, _ := json.Marshal(changePayload{S: c.StackUID, U: c.UserUID, A: c.AppUID, O: origin})
	return string(b)
}

// DecodeChange reads a notification payload written by EncodeChange. A
// payload without an origin (written by an older node) has origin "".
func DecodeChange(payload string) (c stackgate.Change, origin string, err error) {
	var p changePayload
	if err := json.Unmarshal([]byte(payload), &p); err != nil {
		return stackgate.Change{}, "", fmt.Errorf("decode change %q: %w", payload, err)
	}
	if p.S == "" && p.U == "" && p.A == "" {
		return stackgate.Change{}, "", fmt.Errorf("decode change %q: empty", payload)
	}
	return stackgate.Change{StackUID: p.S, UserUID: p.U, AppUID: p.A}, p.O, nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// queryList runs query and scans every row with scan, returning a non-nil slice.
func queryList[T any](ctx context.Context, tx *Tx, scan func(scanner) (*T, error), query string, args ...any) ([]*T, error) {
	rows, err := tx.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// queryStrings returns the first column of every row.
func queryStrings(ctx context.Context, tx *Tx, query string, args ...any) ([]string, error) {
	rows, err := tx.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// readOne runs fn, which must make a single statement, on the reader pool
// without a transaction.
func readOne[T any](ctx context.Context, s *Store, fn func(tx *Tx) (T, error)) (T, error) {
	return fn(&Tx{q: s.read, d: s.d, s: s, stmts: s.rstmts})
}

// read runs fn, which may make several statements, in one read transaction.
func read[T any](ctx context.Context, s *Store, fn func(tx *Tx) (T, error)) (T, error) {
	var zero T
	tx, err := s.beginRead(ctx)
	if err != nil {
		return zero, err
	}
	defer tx.Rollback()
	v, err := fn(tx)
	if err != nil {
		return zero, err
	}
	if err := tx.tx.Commit(); err != nil {
		return zero, err
	}
	return v, nil
}

// Close closes the prepared statements and both pools.
func (s *Store) Close() error {
	if s.wstmts != nil {
		s.wstmts.close()
		s.rstmts.close()
	}
	err := s.write.Close()
	if s.read != s.write {
		if rerr := s.read.Close(); err == nil {
			err = rerr
		}
	}
	return err
}

var _ stackgate.Store = (*Store)(nil)
