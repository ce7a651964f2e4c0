package sqlstore

import (
	"context"
	"strings"

	"github.com/stackgate/stackgate"
)

const sessionColumns = `uid, token_hash, user_uid, created_at, last_used_at, user_agent, remote_addr, token_hmac`

// CreateSession inserts sess (with a new uid when it has none) and, in the
// same transaction, deletes the user's oldest sessions beyond maxPerUser (no
// limit when maxPerUser <= 0). The user row is locked first so that
// concurrent logins of one user cannot both keep maxPerUser sessions.
func (s *Store) CreateSession(ctx context.Context, sess *stackgate.Session, maxPerUser int) error {
	if sess.UID == "" {
		sess.UID = stackgate.NewUID()
	}
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var uid string
	if err := tx.queryRow(ctx, `SELECT uid FROM users WHERE uid = ?`+tx.d.ForUpdate(), sess.UserUID).Scan(&uid); err != nil {
		return notFound(err, "user")
	}
	if _, err := tx.exec(ctx, `INSERT INTO sessions (`+sessionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		sess.UID, sess.TokenHash, sess.UserUID, ms(sess.CreatedAt), ms(sess.LastUsedAt), sess.UserAgent, sess.RemoteAddr,
		stackgate.HMACKeyOf(sess.HashKey)); err != nil {
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
		sess, err := scanSession(tx.queryRow(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE token_hash = ?`, tokenHash))
		if err != nil {
			return nil, notFound(err, "session")
		}
		return sess, nil
	})
}

// ListSessions returns the user's sessions, oldest first.
func (s *Store) ListSessions(ctx context.Context, userUID string) ([]*stackgate.Session, error) {
	return readOne(ctx, s, func(tx *Tx) ([]*stackgate.Session, error) {
		return queryList(ctx, tx, scanSession, `SELECT `+sessionColumns+` FROM sessions
			WHERE user_uid = ? ORDER BY created_at, seq`, userUID)
	})
}

func scanSession(r scanner) (*stackgate.Session, error) {
	var sess stackgate.Session
	var created, used int64
	if err := r.Scan(&sess.UID, &sess.TokenHash, &sess.UserUID, &created, &used, &sess.UserAgent, &sess.RemoteAddr, &sess.HashKey); err != nil {
		return nil, err
	}
	sess.CreatedAt, sess.LastUsedAt = fromMS(created), fromMS(used)
	return &sess, nil
}

// DeleteSession removes the user's session; one already gone is no error,
// and the user's change is announced either way (store.go).
func (s *Store) DeleteSession(ctx context.Context, userUID string, tokenHashes ...[]byte) error {
	where, args := `1 = 0`, []any{}
	if len(tokenHashes) > 0 {
		where = `token_hash IN (?` + strings.Repeat(`, ?`, len(tokenHashes)-1) + `)`
		for _, h := range tokenHashes {
			args = append(args, h)
		}
	}
	return s.deleteSession(ctx, userUID, where, args, false)
}

// DeleteSessionByUID ends the user's session named uid; ENOTFOUND, and
// nothing written, when the user has none of that uid.
func (s *Store) DeleteSessionByUID(ctx context.Context, userUID, uid string) error {
	return s.deleteSession(ctx, userUID, `uid = ?`, []any{uid}, true)
}

// deleteSession removes the user's session matching where (with args),
// with its audit entry and the user's change; mustExist makes a session
// not found ENOTFOUND (and the transaction is rolled back).
func (s *Store) deleteSession(ctx context.Context, userUID, where string, args []any, mustExist bool) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.exec(ctx, `DELETE FROM sessions WHERE (`+where+`) AND user_uid = ?`, append(args, userUID)...)
	if err != nil {
		return err
	}
	if mustExist {
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return stackgate.ErrNotFound("session")
		}
	}
	if err := tx.audit(ctx, "", &event{module: stackgate.AuditUserSession, typ: stackgate.AuditLogout, uid: userUID, by: userUID}); err != nil {
		return err
	}
	tx.changed(stackgate.Change{UserUID: userUID})
	return tx.Commit(ctx)
}
