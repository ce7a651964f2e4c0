package sqlstore

import (
	"context"

	"github.com/stackgate/stackgate"
)

// CreateSession inserts sess and, in the same transaction, deletes the
// user's oldest sessions beyond maxPerUser (no limit when maxPerUser <= 0).
// The user row is locked first so that concurrent logins of one user cannot
// both keep maxPerUser sessions.
func (s *Store) CreateSession(ctx context.Context, sess *stackgate.Session, maxPerUser int) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var uid string
	if err := tx.queryRow(ctx, `SELECT uid FROM users WHERE uid = ?`+tx.d.ForUpdate(), sess.UserUID).Scan(&uid); err != nil {
		return notFound(err, "user")
	}
	if _, err := tx.exec(ctx, `INSERT INTO sessions (token_hash, token_hmac, user_uid, created_at) VALUES (?, ?, ?, ?)`,
		sess.TokenHash, stackgate.HMACKeyOf(sess.HashKey), sess.UserUID, ms(sess.CreatedAt)); err != nil {
		return tx.conflict(err, "token")
	}
	if maxPerUser > 0 {
		if _, err := tx.exec(ctx, `DELETE FROM sessions WHERE user_uid = ? AND seq NOT IN (
			SELECT seq FROM sessions WHERE user_uid = ? ORDER BY created_at DESC, seq DESC LIMIT ?)`,
			sess.UserUID, sess.UserUID, maxPerUser); err != nil {
			return err
		}
	}
	if err := tx.audit(ctx, "", &event{module: stackgate.AuditUserSession, typ: stackgate.AuditLogin, uid: sess.UserUID, by: sess.UserUID}); err != nil {
		return err
	}
	tx.changed(stackgate.Change{UserUID: sess.UserUID})
	return tx.Commit(ctx)
}

// FindSession returns the session with that token hash or ENOTFOUND.
func (s *Store) FindSession(ctx context.Context, tokenHash []byte) (*stackgate.Session, error) {
	return readOne(ctx, s, func(tx *Tx) (*stackgate.Session, error) {
		var sess stackgate.Session
		var created int64
		err := tx.queryRow(ctx, `SELECT token_hash, token_hmac, user_uid, created_at FROM sessions WHERE token_hash = ?`, tokenHash).
			Scan(&sess.TokenHash, &sess.HashKey, &sess.UserUID, &created)
		if err != nil {
			return nil, notFound(err, "session")
		}
		sess.CreatedAt = fromMS(created)
		return &sess, nil
	})
}

// DeleteSession removes the user's session; one already gone is no error,
// and the user's change is announced either way (store.go).
func (s *Store) DeleteSession(ctx context.Context, userUID string, tokenHashes ...[]byte) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, h := range tokenHashes {
		if _, err := tx.exec(ctx, `DELETE FROM sessions WHERE token_hash = ? AND user_uid = ?`, h, userUID); err != nil {
			return err
		}
	}
	if err := tx.audit(ctx, "", &event{module: stackgate.AuditUserSession, typ: stackgate.AuditLogout, uid: userUID, by: userUID}); err != nil {
		return err
	}
	tx.changed(stackgate.Change{UserUID: userUID})
	return tx.Commit(ctx)
}
