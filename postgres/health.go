package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/stackgate/stackgate"
)

var _ stackgate.HealthChecker = (*DB)(nil)

// Health checks the pool, the schema and that the server takes writes (a
// standby, or a server in read-only mode, answers reads only).
func (db *DB) Health(ctx context.Context) []stackgate.HealthCheck {
	checks := []stackgate.HealthCheck{{Name: "store"}, {Name: "migrations"}, {Name: "writable"}}
	var readOnly string
	if err := db.db.QueryRowContext(ctx, "SHOW transaction_read_only").Scan(&readOnly); err != nil {
		for i := range checks {
			checks[i].Err = err
		}
		return checks
	}
	if readOnly != "off" {
		checks[2].Err = errors.New("PostgreSQL is read-only (a standby, or default_transaction_read_only)")
	}
	if pending, err := db.pending(ctx); err != nil {
		checks[1].Err = fmt.Errorf("schema version: %w", err)
	} else if pending {
		checks[1].Err = errors.New("migrations are pending: run stackgate migrate")
	}
	return checks
}

// Pools returns the connection pool, for its metrics.
func (db *DB) Pools() map[string]*sql.DB { return map[string]*sql.DB{"postgres": db.db} }
