package sqlstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/stackgate/stackgate"
)

// KeyBinding reads the recorded key fingerprints and counts the sealed
// values of each encryption key id, in one read transaction.
func (s *Store) KeyBinding(ctx context.Context) (*stackgate.KeyBinding, error) {
	return read(ctx, s, func(tx *Tx) (*stackgate.KeyBinding, error) {
		b := &stackgate.KeyBinding{Recorded: []stackgate.KeyFingerprint{}, SealedBy: map[string]int{},
			HashedBy: map[string]map[stackgate.HashKind]int{}}
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
		if err := hashedBy(ctx, tx, b.HashedBy); err != nil {
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

// liveHashes counts, per kind, the live lookup hashes of each hmac key id:
// one query per kind, ? the current time in ms where a kind expires.
var liveHashes = []struct {
	kind  stackgate.HashKind
	query string
}{
	{stackgate.HashSession, `SELECT token_hmac, COUNT(*) FROM sessions GROUP BY token_hmac`},
	{stackgate.HashManagementToken, `SELECT token_hmac, COUNT(*) FROM management_tokens GROUP BY token_hmac`},
	{stackgate.HashDeliveryToken, `SELECT token_hmac, COUNT(*) FROM delivery_tokens GROUP BY token_hmac`},
	{stackgate.HashPreviewToken, `SELECT preview_hmac, COUNT(*) FROM delivery_tokens WHERE preview_hash IS NOT NULL GROUP BY preview_hmac`},
	{stackgate.HashOAuthAppSecret, `SELECT secret_hmac, COUNT(*) FROM oauth_apps WHERE secret_hash IS NOT NULL GROUP BY secret_hmac`},
	{stackgate.HashOAuthCode, `SELECT code_hmac, COUNT(*) FROM oauth_codes WHERE expires_at > ? GROUP BY code_hmac`},
	{stackgate.HashOAuthToken, `SELECT hash_hmac, COUNT(*) FROM oauth_tokens
		WHERE expires_at > ? OR (refresh_hash IS NOT NULL AND refresh_expires_at > ?) GROUP BY hash_hmac`},
	{stackgate.HashOAuthSpent, `SELECT hash_hmac, COUNT(*) FROM oauth_spent WHERE expires_at > ? GROUP BY hash_hmac`},
	{stackgate.HashTokenWebhook, `SELECT secret_hmac, COUNT(*) FROM token_webhooks GROUP BY secret_hmac`},
}

func hashedBy(ctx context.Context, tx *Tx, into map[string]map[stackgate.HashKind]int) error {
	now := ms(stackgate.Now())
	for _, q := range liveHashes {
		var args []any
		for range strings.Count(q.query, "?") {
			args = append(args, now)
		}
		rows, err := tx.query(ctx, q.query, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			var n int
			if err := rows.Scan(&id, &n); err != nil {
				rows.Close()
				return err
			}
			if into[id] == nil {
				into[id] = map[stackgate.HashKind]int{}
			}
			into[id][q.kind] += n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
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
func (s *Store) RekeyDeliveryTokens(ctx context.Context, activeID, hmacID string, limit int, reseal func(stackgate.Sealed) (stackgate.Sealed, error)) (int, error) {
	var stackUID string
	err := s.read.QueryRowContext(ctx, s.d.Rebind(`SELECT stack_uid FROM delivery_tokens WHERE `+staleDeliveryToken+`
		ORDER BY seq LIMIT 1`), activeID, hmacID, activeID, hmacID).Scan(&stackUID)
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
		rows, err := tx.query(ctx, `SELECT uid, token_hash, token_hmac, token_cipher, key_id,
			preview_hash, preview_hmac, preview_cipher, preview_key_id
			FROM delivery_tokens WHERE stack_uid = ? AND (`+staleDeliveryToken+`)
			ORDER BY seq LIMIT ?`, stackUID, activeID, hmacID, activeID, hmacID, limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			var r stale
			if err := rows.Scan(&r.uid, &r.secret.Hash, &r.secret.HashKey, &r.secret.Ciphertext, &r.secret.KeyID,
				&r.preview.Hash, &r.preview.HashKey, &r.preview.Ciphertext, &r.preview.KeyID); err != nil {
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
				if len(v.Ciphertext) == 0 || v.KeyID == activeID && v.HashKey == hmacID {
					continue
				}
				sealed, err := resealTo(reseal, *v, activeID, hmacID)
				if err != nil {
					return err
				}
				*v = sealed
			}
			if _, err := tx.exec(ctx, `UPDATE delivery_tokens SET token_hash = ?, token_hmac = ?, token_cipher = ?, key_id = ?,
				preview_hash = ?, preview_hmac = ?, preview_cipher = ?, preview_key_id = ?
				WHERE stack_uid = ? AND uid = ?`, r.secret.Hash, stackgate.HMACKeyOf(r.secret.HashKey), blob(r.secret.Ciphertext), r.secret.KeyID,
				blob(r.preview.Hash), stackgate.HMACKeyOf(r.preview.HashKey), blob(r.preview.Ciphertext), r.preview.KeyID, stackUID, r.uid); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// staleDeliveryToken matches a delivery token with a secret not sealed
// under the active encryption key (?1) or not hashed under the active hmac
// key (?2), the delivery token's or the preview token's (?3, ?4).
const staleDeliveryToken = `(token_cipher IS NOT NULL AND (key_id <> ? OR token_hmac <> ?))
	OR (preview_cipher IS NOT NULL AND (preview_key_id <> ? OR preview_hmac <> ?))`

// Rehash moves a hash-only credential to newHash, a compare-and-set on
// oldHash.
func (s *Store) Rehash(ctx context.Context, kind stackgate.HashKind, oldHash, newHash []byte, newKey string) error {
	switch kind {
	case stackgate.HashManagementToken:
		var stackUID, uid, name string
		err := s.read.QueryRowContext(ctx, s.d.Rebind(`SELECT stack_uid, uid, name FROM management_tokens WHERE token_hash = ? OR token_hash = ?`),
			oldHash, newHash).Scan(&stackUID, &uid, &name)
		if noRows(err) {
			return stackgate.ErrNotFound("management token")
		} else if err != nil {
			return err
		}
		ev := &event{module: stackgate.AuditManagementToken, typ: stackgate.AuditRekey, uid: uid, title: name}
		return s.writeLocked(ctx, stackUID, ev, func(tx *Tx) error {
			moved, err := rehashRow(ctx, tx, "management_tokens", "token_hash", "token_hmac", oldHash, newHash, newKey, "management token")
			if moved {
				tx.changed(stackgate.Change{StackUID: stackUID})
			}
			return err
		})
	case stackgate.HashSession, stackgate.HashOAuthAppSecret:
	default:
		return stackgate.FieldError(stackgate.EINVALID, "kind", fmt.Sprintf("%s hashes are not moved one by one.", kind))
	}
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var moved bool
	if kind == stackgate.HashSession {
		var userUID string
		err := tx.queryRow(ctx, `SELECT user_uid FROM sessions WHERE token_hash = ? OR token_hash = ?`, oldHash, newHash).Scan(&userUID)
		if err != nil {
			return notFound(err, "session")
		}
		if moved, err = rehashRow(ctx, tx, "sessions", "token_hash", "token_hmac", oldHash, newHash, newKey, "session"); err != nil || !moved {
			return err
		}
		if err := tx.audit(ctx, "", &event{module: stackgate.AuditUserSession, typ: stackgate.AuditRekey, uid: userUID, by: userUID}); err != nil {
			return err
		}
		tx.changed(stackgate.Change{UserUID: userUID})
	} else {
		var appUID string
		err := tx.queryRow(ctx, `SELECT uid FROM oauth_apps WHERE secret_hash = ? OR secret_hash = ?`, oldHash, newHash).Scan(&appUID)
		if err != nil {
			return notFound(err, "app")
		}
		if moved, err = rehashRow(ctx, tx, "oauth_apps", "secret_hash", "secret_hmac", oldHash, newHash, newKey, "app"); err != nil || !moved {
			return err
		}
		if err := tx.audit(ctx, "", &event{module: stackgate.AuditOAuth, typ: stackgate.AuditRekey, uid: appUID, title: "client secret"}); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// rehashRow sets column to newHash where it is oldHash; moved is false when
// another writer moved it first (newHash is there) and ENOTFOUND when
// neither is.
func rehashRow(ctx context.Context, tx *Tx, table, column, keyColumn string, oldHash, newHash []byte, newKey, what string) (moved bool, err error) {
	res, err := tx.exec(ctx, `UPDATE `+table+` SET `+column+` = ?, `+keyColumn+` = ? WHERE `+column+` = ?`, newHash, newKey, oldHash)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return n > 0, err
	}
	var one int
	if err := tx.queryRow(ctx, `SELECT 1 FROM `+table+` WHERE `+column+` = ?`, newHash).Scan(&one); err != nil {
		return false, notFound(err, what)
	}
	return false, nil
}

// RetireHMACKey revokes what hmac key id still hashes and cannot move.
func (s *Store) RetireHMACKey(ctx context.Context, id string) ([]stackgate.Hashed, error) {
	b, err := s.KeyBinding(ctx)
	if err != nil {
		return nil, err
	}
	if n := b.HashedBy[id][stackgate.HashDeliveryToken] + b.HashedBy[id][stackgate.HashPreviewToken] + b.HashedBy[id][stackgate.HashTokenWebhook]; n > 0 {
		return nil, stackgate.FieldError(stackgate.EINVALID, "hmac_key",
			fmt.Sprintf("%q still hashes %d delivery or preview token(s) or token webhook secret(s): run `stackgate rekey` first.", id, n))
	}
	if n := b.HashedBy[id][stackgate.HashOAuthAppSecret]; n > 0 {
		return nil, stackgate.FieldError(stackgate.EINVALID, "hmac_key",
			fmt.Sprintf("%q still hashes the client secret of %d app(s): each moves on the app's next token request, or remove the app and add it again.", id, n))
	}
	var done []stackgate.Hashed
	// Management tokens: each through its own delete (audit, webhooks,
	// refs, the stack's change).
	mgmt, err := readOne(ctx, s, func(tx *Tx) ([]*stackgate.Hashed, error) {
		return queryList(ctx, tx, func(r scanner) (*stackgate.Hashed, error) {
			h := &stackgate.Hashed{Kind: stackgate.HashManagementToken}
			return h, r.Scan(&h.StackUID, &h.UID, &h.Name)
		}, `SELECT stack_uid, uid, name FROM management_tokens WHERE token_hmac = ? ORDER BY stack_uid, seq`, id)
	})
	if err != nil {
		return nil, err
	}
	for _, h := range mgmt {
		if err := s.DeleteManagementToken(ctx, h.StackUID, h.UID); err != nil && !stackgate.IsCode(err, stackgate.ENOTFOUND) {
			return done, err
		}
		done = append(done, *h)
	}
	// Sessions, OAuth tokens and codes: per user (or app), one transaction
	// each, announced as the user's (app's) change like a logout.
	type owner struct{ user, app string }
	owners, err := readOne(ctx, s, func(tx *Tx) ([]*stackgate.Hashed, error) {
		return queryList(ctx, tx, func(r scanner) (*stackgate.Hashed, error) {
			h := &stackgate.Hashed{}
			return h, r.Scan(&h.Kind, &h.UserUID, &h.AppUID)
		}, `SELECT 'session', user_uid, '' FROM sessions WHERE token_hmac = ?
			UNION ALL SELECT 'oauth_token', user_uid, app_uid FROM oauth_tokens WHERE hash_hmac = ?
			UNION ALL SELECT 'oauth_code', user_uid, app_uid FROM oauth_codes WHERE code_hmac = ?`, id, id, id)
	})
	if err != nil {
		return done, err
	}
	seen := map[owner]bool{}
	for _, h := range owners {
		o := owner{h.UserUID, h.AppUID} // an app's own token
		if h.UserUID != "" {
			o.app = "" // a user's: all of them at once
		}
		if !seen[o] {
			seen[o] = true
			if err := s.retireOwner(ctx, id, o.user, o.app); err != nil {
				return done, err
			}
		}
		done = append(done, *h)
	}
	spent, err := s.forgetSpent(ctx, id)
	return append(done, spent...), err
}

// forgetSpent deletes the OAuth replay memory (oauth_spent) under hmac key
// id, which no node can look up once the key is gone: a replay of one of
// those codes or refresh tokens is then refused as unknown, without
// revoking its family. One transaction, an audit entry per app; nothing is
// cached of it, so it announces no change.
func (s *Store) forgetSpent(ctx context.Context, id string) ([]stackgate.Hashed, error) {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	apps, err := queryList(ctx, tx, func(r scanner) (*stackgate.Hashed, error) {
		h := &stackgate.Hashed{Kind: stackgate.HashOAuthSpent}
		return h, r.Scan(&h.AppUID)
	}, `SELECT DISTINCT app_uid FROM oauth_spent WHERE hash_hmac = ? ORDER BY app_uid`, id)
	if err != nil || len(apps) == 0 {
		return nil, err
	}
	if _, err := tx.exec(ctx, `DELETE FROM oauth_spent WHERE hash_hmac = ?`, id); err != nil {
		return nil, err
	}
	var done []stackgate.Hashed
	for _, h := range apps {
		if err := tx.audit(ctx, "", &event{module: stackgate.AuditOAuth, typ: stackgate.AuditDelete, uid: h.AppUID,
			title: "hmac key " + id + " retired: spent codes and refresh tokens forgotten"}); err != nil {
			return nil, err
		}
		done = append(done, *h)
	}
	return done, tx.Commit(ctx)
}

// retireOwner deletes one user's (or one app's own) hashes under id.
func (s *Store) retireOwner(ctx context.Context, id, userUID, appUID string) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if userUID != "" {
		if _, err := tx.exec(ctx, `DELETE FROM sessions WHERE token_hmac = ? AND user_uid = ?`, id, userUID); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM oauth_tokens WHERE hash_hmac = ? AND user_uid = ?`, id, userUID); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM oauth_codes WHERE code_hmac = ? AND user_uid = ?`, id, userUID); err != nil {
			return err
		}
		if err := tx.audit(ctx, "", &event{module: stackgate.AuditUserSession, typ: stackgate.AuditDelete, uid: userUID, title: "hmac key " + id + " retired"}); err != nil {
			return err
		}
		tx.changed(stackgate.Change{UserUID: userUID})
	} else {
		if _, err := tx.exec(ctx, `DELETE FROM oauth_tokens WHERE hash_hmac = ? AND app_uid = ? AND user_uid = ''`, id, appUID); err != nil {
			return err
		}
		if err := tx.audit(ctx, "", &event{module: stackgate.AuditOAuth, typ: stackgate.AuditDelete, uid: appUID, title: "hmac key " + id + " retired"}); err != nil {
			return err
		}
		tx.changed(stackgate.Change{AppUID: appUID})
	}
	return tx.Commit(ctx)
}

// resealTo re-seals v with reseal, which must give the active keys
// (activeID, hmacID), and checks that its lookup hash stayed when its hmac
// key did: the hash is a token's address in every cache and index (and
// what Open checks the plaintext against), so under one hmac key it must
// not move.
func resealTo(reseal func(stackgate.Sealed) (stackgate.Sealed, error), v stackgate.Sealed, activeID, hmacID string) (stackgate.Sealed, error) {
	sealed, err := reseal(v)
	if err != nil {
		return stackgate.Sealed{}, err
	}
	switch {
	case stackgate.HMACKeyOf(sealed.HashKey) != hmacID || sealed.KeyID != activeID:
		return stackgate.Sealed{}, fmt.Errorf("rekey: re-sealing gave keys %q/%q, want %q/%q", sealed.KeyID, sealed.HashKey, activeID, hmacID)
	case stackgate.HMACKeyOf(sealed.HashKey) == stackgate.HMACKeyOf(v.HashKey) && !bytes.Equal(sealed.Hash, v.Hash):
		return stackgate.Sealed{}, errors.New("rekey: re-sealing changed a lookup hash under the same hmac key (was the hmac key changed?)")
	}
	return sealed, nil
}
