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
// in-process invalidation can see. It polls PRAGMA data_version on one
// dedicated connection every PollInterval; the value moves whenever any
// other connection commits. SQLite cannot say what changed, so each move
// calls onReset(true): caches forget everything and reload. This process's
// own writes move it too; they have already invalidated precisely, and the
// extra reset costs only reloads. onChange is never called.
//
// Worst case, a write made by another process is seen PollInterval (200 ms)
// later. Listen blocks until ctx ends; for ":memory:" it does nothing.
func (db *DB) Listen(ctx context.Context, onChange func(stackgate.Change), onReset func(listening bool)) error {
	if db.memory {
		<-ctx.Done()
		return nil
	}
	conn, err := db.read.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
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
