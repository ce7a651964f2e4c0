package sqlite

import (
	"context"
	"time"

	"github.com/stackgate/stackgate"
)

// PollInterval is how often Listen looks for writes by other processes.
const PollInterval = 200 * time.Millisecond

var _ stackgate.ChangeListener = (*DB)(nil)

// Listen notices writes that other processes commit to the database file —
// `stackgate user add` or `bootstrap` run beside a serving node — which no
// in-process invalidation can see. It polls PRAGMA data_version every
// PollInterval on the writer connection (the pool holds exactly one); the
// value moves whenever any other connection commits, and this process writes
// only through that connection, so only other processes' writes move it:
// this process's own writes have already invalidated precisely, and a busy
// writer (logins count attempts in the store) must not empty the cache five
// times a second. SQLite cannot say what changed, so each move calls
// onReset(true): caches forget everything and reload. onChange is never
// called.
//
// Worst case, a write made by another process is seen PollInterval (200 ms)
// later. Listen blocks until ctx ends; for ":memory:" it does nothing.
func (db *DB) Listen(ctx context.Context, onChange func(stackgate.Change), onReset func(listening bool)) error {
	if db.memory {
		<-ctx.Done()
		return nil
	}
	conn := db.write
	var last int64
	if err := conn.QueryRowContext(ctx, "PRAGMA data_version").Scan(&last); err != nil {
		return err
	}
	t := time.NewTicker(PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		var v int64
		if err := conn.QueryRowContext(ctx, "PRAGMA data_version").Scan(&v); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if v != last {
			last = v
			onReset(true)
		}
	}
}
