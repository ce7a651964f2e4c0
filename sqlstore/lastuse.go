package sqlstore

import (
	"context"

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
	for _, u := range uses {
		at := ms(u.At)
		if u.Kind == stackgate.LastUseSession {
			if _, err := tx.exec(ctx, `UPDATE sessions SET last_used_at = ? WHERE uid = ? AND last_used_at < ?`,
				at, u.TokenUID, at); err != nil {
				return err
			}
			continue
		}
		table, column := "delivery_tokens", "last_used_at"
		switch u.Kind {
		case stackgate.LastUsePreview:
			column = "preview_last_used_at"
		case stackgate.LastUseManagement:
			table = "management_tokens"
		}
		if _, err := tx.exec(ctx, `UPDATE `+table+` SET `+column+` = ? WHERE stack_uid = ? AND uid = ? AND `+column+` < ?`,
			at, u.StackUID, u.TokenUID, at); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}
