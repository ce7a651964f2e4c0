package sqlstore

import (
	"context"
	"fmt"
	"slices"
)

// SetFault makes every statement of s's later write transactions pass
// through fault, which may replace it (nil: none).
func SetFault(s *Store, fault func(query string) string) { s.fault = fault }

// Tables are every table of the schema.
var Tables = []string{"users", "sessions", "stacks", "members", "member_roles", "environments", "locales",
	"branches", "branch_aliases", "roles", "refs", "delivery_tokens", "management_tokens", "expiry_notices",
	"oauth_apps", "oauth_authorizations", "oauth_codes", "oauth_tokens", "oauth_spent", "stack_invitations", "stack_invitation_roles",
	"audit_logs", "key_fingerprints", "webhook_deliveries", "token_webhooks"}

// Dump returns every row of every table, each rendered as text, sorted: two
// dumps are equal exactly when the database holds the same rows.
func Dump(ctx context.Context, s *Store) (map[string][]string, error) {
	out := map[string][]string{}
	for _, table := range Tables {
		rows, err := s.write.QueryContext(ctx, `SELECT * FROM `+table)
		if err != nil {
			return nil, err
		}
		cols, err := rows.Columns()
		if err != nil {
			rows.Close()
			return nil, err
		}
		lines := []string{}
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return nil, err
			}
			line := ""
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				line += fmt.Sprintf("%s=%v ", cols[i], v)
			}
			lines = append(lines, line)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
		slices.Sort(lines)
		out[table] = lines
	}
	return out, nil
}

// Statements counts the statements the writer and the reader pools keep
// prepared (-1, -1 when the dialect leaves it to the driver).
func Statements(s *Store) (write, read int) {
	if s.wstmts == nil {
		return -1, -1
	}
	count := func(c *stmtCache) int {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.stmts)
	}
	return count(s.wstmts), count(s.rstmts)
}

// MaxStatements is the bound of each pool's statements.
const MaxStatements = maxStatements

// SelectOnPool runs "SELECT n" as a single-statement read on the reader
// pool: n distinct texts for the cache.
func SelectOnPool(ctx context.Context, s *Store, n int) (int, error) {
	return readOne(ctx, s, func(tx *Tx) (int, error) {
		var v int
		err := tx.queryRow(ctx, fmt.Sprintf("SELECT %d", n)).Scan(&v)
		return v, err
	})
}
