package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/stackgate/stackgate"
)

const managementTokenInsertColumns = `uid, stack_uid, name, description, scope, expires_on, email_notification,
	token_hash, created_by, updated_by, created_at, updated_at, notify_generation,
	rate_limit_read, rate_limit_write, ip_allow, token_hmac`

// managementTokenColumns are what reads select: the inserted columns and
// those only rotations write.
const managementTokenColumns = managementTokenInsertColumns + `, previous_hash, previous_expires_at, last_used_at`

// CreateManagementToken inserts t with its refs. EINVALID on "token" when
// the stack already has limit management tokens (no limit when limit <= 0);
// ECONFLICT on "name".
func (s *Store) CreateManagementToken(ctx context.Context, t *stackgate.ManagementToken, refs []stackgate.Ref, limit int) error {
	return s.writeStack(ctx, t.StackUID, &event{module: stackgate.AuditManagementToken, typ: stackgate.AuditCreate, uid: t.UID, title: t.Name}, func(tx *Tx) error {
		if err := checkLimit(ctx, tx, "management_tokens", t.StackUID, limit, "management"); err != nil {
			return err
		}
		scope, err := marshalScope(t.Scope)
		if err != nil {
			return err
		}
		if t.NotifyGeneration < 1 {
			t.NotifyGeneration = 1
		}
		if _, err := tx.exec(ctx, `INSERT INTO management_tokens (`+managementTokenInsertColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.UID, t.StackUID, t.Name, t.Description, scope, expiresOn(t.ExpiresOn), t.EmailNotification,
			t.TokenHash, t.CreatedBy, t.UpdatedBy, ms(t.CreatedAt), ms(t.UpdatedAt), t.NotifyGeneration,
			t.Limits.Rate.Read, t.Limits.Rate.Write, formatIPAllow(t.Limits.IPAllow), stackgate.HMACKeyOf(t.HashKey)); err != nil {
			return tx.conflict(err, "name")
		}
		if err := setRefs(ctx, tx, t.StackUID, ownerManagementToken, t.UID, refs); err != nil {
			return err
		}
		return nil
	})
}

// FindManagementToken returns the stack's management token or ENOTFOUND.
func (s *Store) FindManagementToken(ctx context.Context, stackUID, uid string) (*stackgate.ManagementToken, error) {
	return readOne(ctx, s, func(tx *Tx) (*stackgate.ManagementToken, error) {
		return scanManagementToken(tx.queryRow(ctx, `SELECT `+managementTokenColumns+` FROM management_tokens
			WHERE stack_uid = ? AND uid = ?`, stackUID, uid))
	})
}

// FindManagementTokenByHash finds the token with that hash in any stack.
func (s *Store) FindManagementTokenByHash(ctx context.Context, hash []byte) (*stackgate.ManagementToken, error) {
	return readOne(ctx, s, func(tx *Tx) (*stackgate.ManagementToken, error) {
		// A value a rotation replaced finds its token too (Rotated.Works decides).
		return scanManagementToken(tx.queryRow(ctx, `SELECT `+managementTokenColumns+` FROM management_tokens
			WHERE token_hash = ? OR previous_hash = ? ORDER BY CASE WHEN token_hash = ? THEN 0 ELSE 1 END LIMIT 1`, hash, hash, hash))
	})
}

// ListManagementTokens returns the stack's management tokens.
func (s *Store) ListManagementTokens(ctx context.Context, stackUID string) ([]*stackgate.ManagementToken, error) {
	return readOne(ctx, s, func(tx *Tx) ([]*stackgate.ManagementToken, error) { return listManagementTokens(ctx, tx, stackUID) })
}

func listManagementTokens(ctx context.Context, tx *Tx, stackUID string) ([]*stackgate.ManagementToken, error) {
	return queryList(ctx, tx, scanManagementToken, `SELECT `+managementTokenColumns+` FROM management_tokens
		WHERE stack_uid = ? ORDER BY created_at, seq`, stackUID)
}

// UpdateManagementToken replaces name, description, scope, expiry,
// notification flag, updated_by/updated_at and refs; never the hash. Turning
// the notification flag on bumps (and sets in t) NotifyGeneration.
func (s *Store) UpdateManagementToken(ctx context.Context, t *stackgate.ManagementToken, refs []stackgate.Ref) error {
	return s.writeStack(ctx, t.StackUID, &event{module: stackgate.AuditManagementToken, typ: stackgate.AuditUpdate, uid: t.UID, title: t.Name}, func(tx *Tx) error {
		scope, err := marshalScope(t.Scope)
		if err != nil {
			return err
		}
		// The stack row is locked: the flag read here cannot change before
		// this transaction commits.
		var wasOn bool
		var gen int
		err = tx.queryRow(ctx, `SELECT email_notification, notify_generation FROM management_tokens
			WHERE stack_uid = ? AND uid = ?`, t.StackUID, t.UID).Scan(&wasOn, &gen)
		if err != nil {
			return notFound(err, "management token")
		}
		if t.EmailNotification && !wasOn {
			gen++
		}
		res, err := tx.exec(ctx, `UPDATE management_tokens SET name = ?, description = ?, scope = ?, expires_on = ?,
			email_notification = ?, updated_by = ?, updated_at = ?, notify_generation = ?,
			rate_limit_read = ?, rate_limit_write = ?, ip_allow = ? WHERE stack_uid = ? AND uid = ?`,
			t.Name, t.Description, scope, expiresOn(t.ExpiresOn), t.EmailNotification, t.UpdatedBy, ms(t.UpdatedAt),
			gen, t.Limits.Rate.Read, t.Limits.Rate.Write, formatIPAllow(t.Limits.IPAllow), t.StackUID, t.UID)
		if err != nil {
			return tx.conflict(err, "name")
		}
		if err := affected(res, "management token"); err != nil {
			return err
		}
		if err := setRefs(ctx, tx, t.StackUID, ownerManagementToken, t.UID, refs); err != nil {
			return err
		}
		t.NotifyGeneration = gen
		return nil
	})
}

// DeleteManagementToken removes it with its refs; ENOTFOUND when absent.
func (s *Store) DeleteManagementToken(ctx context.Context, stackUID, uid string) error {
	ev := &event{module: stackgate.AuditManagementToken, typ: stackgate.AuditDelete, uid: uid}
	return s.writeStack(ctx, stackUID, ev, func(tx *Tx) error {
		var err error
		if ev.title, err = nameOf(ctx, tx, "management_tokens", stackUID, uid); err != nil {
			return err
		}
		res, err := tx.exec(ctx, `DELETE FROM management_tokens WHERE stack_uid = ? AND uid = ?`, stackUID, uid)
		if err != nil {
			return err
		}
		if err := affected(res, "management token"); err != nil {
			return err
		}
		if err := deleteRefs(ctx, tx, stackUID, ownerManagementToken, uid); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM expiry_notices WHERE token_uid = ?`, uid); err != nil {
			return err
		}
		return nil
	})
}

func expiresOn(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

func scanManagementToken(r scanner) (*stackgate.ManagementToken, error) {
	var t stackgate.ManagementToken
	var scope string
	var expires sql.NullInt64
	var created, updated, prevUntil, used int64
	var ipAllow string
	if err := r.Scan(&t.UID, &t.StackUID, &t.Name, &t.Description, &scope, &expires, &t.EmailNotification,
		&t.TokenHash, &t.CreatedBy, &t.UpdatedBy, &created, &updated, &t.NotifyGeneration,
		&t.Limits.Rate.Read, &t.Limits.Rate.Write, &ipAllow, &t.HashKey, &t.Previous.Hash, &prevUntil, &used); err != nil {
		return nil, notFound(err, "management token")
	}
	var err error
	if t.Scope, err = unmarshalScope(scope); err != nil {
		return nil, err
	}
	if t.Limits.IPAllow, err = parseIPAllow(ipAllow); err != nil {
		return nil, err
	}
	if expires.Valid {
		e := time.UnixMilli(expires.Int64).UTC()
		t.ExpiresOn = &e
	}
	t.CreatedAt, t.UpdatedAt = fromMS(created), fromMS(updated)
	t.Previous.ExpiresAt, t.LastUsedAt = fromMS(prevUntil), fromMS(used)
	return &t, nil
}
