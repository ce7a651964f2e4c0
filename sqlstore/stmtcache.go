package sqlstore

import (
	"context"
	"database/sql"
	"sync"
)

// maxStatements bounds the statements a pool keeps prepared. The SQL of
// sqlstore is a fixed set of texts (a few hundred, every variant counted);
// past the bound a new text simply runs unprepared, as before the cache.
const maxStatements = 512

// stmtCache keeps one *sql.Stmt per distinct final SQL text (rebound for the
// dialect) for one pool, so that the driver parses each text once per
// connection instead of at every call (modernc.org/sqlite spends a quarter
// of the store's CPU in its parser otherwise). database/sql prepares a
// cached statement again on each connection of the pool that runs it, and
// forgets the connections it closes.
//
// A statement is never prepared on the pool from inside a transaction: the
// transaction holds a connection (the writer pool's only one), and the
// prepare would wait for another. A miss inside a transaction runs as text
// and leaves the text pending; the next transaction on the pool prepares it
// before it begins, holding no connection yet.
type stmtCache struct {
	db *sql.DB

	mu      sync.Mutex
	stmts   map[string]*sql.Stmt
	pending map[string]bool // missed inside a transaction, to prepare
	closed  bool
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}, pending: map[string]bool{}}
}

// lookup returns the prepared statement of text, or nil after recording it
// as pending (while the cache has room). For use inside a transaction.
func (c *stmtCache) lookup(text string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.stmts[text]; st != nil {
		return st
	}
	if !c.closed && len(c.stmts)+len(c.pending) < maxStatements {
		c.pending[text] = true
	}
	return nil
}

// get returns the prepared statement of text, preparing it on the pool when
// missing (nil when the cache is full or closed, or the prepare failed: the
// caller runs text as is, and reports the driver's error from that). The
// caller must hold no connection of the pool.
func (c *stmtCache) get(ctx context.Context, text string) *sql.Stmt {
	c.mu.Lock()
	st, full := c.stmts[text], c.closed || len(c.stmts) >= maxStatements
	c.mu.Unlock()
	if st != nil || full {
		return st
	}
	st, err := c.db.PrepareContext(ctx, text)
	if err != nil {
		return nil
	}
	return c.add(text, st)
}

// preparePending prepares the texts that transactions missed. The caller
// holds no connection of the pool.
func (c *stmtCache) preparePending(ctx context.Context) {
	c.mu.Lock()
	if len(c.pending) == 0 {
		c.mu.Unlock()
		return
	}
	texts := make([]string, 0, len(c.pending))
	for text := range c.pending {
		texts = append(texts, text)
	}
	clear(c.pending)
	c.mu.Unlock()
	for _, text := range texts {
		if st, err := c.db.PrepareContext(ctx, text); err == nil {
			c.add(text, st)
		}
	}
}

// add caches st for text and returns the statement cached for it: st, or
// the one another goroutine prepared meanwhile (st is closed then).
func (c *stmtCache) add(text string, st *sql.Stmt) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if have := c.stmts[text]; have != nil || c.closed || len(c.stmts) >= maxStatements {
		st.Close()
		return have
	}
	c.stmts[text] = st
	return st
}

// close closes every cached statement; later calls find none.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.stmts {
		st.Close()
	}
	clear(c.stmts)
	clear(c.pending)
	c.closed = true
}
