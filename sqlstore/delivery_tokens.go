package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/stackgate/stackgate"
)

const deliveryTokenInsertColumns = `uid, stack_uid, name, description, scope, token_hash, token_cipher, key_id,
	preview_hash, preview_cipher, preview_key_id, created_by, updated_by, created_at, updated_at, expires_on, rate_limit, ip_allow,
	token_hmac, preview_hmac`

// deliveryTokenColumns are what reads select: the inserted columns and
// those only rotations write.
const deliveryTokenColumns = deliveryTokenInsertColumns + `, previous_hash, previous_expires_at,
	preview_previous_hash, preview_previous_expires_at, last_used_at, preview_last_used_at`

// CreateDeliveryToken inserts t with its refs. EINVALID on "token" when the
// stack already has limit delivery tokens (no limit when limit <= 0);
// ECONFLICT on "name".
func (s *Store) CreateDeliveryToken(ctx context.Context, t *stackgate.DeliveryToken, refs []stackgate.Ref, limit int) error {
	return s.writeStack(ctx, t.StackUID, &event{module: stackgate.AuditDeliveryToken, typ: stackgate.AuditCreate, uid: t.UID, title: t.Name}, func(tx *Tx) error {
		if err := checkLimit(ctx, tx, "delivery_tokens", t.StackUID, limit, "delivery"); err != nil {
			return err
		}
		scope, err := marshalScope(t.Scope)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO delivery_tokens (`+deliveryTokenInsertColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.UID, t.StackUID, t.Name, t.Description, scope, t.Secret.Hash, blob(t.Secret.Ciphertext), t.Secret.KeyID,
			blob(t.Preview.Hash), blob(t.Preview.Ciphertext), t.Preview.KeyID,
			t.CreatedBy, t.UpdatedBy, ms(t.CreatedAt), ms(t.UpdatedAt), expiresOn(t.ExpiresOn),
			t.Limits.Rate.Read, formatIPAllow(t.Limits.IPAllow), stackgate.HMACKeyOf(t.Secret.HashKey), stackgate.HMACKeyOf(t.Preview.HashKey)); err != nil {
			return tx.conflict(err, "name")
		}
		if err := setRefs(ctx, tx, t.StackUID, ownerDeliveryToken, t.UID, refs); err != nil {
			return err
		}
		return nil
	})
}

// FindDeliveryToken returns the stack's delivery token or ENOTFOUND.
func (s *Store) FindDeliveryToken(ctx context.Context, stackUID, uid string) (*stackgate.DeliveryToken, error) {
	return readOne(ctx, s, func(tx *Tx) (*stackgate.DeliveryToken, error) {
		return scanDeliveryToken(tx.queryRow(ctx, `SELECT `+deliveryTokenColumns+` FROM delivery_tokens
			WHERE stack_uid = ? AND uid = ?`, stackUID, uid))
	})
}

// FindDeliveryTokenByHash finds the token whose delivery token hash, or
// whose preview token hash when preview is true, equals hash, in any stack.
func (s *Store) FindDeliveryTokenByHash(ctx context.Context, hash []byte, preview bool) (*stackgate.DeliveryToken, error) {
	column, previous := "token_hash", "previous_hash"
	if preview {
		column, previous = "preview_hash", "preview_previous_hash"
	}
	// A value a rotation replaced finds its token too: whether it still
	// works is the caller's to decide (Rotated.Works).
	return readOne(ctx, s, func(tx *Tx) (*stackgate.DeliveryToken, error) {
		return scanDeliveryToken(tx.queryRow(ctx, `SELECT `+deliveryTokenColumns+` FROM delivery_tokens
			WHERE `+column+` = ? OR `+previous+` = ?
			ORDER BY CASE WHEN `+column+` = ? THEN 0 ELSE 1 END LIMIT 1`, hash, hash, hash))
	})
}

// ListDeliveryTokens returns the stack's delivery tokens.
func (s *Store) ListDeliveryTokens(ctx context.Context, stackUID string) ([]*stackgate.DeliveryToken, error) {
	return readOne(ctx, s, func(tx *Tx) ([]*stackgate.DeliveryToken, error) { return listDeliveryTokens(ctx, tx, stackUID) })
}

func listDeliveryTokens(ctx context.Context, tx *Tx, stackUID string) ([]*stackgate.DeliveryToken, error) {
	return queryList(ctx, tx, scanDeliveryToken, `SELECT `+deliveryTokenColumns+` FROM delivery_tokens
		WHERE stack_uid = ? ORDER BY created_at, seq`, stackUID)
}

// UpdateDeliveryToken replaces name, description, scope, expiry, limits, updated_by/updated_at and refs.
func (s *Store) UpdateDeliveryToken(ctx context.Context, t *stackgate.DeliveryToken, refs []stackgate.Ref) error {
	return s.writeStack(ctx, t.StackUID, &event{module: stackgate.AuditDeliveryToken, typ: stackgate.AuditUpdate, uid: t.UID, title: t.Name}, func(tx *Tx) error {
		scope, err := marshalScope(t.Scope)
		if err != nil {
			return err
		}
		res, err := tx.exec(ctx, `UPDATE delivery_tokens SET name = ?, description = ?, scope = ?, expires_on = ?, rate_limit = ?, ip_allow = ?,
			updated_by = ?, updated_at = ? WHERE stack_uid = ? AND uid = ?`, t.Name, t.Description, scope, expiresOn(t.ExpiresOn),
			t.Limits.Rate.Read, formatIPAllow(t.Limits.IPAllow), t.UpdatedBy, ms(t.UpdatedAt), t.StackUID, t.UID)
		if err != nil {
			return tx.conflict(err, "name")
		}
		if err := affected(res, "delivery token"); err != nil {
			return err
		}
		if err := setRefs(ctx, tx, t.StackUID, ownerDeliveryToken, t.UID, refs); err != nil {
			return err
		}
		return nil
	})
}

// SetPreviewToken replaces (or, with a zero Sealed, removes) the preview
// token of the delivery token.
func (s *Store) SetPreviewToken(ctx context.Context, stackUID, uid string, preview stackgate.Sealed, updatedBy string, at time.Time) error {
	ev := &event{module: stackgate.AuditPreviewToken, typ: stackgate.AuditCreate, uid: uid}
	if len(preview.Hash) == 0 {
		ev.typ = stackgate.AuditDelete
	}
	return s.writeStack(ctx, stackUID, ev, func(tx *Tx) error {
		var err error
		if ev.title, err = nameOf(ctx, tx, "delivery_tokens", stackUID, uid); err != nil {
			return err
		}
		// A new or deleted preview token ends any rotated one's grace.
		res, err := tx.exec(ctx, `UPDATE delivery_tokens SET preview_hash = ?, preview_hmac = ?, preview_cipher = ?, preview_key_id = ?,
			preview_previous_hash = NULL, preview_previous_expires_at = 0,
			updated_by = ?, updated_at = ? WHERE stack_uid = ? AND uid = ?`,
			blob(preview.Hash), stackgate.HMACKeyOf(preview.HashKey), blob(preview.Ciphertext), preview.KeyID, updatedBy, ms(at), stackUID, uid)
		if err != nil {
			return tx.conflict(err, "preview_token")
		}
		if err := affected(res, "delivery token"); err != nil {
			return err
		}
		return nil
	})
}

// DeleteDeliveryToken removes it with its preview token and refs.
func (s *Store) DeleteDeliveryToken(ctx context.Context, stackUID, uid string) error {
	ev := &event{module: stackgate.AuditDeliveryToken, typ: stackgate.AuditDelete, uid: uid}
	return s.writeStack(ctx, stackUID, ev, func(tx *Tx) error {
		var err error
		if ev.title, err = nameOf(ctx, tx, "delivery_tokens", stackUID, uid); err != nil {
			return err
		}
		res, err := tx.exec(ctx, `DELETE FROM delivery_tokens WHERE stack_uid = ? AND uid = ?`, stackUID, uid)
		if err != nil {
			return err
		}
		if err := affected(res, "delivery token"); err != nil {
			return err
		}
		if err := deleteRefs(ctx, tx, stackUID, ownerDeliveryToken, uid); err != nil {
			return err
		}
		return nil
	})
}

// checkLimit refuses (EINVALID on "token") when the stack already has limit
// rows in table. The caller holds the stack lock, so the count cannot go
// stale before its insert.
func checkLimit(ctx context.Context, tx *Tx, table, stackUID string, limit int, what string) error {
	if limit <= 0 {
		return nil
	}
	var n int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM `+table+` WHERE stack_uid = ?`, stackUID).Scan(&n); err != nil {
		return err
	}
	if n >= limit {
		return stackgate.FieldError(stackgate.EINVALID, "token",
			fmt.Sprintf("limit of %d %s tokens per stack reached.", limit, what))
	}
	return nil
}

// checkCount refuses (EINVALID on field) when query, counting the stack's
// rows of one kind, says there are limit already. The caller holds the
// stack lock, so the count cannot go stale before its insert.
func checkCount(ctx context.Context, tx *Tx, query, stackUID string, limit int, field, what string) error {
	if limit <= 0 {
		return nil
	}
	var n int
	if err := tx.queryRow(ctx, query, stackUID).Scan(&n); err != nil {
		return err
	}
	if n >= limit {
		return stackgate.FieldError(stackgate.EINVALID, field, fmt.Sprintf("limit of %d %s per stack reached.", limit, what))
	}
	return nil
}

func scanDeliveryToken(r scanner) (*stackgate.DeliveryToken, error) {
	var t stackgate.DeliveryToken
	var scope string
	var created, updated, prevUntil, previewPrevUntil, used, previewUsed int64
	var expires sql.NullInt64
	var ipAllow string
	if err := r.Scan(&t.UID, &t.StackUID, &t.Name, &t.Description, &scope,
		&t.Secret.Hash, &t.Secret.Ciphertext, &t.Secret.KeyID,
		&t.Preview.Hash, &t.Preview.Ciphertext, &t.Preview.KeyID,
		&t.CreatedBy, &t.UpdatedBy, &created, &updated, &expires, &t.Limits.Rate.Read, &ipAllow, &t.Secret.HashKey, &t.Preview.HashKey,
		&t.Previous.Hash, &prevUntil, &t.PreviewPrev.Hash, &previewPrevUntil, &used, &previewUsed); err != nil {
		return nil, notFound(err, "delivery token")
	}
	if t.Preview.IsZero() {
		t.Preview.HashKey = ""
	}
	t.Previous.ExpiresAt, t.PreviewPrev.ExpiresAt = fromMS(prevUntil), fromMS(previewPrevUntil)
	t.LastUsedAt, t.PreviewUsed = fromMS(used), fromMS(previewUsed)
	if expires.Valid {
		e := time.UnixMilli(expires.Int64).UTC()
		t.ExpiresOn = &e
	}
	var err error
	if t.Scope, err = unmarshalScope(scope); err != nil {
		return nil, err
	}
	if t.Limits.IPAllow, err = parseIPAllow(ipAllow); err != nil {
		return nil, err
	}
	t.CreatedAt, t.UpdatedAt = fromMS(created), fromMS(updated)
	return &t, nil
}
