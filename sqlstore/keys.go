package sqlstore

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/stackgate/stackgate"
)

// KeyBinding reads the recorded key fingerprints and counts the sealed
// values of each encryption key id, in one read transaction.
func (s *Store) KeyBinding(ctx context.Context) (*stackgate.KeyBinding, error) {
	return read(ctx, s, func(tx *Tx) (*stackgate.KeyBinding, error) {
		b := &stackgate.KeyBinding{Recorded: []stackgate.KeyFingerprint{}, SealedBy: map[string]int{}}
		rows, err := tx.query(ctx, `SELECT kind, key_id, fingerprint FROM key_fingerprints ORDER BY kind, key_id`)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var fp stackgate.KeyFingerprint
			if err := rows.Scan(&fp.Kind, &fp.ID, &fp.Fingerprint); err != nil {
				rows.Close()
				return nil, err
			}
			b.Recorded = append(b.Recorded, fp)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		// A delivery token's secret and its preview may be sealed under
		// different keys (the preview is replaced on its own); a stack's
		// token webhook secret is sealed too.
		rows, err = tx.query(ctx, `SELECT key_id, COUNT(*) FROM delivery_tokens WHERE token_cipher IS NOT NULL GROUP BY key_id
			UNION ALL SELECT preview_key_id, COUNT(*) FROM delivery_tokens WHERE preview_cipher IS NOT NULL GROUP BY preview_key_id
			UNION ALL SELECT key_id, COUNT(*) FROM token_webhooks GROUP BY key_id`)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var n int
			if err := rows.Scan(&id, &n); err != nil {
				return nil, err
			}
			b.SealedBy[id] += n
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
		var users int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM users LIMIT 1) AS u`).Scan(&users); err != nil {
			return nil, err
		}
		b.HasData = users > 0 || len(b.SealedBy) > 0
		return b, nil
	})
}

// RecordKeys inserts the fingerprints not recorded yet; the first writer of
// a (kind, id) wins.
func (s *Store) RecordKeys(ctx context.Context, fps []stackgate.KeyFingerprint) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := ms(time.Now())
	for _, fp := range fps {
		if _, err := tx.exec(ctx, `INSERT INTO key_fingerprints (kind, key_id, fingerprint, recorded_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (kind, key_id) DO NOTHING`, fp.Kind, fp.ID, fp.Fingerprint, now); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// RekeyDeliveryTokens re-seals up to limit stale secrets of the first stack
// that has any, under that stack's lock (the order every stack write takes
// its locks in), so it runs beside live writers and other rekeys: a row
// another rekey re-sealed meanwhile is read again under the lock and no
// longer matches.
func (s *Store) RekeyDeliveryTokens(ctx context.Context, activeID string, limit int, reseal func(stackgate.Sealed) (stackgate.Sealed, error)) (int, error) {
	var stackUID string
	err := s.read.QueryRowContext(ctx, s.d.Rebind(`SELECT stack_uid FROM delivery_tokens
		WHERE (token_cipher IS NOT NULL AND key_id <> ?) OR (preview_cipher IS NOT NULL AND preview_key_id <> ?)
		ORDER BY seq LIMIT 1`), activeID, activeID).Scan(&stackUID)
	if noRows(err) {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	n := 0
	err = s.writeStack(ctx, stackUID, &event{module: stackgate.AuditDeliveryToken, typ: stackgate.AuditRekey}, func(tx *Tx) error {
		type stale struct {
			uid             string
			secret, preview stackgate.Sealed
		}
		var todo []stale
		rows, err := tx.query(ctx, `SELECT uid, token_hash, token_cipher, key_id, preview_hash, preview_cipher, preview_key_id
			FROM delivery_tokens WHERE stack_uid = ?
			AND ((token_cipher IS NOT NULL AND key_id <> ?) OR (preview_cipher IS NOT NULL AND preview_key_id <> ?))
			ORDER BY seq LIMIT ?`, stackUID, activeID, activeID, limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			var r stale
			if err := rows.Scan(&r.uid, &r.secret.Hash, &r.secret.Ciphertext, &r.secret.KeyID,
				&r.preview.Hash, &r.preview.Ciphertext, &r.preview.KeyID); err != nil {
				rows.Close()
				return err
			}
			todo = append(todo, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range todo {
			for _, v := range []*stackgate.Sealed{&r.secret, &r.preview} {
				if len(v.Ciphertext) == 0 || v.KeyID == activeID {
					continue
				}
				sealed, err := resealSame(reseal, *v)
				if err != nil {
					return err
				}
				*v = sealed
			}
			if _, err := tx.exec(ctx, `UPDATE delivery_tokens SET token_cipher = ?, key_id = ?, preview_cipher = ?, preview_key_id = ?
				WHERE stack_uid = ? AND uid = ?`, blob(r.secret.Ciphertext), r.secret.KeyID,
				blob(r.preview.Ciphertext), r.preview.KeyID, stackUID, r.uid); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// resealSame re-seals v with reseal and checks that its lookup hash stayed:
// the hash is a token's address in every cache and index (and what Open
// checks the plaintext against), so it must not move.
func resealSame(reseal func(stackgate.Sealed) (stackgate.Sealed, error), v stackgate.Sealed) (stackgate.Sealed, error) {
	sealed, err := reseal(v)
	if err != nil {
		return stackgate.Sealed{}, err
	}
	if !bytes.Equal(sealed.Hash, v.Hash) {
		return stackgate.Sealed{}, errors.New("rekey: re-sealing changed a lookup hash (was the hmac key changed?)")
	}
	return sealed, nil
}
