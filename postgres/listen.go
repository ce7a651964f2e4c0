package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/sqlstore"
)

// Timing of Listen.
const (
	minBackoff     = 100 * time.Millisecond // first wait before reconnecting
	maxBackoff     = 2 * time.Second        // the wait doubles up to this
	idleCheck      = time.Second            // ping after this long without a notification
	pingTimeout    = time.Second            // a ping slower than this means a dead connection
	connectTimeout = 5 * time.Second        // for connecting and LISTEN
)

// Listen calls onChange for every change committed by another node (or
// another handle on the database) until ctx ends; then it returns nil. The
// notifications of this handle's own commits arrive too, and are skipped by
// their origin: the store's OnCommit hooks were called with them before the
// write returned, so delivering them again would only drop the snapshot the
// hook has just rebuilt.
//
// It holds one dedicated connection (not from the pool) that has run
// LISTEN stackgate_changes. When that connection fails, Listen calls
// onReset(false) at once, because changes committed from then on are
// missed, and reconnects with a backoff growing from 100ms to 2s; once
// LISTEN succeeds again it calls onReset(true). The first LISTEN after the
// call does not call onReset(true): callers start in the listening state,
// and nothing was missed that a cache could hold before the first write
// it observes. If that first connection cannot be made, onReset(false) is
// called as for any failure.
//
// A connection that dies silently (a peer that vanished, a dropped NAT
// entry) sends no error, so after 1s without a notification Listen pings
// the server with a 1s timeout. Worst case, a dead connection is detected
// about 2s after the last notification it delivered (1s idle + 1s ping
// timeout), and only then is onReset(false) called: changes committed in
// that window may be missed and cached entries may outlive them by up to
// those 2s.
//
// onChange and onReset run on Listen's goroutine, one at a time, and should
// return quickly: while they run, notifications queue on the connection.
//
// A payload that does not decode is treated as a failure of the
// connection: not knowing what changed, caches must forget everything.
func (db *DB) Listen(ctx context.Context, onChange func(stackgate.Change), onReset func(listening bool)) error {
	log := db.Logger
	if log == nil {
		log = slog.Default()
	}
	backoff := minBackoff
	lost := false // onReset(false) was called and onReset(true) not yet
	for {
		err := db.listen(ctx, onChange, func() {
			backoff = minBackoff
			if lost {
				lost = false
				log.InfoContext(ctx, "postgres: change listener reconnected")
				onReset(true)
			}
		})
		if ctx.Err() != nil {
			return nil
		}
		if !lost {
			lost = true
			onReset(false)
		}
		log.WarnContext(ctx, "postgres: change listener lost its connection", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// listen runs one connection's life: connect, LISTEN, call listening, then
// deliver notifications until the connection fails or ctx ends.
func (db *DB) listen(ctx context.Context, onChange func(stackgate.Change), listening func()) error {
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	conn, err := pgx.Connect(cctx, db.url)
	cancel()
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer func() {
		// Closing sends Terminate; don't let a dead peer hold us up.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	cctx, cancel = context.WithTimeout(ctx, connectTimeout)
	_, err = conn.Exec(cctx, "LISTEN "+channel)
	cancel()
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	listening()
	for {
		wctx, cancel := context.WithTimeout(ctx, idleCheck)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			c, origin, err := sqlstore.DecodeChange(n.Payload)
			if err != nil {
				return err
			}
			if origin != db.origin {
				onChange(c)
			}
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			// Idle for idleCheck: make sure the connection is still alive.
			pctx, cancel := context.WithTimeout(ctx, pingTimeout)
			err := conn.Ping(pctx)
			cancel()
			if err != nil {
				return fmt.Errorf("ping: %w", err)
			}
		default:
			return fmt.Errorf("wait: %w", err)
		}
	}
}
