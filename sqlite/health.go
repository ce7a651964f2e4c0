package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/stackgate/stackgate"
)

var _ stackgate.HealthChecker = (*DB)(nil)

// Health checks the reader pool, the schema and the disk. A full or
// read-only disk still answers reads, so the disk is checked by writing
// and syncing a small file beside the database: the WAL grows on the same
// file system.
func (db *DB) Health(ctx context.Context) []stackgate.HealthCheck {
	checks := []stackgate.HealthCheck{{Name: "store"}, {Name: "migrations"}, {Name: "disk"}}
	if err := db.read.PingContext(ctx); err != nil {
		checks[0].Err = err
	} else if _, err := db.read.ExecContext(ctx, "SELECT 1"); err != nil {
		checks[0].Err = err
	}
	if pending, err := db.pending(ctx); err != nil {
		checks[1].Err = fmt.Errorf("schema version: %w", err)
	} else if pending {
		checks[1].Err = errPending
	}
	if db.path != "" {
		if err := probeWrite(filepath.Dir(db.path)); err != nil {
			checks[2].Err = err
		}
	} else {
		checks = checks[:2]
	}
	return checks
}

var errPending = errors.New("migrations are pending: run stackgate migrate")

// probeWrite writes, syncs and removes a 4 KiB file in dir.
func probeWrite(dir string) error {
	f, err := os.CreateTemp(dir, ".stackgate-probe-*")
	if err != nil {
		return fmt.Errorf("the database's directory is not writable: %v", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if _, err := f.Write(make([]byte, 4096)); err != nil {
		return fmt.Errorf("the database's disk does not take writes: %v", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("the database's disk does not take writes: %v", err)
	}
	return nil
}

// Pools returns the connection pools by name, for their metrics.
func (db *DB) Pools() map[string]*sql.DB {
	if db.memory {
		return map[string]*sql.DB{"sqlite": db.write}
	}
	return map[string]*sql.DB{"sqlite_write": db.write, "sqlite_read": db.read}
}
