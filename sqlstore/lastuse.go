package sqlstore

import (
	"context"
	"database/sql"

	"github.com/stackgate/stackgate"
)

// RecordLastUse writes a batch of last uses in one transaction; each only
// moves a token's last use forward. It records no Change and no audit entry:
// what a credential may do is unchanged.
func (s *Store) RecordLastUse(ctx context.Context, uses []stackgate.LastUse) error {
	if len(uses) == 0 {
		return nil
	}
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// A flush is thousands of rows on a busy node and one of four
	// statements each: each statement is prepared once per flush, not
	// parsed again for every row.
	stmts := map[stackgate.LastUseKind]*sql.Stmt{}
	defer func() {
		for _, st := range stmts {
			st.Close()
		}
	}()
	for _, u := range uses {
		st, ok := stmts[u.Kind]
		if !ok {
			if st, err = tx.prepare(ctx, lastUseUpdate(u.Kind)); err != nil {
				return err
			}
			stmts[u.Kind] = st
		}
		at := ms(u.At)
		args := []any{at, u.StackUID, u.TokenUID, at}
		if u.Kind == stackgate.LastUseSession {
			args = []any{at, u.TokenUID, at}
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// lastUseUpdate is the statement moving one token's (or session's) last use
// forward: (at, stack uid, token uid, at), or (at, session uid, at).
func lastUseUpdate(kind stackgate.LastUseKind) string {
	if kind == stackgate.LastUseSession {
		return `UPDATE sessions SET last_used_at = ? WHERE uid = ? AND last_used_at < ?`
	}
	table, column := "delivery_tokens", "last_used_at"
	switch kind {
	case stackgate.LastUsePreview:
		column = "preview_last_used_at"
	case stackgate.LastUseManagement:
		table = "management_tokens"
	}
	return `UPDATE ` + table + ` SET ` + column + ` = ? WHERE stack_uid = ? AND uid = ? AND ` + column + ` < ?`
}
