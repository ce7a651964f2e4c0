package sqlstore

import (
	"context"
	"time"

	"github.com/stackgate/stackgate"
)

// previous returns what a rotation at at keeps of the value it replaces:
// its hash until previousUntil, or nothing when there is no grace window.
func previous(hash []byte, previousUntil, at time.Time) (any, int64) {
	if !previousUntil.After(at) || len(hash) == 0 {
		return nil, 0
	}
	return hash, ms(previousUntil)
}

// RotateDeliveryToken replaces the delivery token's value with next,
// keeping the value replaced until previousUntil.
func (s *Store) RotateDeliveryToken(ctx context.Context, stackUID, uid string, next stackgate.Sealed, previousUntil time.Time, by string, at time.Time) error {
	ev := &event{module: stackgate.AuditDeliveryToken, typ: stackgate.AuditRotate, uid: uid}
	return s.writeStack(ctx, stackUID, ev, func(tx *Tx) error {
		var old []byte
		if err := tx.queryRow(ctx, `SELECT name, token_hash FROM delivery_tokens WHERE stack_uid = ? AND uid = ?`+tx.d.ForUpdate(),
			stackUID, uid).Scan(&ev.title, &old); err != nil {
			return notFound(err, "delivery token")
		}
		prev, until := previous(old, previousUntil, at)
		_, err := tx.exec(ctx, `UPDATE delivery_tokens SET token_hash = ?, token_hmac = ?, token_cipher = ?, key_id = ?,
			previous_hash = ?, previous_expires_at = ?, updated_by = ?, updated_at = ? WHERE stack_uid = ? AND uid = ?`,
			next.Hash, stackgate.HMACKeyOf(next.HashKey), blob(next.Ciphertext), next.KeyID, prev, until, by, ms(at), stackUID, uid)
		return tx.conflict(err, "token")
	})
}

// RotatePreviewToken replaces the preview token's value with next, keeping
// the value replaced until previousUntil; ENOTFOUND when the delivery token
// has no preview token.
func (s *Store) RotatePreviewToken(ctx context.Context, stackUID, uid string, next stackgate.Sealed, previousUntil time.Time, by string, at time.Time) error {
	ev := &event{module: stackgate.AuditPreviewToken, typ: stackgate.AuditRotate, uid: uid}
	return s.writeStack(ctx, stackUID, ev, func(tx *Tx) error {
		var old []byte
		if err := tx.queryRow(ctx, `SELECT name, preview_hash FROM delivery_tokens WHERE stack_uid = ? AND uid = ?`+tx.d.ForUpdate(),
			stackUID, uid).Scan(&ev.title, &old); err != nil {
			return notFound(err, "delivery token")
		}
		if len(old) == 0 {
			return stackgate.ErrNotFound("preview token")
		}
		prev, until := previous(old, previousUntil, at)
		_, err := tx.exec(ctx, `UPDATE delivery_tokens SET preview_hash = ?, preview_hmac = ?, preview_cipher = ?, preview_key_id = ?,
			preview_previous_hash = ?, preview_previous_expires_at = ?, updated_by = ?, updated_at = ? WHERE stack_uid = ? AND uid = ?`,
			next.Hash, stackgate.HMACKeyOf(next.HashKey), blob(next.Ciphertext), next.KeyID, prev, until, by, ms(at), stackUID, uid)
		return tx.conflict(err, "preview_token")
	})
}

// RotateManagementToken replaces the management token's hash with
// nextHash, keeping the one replaced until previousUntil.
func (s *Store) RotateManagementToken(ctx context.Context, stackUID, uid string, nextHash []byte, nextHashKey string, previousUntil time.Time, by string, at time.Time) error {
	ev := &event{module: stackgate.AuditManagementToken, typ: stackgate.AuditRotate, uid: uid}
	return s.writeStack(ctx, stackUID, ev, func(tx *Tx) error {
		var old []byte
		if err := tx.queryRow(ctx, `SELECT name, token_hash FROM management_tokens WHERE stack_uid = ? AND uid = ?`+tx.d.ForUpdate(),
			stackUID, uid).Scan(&ev.title, &old); err != nil {
			return notFound(err, "management token")
		}
		prev, until := previous(old, previousUntil, at)
		_, err := tx.exec(ctx, `UPDATE management_tokens SET token_hash = ?, token_hmac = ?, previous_hash = ?, previous_expires_at = ?,
			updated_by = ?, updated_at = ? WHERE stack_uid = ? AND uid = ?`,
			nextHash, stackgate.HMACKeyOf(nextHashKey), prev, until, by, ms(at), stackUID, uid)
		return tx.conflict(err, "token")
	})
}
