package service

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/authz"
)

// OAuthError is a refusal of the OAuth protocol (RFC 6749 §5.2): Code is the
// protocol's error identifier ("invalid_grant", …), Problem names what was
// wrong for the edge to word.
type OAuthError struct {
	Code    string
	Problem OAuthProblem
}

func (e *OAuthError) Error() string { return "oauth " + e.Code + ": " + string(e.Problem) }

// OAuthProblem names what an OAuth request got wrong.
type OAuthProblem string

const (
	ProblemGrantType    OAuthProblem = "grant_type"      // unknown or missing
	ProblemClient       OAuthProblem = "client"          // unknown client_id, or the wrong secret
	ProblemClientSecret OAuthProblem = "client_secret"   // a confidential client sent none
	ProblemCode         OAuthProblem = "code"            // unknown, used, expired, or another client's
	ProblemVerifier     OAuthProblem = "code_verifier"   // missing or not the challenge's
	ProblemRedirectURI  OAuthProblem = "redirect_uri"    // not registered, or not the code's
	ProblemRefreshToken OAuthProblem = "refresh_token"   // unknown, rotated, or another client's
	ProblemRefreshSpent OAuthProblem = "refresh_expired" // past its grant's deadline, or unused too long
	ProblemScope        OAuthProblem = "scope"           // beyond the app's, or unknown
	ProblemMachine      OAuthProblem = "machine"         // client_credentials by an app that is not a machine app
	ProblemChallenge    OAuthProblem = "code_challenge"
	ProblemResponseType OAuthProblem = "response_type"
	ProblemRepeated     OAuthProblem = "repeated" // a parameter given twice, or the client authenticated two ways (RFC 6749 §2.3, §3.2)
)

func oauthErr(code string, p OAuthProblem) error { return &OAuthError{Code: code, Problem: p} }

// AppSpec is what `stackgate app add` registers.
type AppSpec struct {
	Name         string
	RedirectURIs []string
	Scopes       []string // default: every scope
	UID          string   // default: a new uid
	ClientID     string   // default: random
	Secret       bool     // give the app a client secret (machine apps always get one)
	ClientSecret string   // the secret to register; default random when Secret
	Machine      bool
	StackAPIKey  string // machine apps: the stack the app is installed on
}

// AddApp registers an app and returns it with its client secret in clear
// (shown once; "" for a public app).
func (s *Service) AddApp(ctx context.Context, spec AppSpec) (*stackgate.App, string, error) {
	fields := map[string][]string{}
	if strings.TrimSpace(spec.Name) == "" {
		fields["name"] = []string{stackgate.ProblemRequired}
	}
	if len(spec.RedirectURIs) == 0 && !spec.Machine {
		fields["redirect_uris"] = []string{stackgate.ProblemRequired}
	}
	for _, u := range spec.RedirectURIs {
		if !validRedirectURI(u) {
			fields["redirect_uris"] = []string{stackgate.ProblemNotValid}
		}
	}
	scopes := spec.Scopes
	if len(scopes) == 0 {
		scopes = authz.Scopes()
	}
	for _, sc := range scopes {
		if !authz.KnownScope(sc) {
			fields["scopes"] = []string{stackgate.ProblemNotValid}
		}
	}
	if spec.Machine && spec.StackAPIKey == "" || !spec.Machine && spec.StackAPIKey != "" {
		fields["stack"] = []string{"is required for a machine app, and only for one."}
	}
	if len(fields) > 0 {
		return nil, "", &stackgate.Error{Code: stackgate.EINVALID, Fields: fields}
	}
	a := &stackgate.App{UID: spec.UID, Name: strings.TrimSpace(spec.Name), ClientID: spec.ClientID,
		RedirectURIs: slices.Clone(spec.RedirectURIs), Scopes: slices.Clone(scopes), Machine: spec.Machine, CreatedAt: s.Now()}
	if a.RedirectURIs == nil {
		a.RedirectURIs = []string{}
	}
	if a.UID == "" {
		a.UID = stackgate.NewUID()
	}
	if a.ClientID == "" {
		a.ClientID = stackgate.NewOAuthSecret()[:16]
	}
	if spec.StackAPIKey != "" {
		st, err := s.store.FindStackByAPIKey(ctx, spec.StackAPIKey)
		if err != nil {
			return nil, "", err
		}
		a.StackUID = st.UID
	}
	secret := spec.ClientSecret
	if secret == "" && (spec.Secret || spec.Machine) {
		secret = stackgate.NewOAuthSecret()
	}
	if secret != "" {
		a.SecretHash, a.SecretKey = s.keys.Hash(secret), s.keys.HMACKeyID()
	}
	if err := s.store.CreateApp(ctx, a); err != nil {
		return nil, "", err
	}
	return a, secret, nil
}

// validRedirectURI accepts absolute http(s) URIs without a fragment.
func validRedirectURI(u string) bool {
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "http" || p.Scheme == "https") && p.Host != "" && p.Fragment == ""
}

// ListApps returns every registered app.
func (s *Service) ListApps(ctx context.Context) ([]*stackgate.App, error) {
	return s.store.ListApps(ctx)
}

// RemoveApp removes the app; every token of it stops working at once.
func (s *Service) RemoveApp(ctx context.Context, uid string) error {
	return s.store.DeleteApp(ctx, uid)
}

// Consent is an authorization request as the consent page and POST
// /manifests/{app_uid}/authorize receive it.
type Consent struct {
	AppUID        string
	ClientID      string
	RedirectURI   string // "" = the app's first
	ResponseType  string // "" or "code"
	Scope         string // space-separated; "" = the app's scopes
	State         string
	CodeChallenge string
	Method        string // "" or "S256"
}

// ConsentApp checks a consent request before anything is shown or redirected:
// the app exists, client_id is its own, redirect_uri is registered, the
// scopes are the app's, and a public app sends a PKCE S256 challenge. An
// error here must never redirect (the redirect target is not trusted). It
// returns the app, the redirect URI to use and the scopes asked for.
func (s *Service) ConsentApp(ctx context.Context, c Consent) (*stackgate.App, string, []string, error) {
	a, err := s.store.FindApp(ctx, c.AppUID)
	if stackgate.IsCode(err, stackgate.ENOTFOUND) || err == nil && subtle.ConstantTimeCompare([]byte(a.ClientID), []byte(c.ClientID)) != 1 {
		return nil, "", nil, oauthErr("invalid_client", ProblemClient)
	} else if err != nil {
		return nil, "", nil, err
	}
	redirect := c.RedirectURI
	if redirect == "" && len(a.RedirectURIs) > 0 {
		redirect = a.RedirectURIs[0]
	}
	if redirect == "" || !slices.Contains(a.RedirectURIs, redirect) {
		return nil, "", nil, oauthErr("invalid_request", ProblemRedirectURI)
	}
	scopes, err := askedScopes(a, c.Scope)
	if err != nil {
		return nil, "", nil, err
	}
	if c.ResponseType != "" && c.ResponseType != "code" {
		return nil, "", nil, oauthErr("unsupported_response_type", ProblemResponseType)
	}
	if c.CodeChallenge != "" && (c.Method != "" && c.Method != "S256" || !validChallenge(c.CodeChallenge)) || c.CodeChallenge == "" && a.SecretHash == nil {
		// PKCE is how a public app proves the code is its own; plain is not accepted.
		return nil, "", nil, oauthErr("invalid_request", ProblemChallenge)
	}
	return a, redirect, scopes, nil
}

// askedScopes is the scope parameter, checked against the app's; empty
// means all of the app's.
func askedScopes(a *stackgate.App, scope string) ([]string, error) {
	asked := strings.Fields(scope)
	if len(asked) == 0 {
		return slices.Clone(a.Scopes), nil
	}
	for _, sc := range asked {
		if !slices.Contains(a.Scopes, sc) {
			return nil, oauthErr("invalid_scope", ProblemScope)
		}
	}
	slices.Sort(asked)
	return slices.Compact(asked), nil
}

// Authorize records the user's consent and returns the URL to send the user
// agent to: the redirect URI with code, location and state added. An error
// is never to be redirected to.
func (s *Service) Authorize(ctx context.Context, userUID string, c Consent) (string, error) {
	a, redirect, scopes, err := s.ConsentApp(ctx, c)
	if err != nil {
		return "", err
	}
	code := stackgate.NewOAuthSecret()
	now := s.Now()
	ac := &stackgate.AuthCode{Hash: s.keys.Hash(code), HashKey: s.keys.HMACKeyID(), AppUID: a.UID, UserUID: userUID, RedirectURI: redirect,
		RedirectNamed: c.RedirectURI != "", Challenge: c.CodeChallenge, Scopes: scopes, ExpiresAt: now.Add(stackgate.AuthCodeTTL)}
	if _, err := s.store.CreateAuthCode(ctx, ac, now); err != nil {
		return "", err
	}
	return RedirectWith(redirect, "code", code, "location", "NA", "state", c.State), nil
}

// DenyURL is where a denied consent sends the user agent: the redirect URI
// with error=access_denied (and state). c must have passed ConsentApp.
func DenyURL(redirect string, c Consent) string {
	return RedirectWith(redirect, "error", "access_denied", "state", c.State)
}

// RedirectWith adds the non-empty key/value pairs kv to the query of u.
func RedirectWith(u string, kv ...string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	q := p.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	p.RawQuery = q.Encode()
	return p.String()
}

// TokenRequest is a request to the token endpoint.
type TokenRequest struct {
	GrantType    string
	ClientID     string
	ClientSecret string
	Code         string
	CodeVerifier string
	RedirectURI  string
	RefreshToken string
	Scope        string
}

// TokenGrant is what the token endpoint answers.
type TokenGrant struct {
	AccessToken  string
	RefreshToken string
	ExpiresIn    int // seconds
	Token        *stackgate.OAuthToken
	OrgUID       string
	StackAPIKey  string
}

// Token runs the token endpoint: it changes nothing unless it answers a
// grant.
func (s *Service) Token(ctx context.Context, r TokenRequest) (*TokenGrant, error) {
	switch r.GrantType {
	case "authorization_code", "refresh_token", "client_credentials":
	default:
		return nil, oauthErr("unsupported_grant_type", ProblemGrantType)
	}
	a, err := s.client(ctx, r.ClientID, r.ClientSecret)
	if err != nil {
		return nil, err
	}
	if r.RedirectURI != "" && !slices.Contains(a.RedirectURIs, r.RedirectURI) {
		return nil, oauthErr("invalid_grant", ProblemRedirectURI)
	}
	now := s.Now()
	next := &stackgate.OAuthToken{AppUID: a.UID, CreatedAt: now, ExpiresAt: now.Add(stackgate.AccessTokenTTL),
		RefreshExpiresAt: now.Add(s.cfg.OAuthRefreshTTL)}
	switch r.GrantType {
	case "authorization_code":
		c, err := findByHash(s.keys, r.Code, func(h []byte) (*stackgate.AuthCode, error) { return s.store.FindAuthCode(ctx, h) })
		if stackgate.IsCode(err, stackgate.ENOTFOUND) {
			return nil, s.replayed(ctx, a, r.Code, 0, ProblemCode)
		} else if err == nil && (c.AppUID != a.UID || !now.Before(c.ExpiresAt)) {
			return nil, oauthErr("invalid_grant", ProblemCode)
		} else if err != nil {
			return nil, err
		}
		// RFC 6749 §4.1.3: a redirect_uri the authorization request named
		// must be named again, identical; one it did not name may still be
		// sent, and is then the one the code went to.
		if r.RedirectURI != "" && r.RedirectURI != c.RedirectURI || c.RedirectNamed && r.RedirectURI == "" {
			return nil, oauthErr("invalid_grant", ProblemRedirectURI)
		}
		if a.SecretHash != nil && r.ClientSecret == "" {
			// A confidential app authenticates, with or without PKCE.
			return nil, oauthErr("invalid_client", ProblemClientSecret)
		}
		if (c.Challenge != "" || a.SecretHash == nil) && (!validVerifier(r.CodeVerifier) || subtle.ConstantTimeCompare([]byte(s256(r.CodeVerifier)), []byte(c.Challenge)) != 1) {
			return nil, oauthErr("invalid_grant", ProblemVerifier)
		}
		if r.Scope != "" {
			return nil, oauthErr("invalid_scope", ProblemScope) // the scope was settled at consent
		}
		// A user's token of an installed app acts on its installation only,
		// as the consent page said.
		next.AuthorizationUID, next.UserUID, next.StackUID, next.Scopes = c.AuthorizationUID, c.UserUID, a.StackUID, c.Scopes
		next.FamilyUID = stackgate.NewUID()
		access, refresh := s.mint(next)
		if err := s.store.RedeemAuthCode(ctx, c.Hash, now, next); stackgate.IsCode(err, stackgate.ENOTFOUND) {
			return nil, s.replayed(ctx, a, r.Code, 0, ProblemCode) // another redemption won
		} else if err != nil {
			return nil, err
		}
		return s.grant(ctx, next, access, refresh)
	case "refresh_token":
		old, err := findByHash(s.keys, r.RefreshToken, func(h []byte) (*stackgate.OAuthToken, error) {
			return s.store.FindOAuthTokenByRefresh(ctx, h)
		})
		if r.RefreshToken == "" || err == nil && old.AppUID != a.UID {
			return nil, oauthErr("invalid_grant", ProblemRefreshToken)
		} else if stackgate.IsCode(err, stackgate.ENOTFOUND) {
			return nil, s.replayed(ctx, a, r.RefreshToken, RefreshReuseGrace, ProblemRefreshToken)
		} else if err != nil {
			return nil, err
		}
		if old.UserUID == "" && r.ClientSecret == "" {
			// An app token came from the client's secret; so does its next
			// one (the SDK and CLI refresh user tokens without a secret).
			return nil, oauthErr("invalid_client", ProblemClientSecret)
		}
		// The grant's deadline holds whatever the rotations; a token left
		// unused for the idle limit is spent too (it was issued at its
		// predecessor's refresh, so CreatedAt is its last use).
		if !now.Before(old.RefreshExpiresAt) || !now.Before(old.CreatedAt.Add(s.cfg.OAuthRefreshIdle)) {
			return nil, oauthErr("invalid_grant", ProblemRefreshSpent)
		}
		scopes := old.Scopes
		if r.Scope != "" {
			asked := strings.Fields(r.Scope)
			for _, sc := range asked {
				if !slices.Contains(old.Scopes, sc) {
					return nil, oauthErr("invalid_scope", ProblemScope)
				}
			}
			scopes = asked
		}
		next.AuthorizationUID, next.UserUID, next.StackUID, next.Scopes = old.AuthorizationUID, old.UserUID, old.StackUID, scopes
		next.RefreshExpiresAt, next.FamilyUID = old.RefreshExpiresAt, old.FamilyUID
		access, refresh := s.mint(next)
		if err := s.store.RotateRefreshToken(ctx, old.RefreshHash, next); stackgate.IsCode(err, stackgate.ENOTFOUND) {
			return nil, s.replayed(ctx, a, r.RefreshToken, RefreshReuseGrace, ProblemRefreshToken) // another refresh won
		} else if err != nil {
			return nil, err
		}
		return s.grant(ctx, next, access, refresh)
	default: // client_credentials
		if r.ClientSecret == "" {
			return nil, oauthErr("invalid_client", ProblemClientSecret)
		}
		if !a.Machine || a.StackUID == "" {
			return nil, oauthErr("unauthorized_client", ProblemMachine)
		}
		scopes, err := askedScopes(a, r.Scope)
		if err != nil {
			return nil, err
		}
		next.StackUID, next.Scopes, next.FamilyUID = a.StackUID, scopes, stackgate.NewUID()
		access, refresh := s.mint(next)
		if err := s.store.CreateOAuthToken(ctx, next); err != nil {
			return nil, err
		}
		return s.grant(ctx, next, access, refresh)
	}
}

// RefreshReuseGrace is how soon after its rotation a refresh token presented
// again is taken for the client's own race, not a replay: the official SDK
// refreshes once per request that finds its token expired, in parallel, and
// all but one of those lose. Later, a rotated-out refresh token is a replay.
const RefreshReuseGrace = 10 * time.Second

// replayed answers a code or refresh token that no longer redeems (unknown,
// or already used: value is the code or token, p the refusal's problem). One
// that was spent by this client, more than grace ago, is a replay (RFC 6749
// §4.1.2 and §10.4, the OAuth Security BCP's refresh token reuse detection):
// whoever holds it, the legitimate client or a thief, the tokens of its
// family are revoked at once, on every node, with an audit entry. The
// request is refused either way. The spent value is remembered by its hash
// under the hmac key of its day, so it is looked up under each key still in
// use: a replay of one spent before a new hmac key took over is seen too.
func (s *Service) replayed(ctx context.Context, a *stackgate.App, value string, grace time.Duration, p OAuthProblem) error {
	refused := oauthErr("invalid_grant", p)
	sp, err := findByHash(s.keys, value, func(h []byte) (*stackgate.SpentOAuthSecret, error) { return s.store.FindSpentOAuthSecret(ctx, h) })
	if stackgate.IsCode(err, stackgate.ENOTFOUND) || err == nil && (sp.AppUID != a.UID || s.Now().Sub(sp.SpentAt) < grace) {
		return refused
	} else if err != nil {
		return err
	}
	if err := s.store.RevokeOAuthFamily(ctx, sp.FamilyUID); err == nil {
		s.log.WarnContext(ctx, "oauth replay: the token family is revoked", "app_uid", a.UID, "presented", string(p))
	} else if !stackgate.IsCode(err, stackgate.ENOTFOUND) { // revoked already
		return err
	}
	return refused
}

// client is the app whose client_id is id; a secret, when sent, must be
// its own.
func (s *Service) client(ctx context.Context, id, secret string) (*stackgate.App, error) {
	a, err := s.store.FindAppByClientID(ctx, id)
	if stackgate.IsCode(err, stackgate.ENOTFOUND) || id == "" {
		return nil, oauthErr("invalid_client", ProblemClient)
	} else if err != nil {
		return nil, err
	}
	if secret != "" && !s.secretMatches(ctx, a, secret) {
		return nil, oauthErr("invalid_client", ProblemClient)
	}
	return a, nil
}

// IntrospectingClient authenticates the client of an introspection request
// (RFC 7662 §2.1): a confidential app by its secret, a public one by its
// client_id, all it has. It may learn about its own tokens only.
func (s *Service) IntrospectingClient(ctx context.Context, id, secret string) (*stackgate.App, error) {
	a, err := s.client(ctx, id, secret)
	if err != nil {
		return nil, err
	}
	if a.SecretHash != nil && secret == "" {
		return nil, oauthErr("invalid_client", ProblemClientSecret)
	}
	return a, nil
}

// secretMatches checks secret against the app's, under the hmac key it was
// hashed with; a secret hashed under an older key moves to the active one
// (a compare-and-set, so racing nodes all succeed).
func (s *Service) secretMatches(ctx context.Context, a *stackgate.App, secret string) bool {
	if a.SecretHash == nil {
		return false
	}
	h, ok := s.keys.HashWith(stackgate.HMACKeyOf(a.SecretKey), secret)
	if !ok || subtle.ConstantTimeCompare(h, a.SecretHash) != 1 {
		return false
	}
	if active := s.keys.HMACKeyID(); stackgate.HMACKeyOf(a.SecretKey) != active {
		if err := s.store.Rehash(ctx, stackgate.HashOAuthAppSecret, a.SecretHash, s.keys.Hash(secret), active); err != nil {
			s.log.Warn("moving an app secret to the active hmac key", "app", a.UID, "err", err)
		}
	}
	return true
}

// mint gives t fresh access and refresh values, keeping their hashes.
func (s *Service) mint(t *stackgate.OAuthToken) (access, refresh string) {
	access, refresh = stackgate.NewOAuthSecret(), stackgate.NewOAuthSecret()
	t.AccessHash, t.RefreshHash, t.HashKey = s.keys.Hash(access), s.keys.Hash(refresh), s.keys.HMACKeyID()
	return access, refresh
}

func (s *Service) grant(ctx context.Context, t *stackgate.OAuthToken, access, refresh string) (*TokenGrant, error) {
	g := &TokenGrant{AccessToken: access, RefreshToken: refresh, ExpiresIn: int(stackgate.AccessTokenTTL.Seconds()), Token: t}
	// The token is stored already; a user or stack gone meanwhile leaves its
	// field empty (the token then authenticates nothing), a failed read is
	// an error (the unseen token is harmless).
	if t.UserUID != "" {
		u, err := s.store.FindUserByUID(ctx, t.UserUID)
		if err == nil {
			g.OrgUID = u.OrgUID
		} else if !stackgate.IsCode(err, stackgate.ENOTFOUND) {
			return nil, err
		}
	}
	if t.StackUID != "" {
		st, err := s.store.FindStackByUID(ctx, t.StackUID)
		if err == nil {
			g.StackAPIKey = st.APIKey
			if g.OrgUID == "" {
				g.OrgUID = st.OrgUID
			}
		} else if !stackgate.IsCode(err, stackgate.ENOTFOUND) {
			return nil, err
		}
	}
	return g, nil
}

// validChallenge reports whether c can be an S256 code_challenge: the
// unpadded base64url of 32 bytes. Anything else (a plain verifier sent as
// one) could never be redeemed.
func validChallenge(c string) bool {
	b, err := base64.RawURLEncoding.DecodeString(c)
	return err == nil && len(b) == sha256.Size && len(c) == 43
}

// validVerifier reports whether v is a code_verifier of RFC 7636 §4.1: 43
// to 128 unreserved characters. A shorter one would be guessable by whoever
// intercepted the code.
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == '~':
		default:
			return false
		}
	}
	return true
}

// s256 is the PKCE S256 transform: BASE64URL(SHA256(verifier)), unpadded.
func s256(verifier string) string {
	h := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// Authorizations returns the user's authorizations of the app (a user sees
// only their own).
func (s *Service) Authorizations(ctx context.Context, appUID, userUID string) ([]*stackgate.OAuthAuthorization, error) {
	all, err := s.store.ListAuthorizations(ctx, appUID)
	if err != nil {
		return nil, err
	}
	own := []*stackgate.OAuthAuthorization{}
	for _, a := range all {
		if a.UserUID == userUID {
			own = append(own, a)
		}
	}
	return own, nil
}

// RevokeAuthorization is logout: the user's authorization of the app goes,
// and with it every token it gave, at once on every node. Another user's
// authorization is not found.
func (s *Service) RevokeAuthorization(ctx context.Context, appUID, uid, userUID string) error {
	own, err := s.Authorizations(ctx, appUID, userUID)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(own, func(a *stackgate.OAuthAuthorization) bool { return a.UID == uid }) {
		return stackgate.ErrNotFound("authorization")
	}
	return s.store.DeleteAuthorization(ctx, appUID, uid)
}

// AppStack returns the stack a machine app is installed on, to a member of
// it: ENOTFOUND for an app installed nowhere, or when userUID is not a
// member (nor the owner) of its stack ("" for no one signed in). Who the app
// acts on is no one else's to learn.
func (s *Service) AppStack(ctx context.Context, a *stackgate.App, userUID string) (*stackgate.Stack, error) {
	if a.StackUID == "" || userUID == "" {
		return nil, stackgate.ErrNotFound("stack")
	}
	if _, err := s.store.FindMember(ctx, a.StackUID, userUID); err != nil {
		return nil, err
	}
	return s.store.FindStackByUID(ctx, a.StackUID)
}
