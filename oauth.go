package stackgate

import (
	"context"
	"time"
)

// OAuth lifetimes (the official SDK and CLI rely on them: the SDK refreshes
// a minute before expires_in runs out).
const (
	AuthCodeTTL    = 60 * time.Second // an authorization code is redeemable once, within this
	AccessTokenTTL = 60 * time.Minute // an access token works this long; its refresh token until used, or past its deadline
)

// App is an OAuth client registered with stackgate (`stackgate app add`).
// A public app proves itself with PKCE (S256); a confidential one with its
// client secret, of which only a keyed hash is kept. A machine app may also
// take tokens of its own (client_credentials), which act on the one stack it
// is installed on.
type App struct {
	UID          string
	Name         string
	ClientID     string   // unique
	SecretHash   []byte   // keyed hash of the client secret; nil for a public app
	SecretKey    string   // the id of the hmac key SecretHash was made with
	RedirectURIs []string // the first is the default
	Scopes       []string // the most any of its tokens may hold
	Machine      bool
	StackUID     string // the installation of a machine app; "" for none
	CreatedAt    time.Time
}

// OAuthAuthorization is a user's consent to an app, kept until revoked
// (logout) or the app is removed. The user's tokens for the app hang on it.
type OAuthAuthorization struct {
	UID       string
	AppUID    string
	UserUID   string
	CreatedAt time.Time
}

// AuthCode is an authorization code between consent and its redemption at
// the token endpoint: single use, valid until ExpiresAt. Only its keyed hash
// is kept.
type AuthCode struct {
	Hash             []byte
	HashKey          string // the id of the hmac key Hash was made with
	AuthorizationUID string
	AppUID           string
	UserUID          string
	RedirectURI      string
	RedirectNamed    bool   // the authorization request named RedirectURI: the token request must name it too (RFC 6749 §4.1.3)
	Challenge        string // the PKCE S256 code_challenge; "" when the app uses its secret
	Scopes           []string
	ExpiresAt        time.Time
}

// OAuthToken is an access token with its refresh token, both kept only as
// keyed hashes. A user token (UserUID set) acts for its user on any stack
// they are a member of (on StackUID only, when its app is installed there),
// held to Scopes and to the user's roles; an app token (client_credentials)
// on StackUID, held to Scopes. Refreshing rotates: the
// refresh hash moves to the next token, and this one keeps working until it
// expires. The refresh token works until RefreshExpiresAt, the deadline of
// the grant (code exchange or client_credentials) it descends from, which
// every rotation passes on unchanged. FamilyUID names that grant: the tokens
// of one family go together when its code or a rotated-out refresh token is
// presented again (a replay: RFC 6749 §4.1.2, §10.4).
type OAuthToken struct {
	AccessHash       []byte
	RefreshHash      []byte // nil once rotated
	HashKey          string // the id of the hmac key both hashes were made with
	AppUID           string
	AuthorizationUID string // "" for app tokens
	UserUID          string // "" for app tokens
	StackUID         string // the app's installation (app tokens, and user tokens of an installed app); "" for any stack
	FamilyUID        string // the grant it descends from, passed on by every rotation
	Scopes           []string
	ExpiresAt        time.Time
	RefreshExpiresAt time.Time
	CreatedAt        time.Time
}

// Expired reports whether the access token no longer works at now.
func (t *OAuthToken) Expired(now time.Time) bool { return !now.Before(t.ExpiresAt) }

// SpentOAuthSecret is a redeemed code or a rotated-out refresh token,
// remembered by keyed hash until its family's refresh deadline: presented
// again, it names the family to revoke.
type SpentOAuthSecret struct {
	FamilyUID string
	AppUID    string
	SpentAt   time.Time
}

// OAuthStore keeps apps, consents, codes and tokens.
type OAuthStore interface {
	// CreateApp inserts a; ECONFLICT on "app_uid" or "client_id" when taken;
	// ENOTFOUND when a.StackUID names no stack. No token refers to a new app,
	// so it changes nothing.
	CreateApp(ctx context.Context, a *App) error
	// FindApp returns the app or ENOTFOUND.
	FindApp(ctx context.Context, uid string) (*App, error)
	// FindAppByClientID returns the app or ENOTFOUND.
	FindAppByClientID(ctx context.Context, clientID string) (*App, error)
	// ListApps returns every app.
	ListApps(ctx context.Context) ([]*App, error)
	// DeleteApp removes the app with its authorizations, codes and tokens;
	// ENOTFOUND when absent. Changes: app.
	DeleteApp(ctx context.Context, uid string) error

	// CreateAuthCode records the user's consent to the app (keeping an
	// existing authorization) and stores c under it, filling
	// c.AuthorizationUID; codes expired at c's creation are purged.
	// ENOTFOUND when the app or user is missing. A code is no credential of
	// the CMA, so it changes nothing.
	CreateAuthCode(ctx context.Context, c *AuthCode, now time.Time) (*OAuthAuthorization, error)
	// FindAuthCode returns the code with that hash or ENOTFOUND (also once
	// redeemed).
	FindAuthCode(ctx context.Context, hash []byte) (*AuthCode, error)
	// RedeemAuthCode deletes the code and inserts t, in one transaction,
	// and remembers the code as spent at now, by t's family, until
	// t.RefreshExpiresAt: ENOTFOUND when the code is gone or expired at now
	// (of concurrent redemptions one wins), and then nothing is inserted. A
	// new token takes nothing from anyone, so it changes nothing.
	RedeemAuthCode(ctx context.Context, codeHash []byte, now time.Time, t *OAuthToken) error
	// CreateOAuthToken inserts t (an app token, client_credentials).
	// ENOTFOUND when its app is gone. Changes nothing.
	CreateOAuthToken(ctx context.Context, t *OAuthToken) error
	// FindOAuthToken returns the token whose access hash is hash, or ENOTFOUND.
	FindOAuthToken(ctx context.Context, accessHash []byte) (*OAuthToken, error)
	// FindOAuthTokenByRefresh returns the token holding that refresh hash,
	// or ENOTFOUND (also once rotated).
	FindOAuthTokenByRefresh(ctx context.Context, refreshHash []byte) (*OAuthToken, error)
	// RotateRefreshToken takes the refresh hash from the token holding it
	// (which keeps its access hash until it expires) and inserts next, in
	// one transaction; access tokens expired at next.CreatedAt without a
	// refresh hash, or whose refresh token expired too, are purged; the old
	// refresh hash is remembered as spent at next.CreatedAt, by the token's
	// family, until its refresh deadline. ENOTFOUND when no token holds it
	// any more (of concurrent refreshes one wins). Changes nothing.
	RotateRefreshToken(ctx context.Context, oldRefreshHash []byte, next *OAuthToken) error
	// FindSpentOAuthSecret returns the redeemed code or rotated-out refresh
	// token with that hash, or ENOTFOUND (never spent, or forgotten past
	// its family's deadline).
	FindSpentOAuthSecret(ctx context.Context, hash []byte) (*SpentOAuthSecret, error)
	// RevokeOAuthFamily removes every token of the family (a replay was
	// seen), with an audit entry; ENOTFOUND when none is left, and then
	// nothing changes. Changes: user (a user's family), or app (an app
	// token's).
	RevokeOAuthFamily(ctx context.Context, familyUID string) error
	// ListAuthorizations returns the app's authorizations.
	ListAuthorizations(ctx context.Context, appUID string) ([]*OAuthAuthorization, error)
	// DeleteAuthorization removes the app's authorization uid with its codes
	// and tokens; ENOTFOUND when the app has no such authorization.
	// Changes: user (the authorization's).
	DeleteAuthorization(ctx context.Context, appUID, uid string) error
}

// NewOAuthSecret returns a fresh OAuth secret value (access and refresh
// tokens, authorization codes, client secrets): 64 lowercase hex characters,
// 256 bits from a CSPRNG.
func NewOAuthSecret() string { return randomHex(32) }
