package sqlstore

import (
	"context"
	"errors"
	"strings"

	"github.com/stackgate/stackgate"
)

// tokenWebhookTitle is the audit entries' metadata.title of a stack's token
// webhook (its metadata.uid is the stack's uid: a stack has one at most).
const tokenWebhookTitle = "token webhook"

const tokenWebhookColumns = `stack_uid, url, events, secret_hash, secret_cipher, key_id, secret_hint,
	created_by, updated_by, created_at, updated_at, secret_hmac`

func scanTokenWebhook(sc scanner) (*stackgate.TokenWebhook, error) {
	var w stackgate.TokenWebhook
	var events string
	var created, updated int64
	if err := sc.Scan(&w.StackUID, &w.URL, &events, &w.Secret.Hash, &w.Secret.Ciphertext, &w.Secret.KeyID, &w.SecretHint,
		&w.CreatedBy, &w.UpdatedBy, &created, &updated, &w.Secret.HashKey); err != nil {
		return nil, err
	}
	w.Events = []string{}
	if events != "" {
		w.Events = strings.Split(events, ",")
	}
	w.CreatedAt, w.UpdatedAt = fromMS(created), fromMS(updated)
	return &w, nil
}

// FindTokenWebhook returns the stack's webhook or ENOTFOUND.
func (s *Store) FindTokenWebhook(ctx context.Context, stackUID string) (*stackgate.TokenWebhook, error) {
	return readOne(ctx, s, func(tx *Tx) (*stackgate.TokenWebhook, error) {
		w, err := scanTokenWebhook(tx.queryRow(ctx, `SELECT `+tokenWebhookColumns+` FROM token_webhooks WHERE stack_uid = ?`, stackUID))
		return w, notFound(err, "token webhook")
	})
}

// CreateTokenWebhook inserts w under the stack's lock, with its audit entry.
func (s *Store) CreateTokenWebhook(ctx context.Context, w *stackgate.TokenWebhook) error {
	ev := &event{module: stackgate.AuditTokenWebhook, typ: stackgate.AuditCreate, uid: w.StackUID, title: tokenWebhookTitle}
	return s.writeLocked(ctx, w.StackUID, ev, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO token_webhooks (`+tokenWebhookColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			w.StackUID, w.URL, strings.Join(w.Events, ","), w.Secret.Hash, w.Secret.Ciphertext, w.Secret.KeyID, w.SecretHint,
			w.CreatedBy, w.UpdatedBy, ms(w.CreatedAt), ms(w.UpdatedAt), stackgate.HMACKeyOf(w.Secret.HashKey))
		return tx.conflict(err, "token_webhook")
	})
}

// UpdateTokenWebhook replaces the URL and events, and the secret when one
// is given (audited as a rotation).
func (s *Store) UpdateTokenWebhook(ctx context.Context, w *stackgate.TokenWebhook) error {
	ev := &event{module: stackgate.AuditTokenWebhook, typ: stackgate.AuditUpdate, uid: w.StackUID, title: tokenWebhookTitle}
	if !w.Secret.IsZero() {
		ev.typ = stackgate.AuditRotate
	}
	return s.writeLocked(ctx, w.StackUID, ev, func(tx *Tx) error {
		q := `UPDATE token_webhooks SET url = ?, events = ?, updated_by = ?, updated_at = ?`
		args := []any{w.URL, strings.Join(w.Events, ","), w.UpdatedBy, ms(w.UpdatedAt)}
		if !w.Secret.IsZero() {
			q += `, secret_hash = ?, secret_hmac = ?, secret_cipher = ?, key_id = ?, secret_hint = ?`
			args = append(args, w.Secret.Hash, stackgate.HMACKeyOf(w.Secret.HashKey), w.Secret.Ciphertext, w.Secret.KeyID, w.SecretHint)
		}
		res, err := tx.exec(ctx, q+` WHERE stack_uid = ?`, append(args, w.StackUID)...)
		if err != nil {
			return err
		}
		return affected(res, "token webhook")
	})
}

// DeleteTokenWebhook removes the stack's webhook, with its audit entry.
func (s *Store) DeleteTokenWebhook(ctx context.Context, stackUID string) error {
	ev := &event{module: stackgate.AuditTokenWebhook, typ: stackgate.AuditDelete, uid: stackUID, title: tokenWebhookTitle}
	return s.writeLocked(ctx, stackUID, ev, func(tx *Tx) error {
		res, err := tx.exec(ctx, `DELETE FROM token_webhooks WHERE stack_uid = ?`, stackUID)
		if err != nil {
			return err
		}
		return affected(res, "token webhook")
	})
}

// RekeyTokenWebhooks re-seals (and re-hashes) up to limit stale webhook
// secrets, one stack (one row) per transaction under that stack's lock; a
// row another rekey re-sealed meanwhile is read again under the lock and
// skipped.
func (s *Store) RekeyTokenWebhooks(ctx context.Context, activeID, hmacID string, limit int, reseal func(stackgate.Sealed) (stackgate.Sealed, error)) (int, error) {
	var stacks []string
	rows, err := s.read.QueryContext(ctx, s.d.Rebind(`SELECT stack_uid FROM token_webhooks WHERE `+staleTokenWebhook+` ORDER BY seq LIMIT ?`),
		activeID, hmacID, limit)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var uid string
		if err := rows.Scan(&uid); err != nil {
			rows.Close()
			return 0, err
		}
		stacks = append(stacks, uid)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, stackUID := range stacks {
		ev := &event{module: stackgate.AuditTokenWebhook, typ: stackgate.AuditRekey, uid: stackUID, title: tokenWebhookTitle}
		err := s.writeLocked(ctx, stackUID, ev, func(tx *Tx) error {
			var v stackgate.Sealed
			err := tx.queryRow(ctx, `SELECT secret_hash, secret_hmac, secret_cipher, key_id FROM token_webhooks WHERE stack_uid = ? AND (`+staleTokenWebhook+`)`,
				stackUID, activeID, hmacID).Scan(&v.Hash, &v.HashKey, &v.Ciphertext, &v.KeyID)
			if noRows(err) {
				return errNothingToRekey
			} else if err != nil {
				return err
			}
			sealed, err := resealTo(reseal, v, activeID, hmacID)
			if err != nil {
				return err
			}
			_, err = tx.exec(ctx, `UPDATE token_webhooks SET secret_hash = ?, secret_hmac = ?, secret_cipher = ?, key_id = ? WHERE stack_uid = ?`,
				sealed.Hash, stackgate.HMACKeyOf(sealed.HashKey), sealed.Ciphertext, sealed.KeyID, stackUID)
			return err
		})
		if errors.Is(err, errNothingToRekey) {
			continue
		}
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// staleTokenWebhook matches a webhook secret not sealed under the active
// encryption key (?1) or not hashed under the active hmac key (?2).
const staleTokenWebhook = `(key_id <> ? OR secret_hmac <> ?)`

// errNothingToRekey rolls back a rekey transaction whose row another rekey
// re-sealed meanwhile (its audit entry with it).
var errNothingToRekey = errors.New("sqlstore: nothing left to rekey")
