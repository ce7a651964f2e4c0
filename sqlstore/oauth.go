package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/stackgate/stackgate"
)

const appColumns = `uid, name, client_id, secret_hash, redirect_uris, scopes, machine, stack_uid, created_at, secret_hmac`

// CreateApp inserts a. No token refers to a new app: it records no change.
func (s *Store) CreateApp(ctx context.Context, a *stackgate.App) error {
	uris, err := marshal(a.RedirectURIs)
	if err != nil {
		return err
	}
	scopes, err := marshal(a.Scopes)
	if err != nil {
		return err
	}
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, c := range []struct{ column, value, field string }{{"uid", a.UID, "app_uid"}, {"client_id", a.ClientID, "client_id"}} {
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM oauth_apps WHERE `+c.column+` = ?`, c.value).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return stackgate.ErrConflict(c.field)
		}
	}
	var stack any
	if a.StackUID != "" {
		if err := lockStack(ctx, tx, a.StackUID); err != nil {
			return err
		}
		stack = a.StackUID
	}
	if _, err := tx.exec(ctx, `INSERT INTO oauth_apps (`+appColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.UID, a.Name, a.ClientID, blob(a.SecretHash), uris, scopes, a.Machine, stack, ms(a.CreatedAt), stackgate.HMACKeyOf(a.SecretKey)); err != nil {
		return tx.conflict(err, "client_id")
	}
	return tx.Commit(ctx)
}

func scanApp(r scanner) (*stackgate.App, error) {
	var a stackgate.App
	var uris, scopes string
	var stack sql.NullString
	var created int64
	if err := r.Scan(&a.UID, &a.Name, &a.ClientID, &a.SecretHash, &uris, &scopes, &a.Machine, &stack, &created, &a.SecretKey); err != nil {
		return nil, err
	}
	if err := unmarshal(uris, &a.RedirectURIs); err != nil {
		return nil, err
	}
	if err := unmarshal(scopes, &a.Scopes); err != nil {
		return nil, err
	}
	if len(a.SecretHash) == 0 {
		a.SecretHash, a.SecretKey = nil, ""
	}
	a.StackUID = stack.String
	a.CreatedAt = fromMS(created)
	return &a, nil
}

// FindApp returns the app or ENOTFOUND.
func (s *Store) FindApp(ctx context.Context, uid string) (*stackgate.App, error) {
	return s.findApp(ctx, "uid", uid)
}

// FindAppByClientID returns the app or ENOTFOUND.
func (s *Store) FindAppByClientID(ctx context.Context, clientID string) (*stackgate.App, error) {
	return s.findApp(ctx, "client_id", clientID)
}

func (s *Store) findApp(ctx context.Context, column, value string) (*stackgate.App, error) {
	return readOne(ctx, s, func(tx *Tx) (*stackgate.App, error) {
		a, err := scanApp(tx.queryRow(ctx, `SELECT `+appColumns+` FROM oauth_apps WHERE `+column+` = ?`, value))
		return a, notFound(err, "app")
	})
}

// ListApps returns every app, oldest first.
func (s *Store) ListApps(ctx context.Context) ([]*stackgate.App, error) {
	return readOne(ctx, s, func(tx *Tx) ([]*stackgate.App, error) {
		return queryList(ctx, tx, scanApp, `SELECT `+appColumns+` FROM oauth_apps ORDER BY created_at, seq`)
	})
}

// DeleteApp removes the app; its authorizations, codes and tokens go by
// cascade. Changes: app.
func (s *Store) DeleteApp(ctx context.Context, uid string) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// Codes hang on authorizations, which cascade from the app.
	res, err := tx.exec(ctx, `DELETE FROM oauth_apps WHERE uid = ?`, uid)
	if err != nil {
		return err
	}
	if err := affected(res, "app"); err != nil {
		return err
	}
	if err := tx.audit(ctx, "", &event{module: stackgate.AuditOAuth, typ: stackgate.AuditDelete, uid: uid, title: "app"}); err != nil {
		return err
	}
	tx.changed(stackgate.Change{AppUID: uid})
	return tx.Commit(ctx)
}

// CreateAuthCode records the consent (one authorization per user and app)
// and the code under it.
func (s *Store) CreateAuthCode(ctx context.Context, c *stackgate.AuthCode, now time.Time) (*stackgate.OAuthAuthorization, error) {
	scopes, err := marshal(c.Scopes)
	if err != nil {
		return nil, err
	}
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var appUID string
	if err := tx.queryRow(ctx, `SELECT uid FROM oauth_apps WHERE uid = ?`+tx.d.ForShare(), c.AppUID).Scan(&appUID); err != nil {
		return nil, notFound(err, "app")
	}
	var userUID string
	if err := tx.queryRow(ctx, `SELECT uid FROM users WHERE uid = ?`+tx.d.ForShare(), c.UserUID).Scan(&userUID); err != nil {
		return nil, notFound(err, "user")
	}
	a, err := scanAuthorization(tx.queryRow(ctx, `SELECT `+authorizationColumns+` FROM oauth_authorizations
		WHERE app_uid = ? AND user_uid = ?`, c.AppUID, c.UserUID))
	if noRows(err) {
		a = &stackgate.OAuthAuthorization{UID: stackgate.NewUID(), AppUID: c.AppUID, UserUID: c.UserUID, CreatedAt: now}
		if _, err := tx.exec(ctx, `INSERT INTO oauth_authorizations (`+authorizationColumns+`) VALUES (?, ?, ?, ?)`,
			a.UID, a.AppUID, a.UserUID, ms(a.CreatedAt)); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	if _, err := tx.exec(ctx, `DELETE FROM oauth_codes WHERE expires_at <= ?`, ms(now)); err != nil {
		return nil, err
	}
	if _, err := tx.exec(ctx, `INSERT INTO oauth_codes (code_hash, code_hmac, authorization_uid, app_uid, user_uid, redirect_uri,
		redirect_uri_named, challenge, scopes, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.Hash, stackgate.HMACKeyOf(c.HashKey), a.UID, c.AppUID, c.UserUID, c.RedirectURI, c.RedirectNamed, c.Challenge, scopes, ms(c.ExpiresAt)); err != nil {
		return nil, tx.conflict(err, "code")
	}
	// A grant (the user's consent, and the code under it) is an entry of
	// the user's own log, shown in every stack they are a member of.
	if err := tx.audit(ctx, "", &event{module: stackgate.AuditOAuth, typ: stackgate.AuditCreate, uid: c.AppUID, title: "authorization", by: c.UserUID}); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, err
	}
	c.AuthorizationUID = a.UID
	return a, nil
}

// FindAuthCode returns the code or ENOTFOUND.
func (s *Store) FindAuthCode(ctx context.Context, hash []byte) (*stackgate.AuthCode, error) {
	return readOne(ctx, s, func(tx *Tx) (*stackgate.AuthCode, error) {
		var c stackgate.AuthCode
		var scopes string
		var expires int64
		err := tx.queryRow(ctx, `SELECT code_hash, code_hmac, authorization_uid, app_uid, user_uid, redirect_uri, redirect_uri_named,
			challenge, scopes, expires_at FROM oauth_codes WHERE code_hash = ?`, hash).
			Scan(&c.Hash, &c.HashKey, &c.AuthorizationUID, &c.AppUID, &c.UserUID, &c.RedirectURI, &c.RedirectNamed, &c.Challenge, &scopes, &expires)
		if err != nil {
			return nil, notFound(err, "code")
		}
		c.ExpiresAt = fromMS(expires)
		return &c, unmarshal(scopes, &c.Scopes)
	})
}

// RedeemAuthCode deletes the code and inserts t.
func (s *Store) RedeemAuthCode(ctx context.Context, codeHash []byte, now time.Time, t *stackgate.OAuthToken) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var expires int64
	var hmacKey string
	if err := tx.queryRow(ctx, `DELETE FROM oauth_codes WHERE code_hash = ? RETURNING expires_at, code_hmac`, codeHash).Scan(&expires, &hmacKey); err != nil {
		return notFound(err, "code")
	}
	if !now.Before(fromMS(expires)) {
		return stackgate.ErrNotFound("code") // rolled back: an expired code is not consumed by a late try either
	}
	if err := insertOAuthToken(ctx, tx, t); err != nil {
		return err
	}
	if err := spend(ctx, tx, codeHash, hmacKey, t.FamilyUID, t.AppUID, now, t.RefreshExpiresAt); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// spend remembers a redeemed code or rotated-out refresh token, by its hash
// under hmac key hmacKey, until expires, purging those past theirs.
func spend(ctx context.Context, tx *Tx, hash []byte, hmacKey, familyUID, appUID string, at, expires time.Time) error {
	if _, err := tx.exec(ctx, `DELETE FROM oauth_spent WHERE expires_at <= ?`, ms(at)); err != nil {
		return err
	}
	_, err := tx.exec(ctx, `INSERT INTO oauth_spent (hash, hash_hmac, family_uid, app_uid, spent_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
		hash, stackgate.HMACKeyOf(hmacKey), familyUID, appUID, ms(at), ms(expires))
	return tx.conflict(err, "token")
}

// FindSpentOAuthSecret returns the spent code or refresh token, or ENOTFOUND.
func (s *Store) FindSpentOAuthSecret(ctx context.Context, hash []byte) (*stackgate.SpentOAuthSecret, error) {
	return readOne(ctx, s, func(tx *Tx) (*stackgate.SpentOAuthSecret, error) {
		var sp stackgate.SpentOAuthSecret
		var at int64
		if err := tx.queryRow(ctx, `SELECT family_uid, app_uid, spent_at FROM oauth_spent WHERE hash = ?`, hash).
			Scan(&sp.FamilyUID, &sp.AppUID, &at); err != nil {
			return nil, notFound(err, "token")
		}
		sp.SpentAt = fromMS(at)
		return &sp, nil
	})
}

// RevokeOAuthFamily removes the family's tokens. Changes: user, or app.
func (s *Store) RevokeOAuthFamily(ctx context.Context, familyUID string) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var appUID, userUID string
	if err := tx.queryRow(ctx, `SELECT app_uid, user_uid FROM oauth_tokens WHERE family_uid = ? AND family_uid <> ''`,
		familyUID).Scan(&appUID, &userUID); err != nil {
		return notFound(err, "token")
	}
	// Until a pass finds none: on PostgreSQL a rotation that held the
	// family's current token when the first pass began commits its next
	// token before that pass ends, and only a later statement sees it (any
	// later rotation finds its token gone).
	for {
		res, err := tx.exec(ctx, `DELETE FROM oauth_tokens WHERE family_uid = ?`, familyUID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			break
		}
	}
	// A revocation, as logout is: an entry of the user's own log (an app
	// token's family: of no user, as the app's removal).
	if err := tx.audit(ctx, "", &event{module: stackgate.AuditOAuth, typ: stackgate.AuditDelete, uid: appUID, title: "replay", by: userUID}); err != nil {
		return err
	}
	if userUID != "" {
		tx.changed(stackgate.Change{UserUID: userUID})
	} else {
		tx.changed(stackgate.Change{AppUID: appUID})
	}
	return tx.Commit(ctx)
}

// CreateOAuthToken inserts t.
func (s *Store) CreateOAuthToken(ctx context.Context, t *stackgate.OAuthToken) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var appUID string
	if err := tx.queryRow(ctx, `SELECT uid FROM oauth_apps WHERE uid = ?`+tx.d.ForShare(), t.AppUID).Scan(&appUID); err != nil {
		return notFound(err, "app")
	}
	if err := insertOAuthToken(ctx, tx, t); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

func insertOAuthToken(ctx context.Context, tx *Tx, t *stackgate.OAuthToken) error {
	scopes, err := marshal(t.Scopes)
	if err != nil {
		return err
	}
	var auth any
	if t.AuthorizationUID != "" {
		auth = t.AuthorizationUID
	}
	if _, err := tx.exec(ctx, `DELETE FROM oauth_tokens WHERE expires_at <= ? AND (refresh_hash IS NULL OR refresh_expires_at <= ?)`,
		ms(t.CreatedAt), ms(t.CreatedAt)); err != nil {
		return err
	}
	_, err = tx.exec(ctx, `INSERT INTO oauth_tokens (`+oauthTokenColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.AccessHash, blob(t.RefreshHash), t.AppUID, auth, t.UserUID, t.StackUID, t.FamilyUID, scopes, ms(t.ExpiresAt),
		ms(t.RefreshExpiresAt), ms(t.CreatedAt), stackgate.HMACKeyOf(t.HashKey))
	if err != nil && tx.d.Classify(err) == ErrForeignKey {
		// The authorization or app went away meanwhile (logout, removal).
		return stackgate.ErrNotFound("authorization")
	}
	return tx.conflict(err, "token")
}

const oauthTokenColumns = `access_hash, refresh_hash, app_uid, authorization_uid, user_uid, stack_uid, family_uid, scopes,
	expires_at, refresh_expires_at, created_at, hash_hmac`

func scanOAuthToken(r scanner) (*stackgate.OAuthToken, error) {
	var t stackgate.OAuthToken
	var auth sql.NullString
	var scopes string
	var expires, refreshExpires, created int64
	if err := r.Scan(&t.AccessHash, &t.RefreshHash, &t.AppUID, &auth, &t.UserUID, &t.StackUID, &t.FamilyUID, &scopes, &expires,
		&refreshExpires, &created, &t.HashKey); err != nil {
		return nil, err
	}
	if len(t.RefreshHash) == 0 {
		t.RefreshHash = nil
	}
	t.AuthorizationUID = auth.String
	t.ExpiresAt, t.RefreshExpiresAt, t.CreatedAt = fromMS(expires), fromMS(refreshExpires), fromMS(created)
	return &t, unmarshal(scopes, &t.Scopes)
}

// FindOAuthToken returns the token by access hash or ENOTFOUND.
func (s *Store) FindOAuthToken(ctx context.Context, accessHash []byte) (*stackgate.OAuthToken, error) {
	return s.findOAuthToken(ctx, "access_hash", accessHash)
}

// FindOAuthTokenByRefresh returns the token by refresh hash or ENOTFOUND.
func (s *Store) FindOAuthTokenByRefresh(ctx context.Context, refreshHash []byte) (*stackgate.OAuthToken, error) {
	return s.findOAuthToken(ctx, "refresh_hash", refreshHash)
}

func (s *Store) findOAuthToken(ctx context.Context, column string, hash []byte) (*stackgate.OAuthToken, error) {
	return readOne(ctx, s, func(tx *Tx) (*stackgate.OAuthToken, error) {
		t, err := scanOAuthToken(tx.queryRow(ctx, `SELECT `+oauthTokenColumns+` FROM oauth_tokens WHERE `+column+` = ?`, hash))
		return t, notFound(err, "token")
	})
}

// RotateRefreshToken moves the refresh hash to next.
func (s *Store) RotateRefreshToken(ctx context.Context, oldRefreshHash []byte, next *stackgate.OAuthToken) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var appUID, familyUID, hmacKey string
	var refreshExpires int64
	if err := tx.queryRow(ctx, `UPDATE oauth_tokens SET refresh_hash = NULL WHERE refresh_hash = ?
		RETURNING app_uid, family_uid, refresh_expires_at, hash_hmac`, oldRefreshHash).Scan(&appUID, &familyUID, &refreshExpires, &hmacKey); err != nil {
		return notFound(err, "token")
	}
	if err := insertOAuthToken(ctx, tx, next); err != nil {
		return err
	}
	if err := spend(ctx, tx, oldRefreshHash, hmacKey, familyUID, appUID, next.CreatedAt, fromMS(refreshExpires)); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

const authorizationColumns = `uid, app_uid, user_uid, created_at`

func scanAuthorization(r scanner) (*stackgate.OAuthAuthorization, error) {
	var a stackgate.OAuthAuthorization
	var created int64
	if err := r.Scan(&a.UID, &a.AppUID, &a.UserUID, &created); err != nil {
		return nil, err
	}
	a.CreatedAt = fromMS(created)
	return &a, nil
}

// ListAuthorizations returns the app's authorizations, oldest first.
func (s *Store) ListAuthorizations(ctx context.Context, appUID string) ([]*stackgate.OAuthAuthorization, error) {
	return readOne(ctx, s, func(tx *Tx) ([]*stackgate.OAuthAuthorization, error) {
		return queryList(ctx, tx, scanAuthorization, `SELECT `+authorizationColumns+` FROM oauth_authorizations
			WHERE app_uid = ? ORDER BY created_at, seq`, appUID)
	})
}

// DeleteAuthorization removes the authorization; codes and tokens go by
// cascade. Changes: user.
func (s *Store) DeleteAuthorization(ctx context.Context, appUID, uid string) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var userUID string
	if err := tx.queryRow(ctx, `DELETE FROM oauth_authorizations WHERE app_uid = ? AND uid = ? RETURNING user_uid`,
		appUID, uid).Scan(&userUID); err != nil {
		return notFound(err, "authorization")
	}
	// A revocation: an entry of the user's own log.
	if err := tx.audit(ctx, "", &event{module: stackgate.AuditOAuth, typ: stackgate.AuditDelete, uid: appUID, title: "authorization", by: userUID}); err != nil {
		return err
	}
	tx.changed(stackgate.Change{UserUID: userUID})
	return tx.Commit(ctx)
}
