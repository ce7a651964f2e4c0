package sqlstore

import (
	"context"
	"database/sql"

	"time"

	"github.com/stackgate/stackgate"
)

// ListNotifiableManagementTokens returns, across stacks, the management
// tokens with notification on whose expires_on date is in [from, to].
func (s *Store) ListNotifiableManagementTokens(ctx context.Context, from, to time.Time) ([]*stackgate.ManagementToken, error) {
	return readOne(ctx, s, func(tx *Tx) ([]*stackgate.ManagementToken, error) {
		return queryList(ctx, tx, scanManagementToken, `SELECT `+managementTokenColumns+` FROM management_tokens
			WHERE email_notification = ? AND expires_on >= ? AND expires_on <= ? ORDER BY expires_on, seq`,
			true, ms(from), ms(to))
	})
}

const noticeKeyWhere = `token_uid = ? AND expires_on = ? AND generation = ? AND kind = ?`

func noticeKeyArgs(k stackgate.NoticeKey) []any {
	return []any{k.TokenUID, ms(k.ExpiresOn), k.Generation, string(k.Kind)}
}

// ClaimExpiryNotice claims the notice in one write transaction: the token
// must still be eligible; then either the insert of a new row wins (ON
// CONFLICT DO NOTHING: of concurrent inserts exactly one succeeds, the
// others wait for it and do nothing), or the conditional update of a lapsed,
// unsent row does (PostgreSQL re-checks the condition on the row after
// waiting for a concurrent updater; SQLite runs one writer at a time).
func (s *Store) ClaimExpiryNotice(ctx context.Context, key stackgate.NoticeKey, claim string, now time.Time, lease time.Duration) (bool, error) {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var stackUID string
	var expires sql.NullInt64
	var on bool
	var gen int
	err = tx.queryRow(ctx, `SELECT stack_uid, expires_on, email_notification, notify_generation
		FROM management_tokens WHERE uid = ?`, key.TokenUID).Scan(&stackUID, &expires, &on, &gen)
	if noRows(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !on || !expires.Valid || expires.Int64 != ms(key.ExpiresOn) || gen != key.Generation {
		return false, nil
	}
	until := ms(now.Add(lease))
	res, err := tx.exec(ctx, `INSERT INTO expiry_notices (token_uid, expires_on, generation, kind, stack_uid,
		claim, lease_until, attempts, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)
		ON CONFLICT (token_uid, expires_on, generation, kind) DO NOTHING`,
		append(noticeKeyArgs(key), stackUID, claim, until, ms(now))...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	if n == 0 {
		res, err = tx.exec(ctx, `UPDATE expiry_notices SET claim = ?, lease_until = ?, attempts = attempts + 1
			WHERE `+noticeKeyWhere+` AND sent_at = 0 AND lease_until <= ?`,
			append(append([]any{claim, until}, noticeKeyArgs(key)...), ms(now))...)
		if err != nil {
			return false, err
		}
		if n, err = res.RowsAffected(); err != nil {
			return false, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return false, err
	}
	return n == 1, nil
}

// MarkExpiryNoticeSent records the send; a notice already sent keeps its
// first time. ENOTFOUND when the notice does not exist.
func (s *Store) MarkExpiryNoticeSent(ctx context.Context, key stackgate.NoticeKey, at time.Time) error {
	res, err := s.write.ExecContext(ctx, s.d.Rebind(`UPDATE expiry_notices
		SET sent_at = CASE WHEN sent_at = 0 THEN ? ELSE sent_at END, claim = '', last_error = ''
		WHERE `+noticeKeyWhere), append([]any{ms(at)}, noticeKeyArgs(key)...)...)
	if err != nil {
		return err
	}
	return affected(res, "expiry notice")
}

// ReleaseExpiryNotice gives up claim after a failed send, until retryAt.
func (s *Store) ReleaseExpiryNotice(ctx context.Context, key stackgate.NoticeKey, claim string, retryAt time.Time, reason string) error {
	if len(reason) > 500 {
		reason = reason[:500]
	}
	_, err := s.write.ExecContext(ctx, s.d.Rebind(`UPDATE expiry_notices SET claim = '', lease_until = ?, last_error = ?
		WHERE `+noticeKeyWhere+` AND claim = ? AND sent_at = 0`),
		append(append([]any{ms(retryAt), reason}, noticeKeyArgs(key)...), claim)...)
	return err
}

// FindExpiryNotice returns the notice or ENOTFOUND.
func (s *Store) FindExpiryNotice(ctx context.Context, key stackgate.NoticeKey) (*stackgate.ExpiryNotice, error) {
	return readOne(ctx, s, func(tx *Tx) (*stackgate.ExpiryNotice, error) {
		var n stackgate.ExpiryNotice
		var expires, lease, sent, created int64
		var kind string
		err := tx.queryRow(ctx, `SELECT token_uid, expires_on, generation, kind, stack_uid, claim, lease_until,
			attempts, last_error, sent_at, created_at FROM expiry_notices WHERE `+noticeKeyWhere, noticeKeyArgs(key)...).
			Scan(&n.TokenUID, &expires, &n.Generation, &kind, &n.StackUID, &n.Claim, &lease, &n.Attempts,
				&n.LastError, &sent, &created)
		if err != nil {
			return nil, notFound(err, "expiry notice")
		}
		n.Kind = stackgate.NoticeKind(kind)
		n.ExpiresOn, n.LeaseUntil, n.SentAt, n.CreatedAt = fromMS(expires), fromMS(lease), fromMS(sent), fromMS(created)
		return &n, nil
	})
}
