package access

import (
	"context"
	"crypto/sha256"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/authz"
)

// OAuth access tokens on the CMA: "authorization: Bearer <access_token>".
// A user token acts as its user's membership of the stack named by api_key,
// narrowed to the token's scopes; an app token (client_credentials) acts on
// the one stack its app is installed on, with its scopes. Tokens are looked
// up by keyed hash in oauthCache, which the store's changes drop: logout
// (Change.UserUID) and app removal (Change.AppUID) on this node through the
// commit hook, on other nodes through the ChangeListener; a user leaving the
// stack rebuilds the stack's snapshot, which then lacks the member.

// oauthCache keeps live access tokens by keyed hash.
type oauthCache struct {
	mu     sync.RWMutex
	epoch  uint64
	off    bool // the change listener is down: look every token up
	tokens map[[sha256.Size]byte]*oauthEntry
}

// oauthEntry is a cached token and the principal last built for it, with the
// snapshot that principal belongs to: a request on the same snapshot reuses
// it (deciding then allocates nothing), a rebuilt snapshot gets a new one.
type oauthEntry struct {
	token *stackgate.OAuthToken
	last  atomic.Pointer[Principal]
}

// drop forgets every token the change touched.
func (o *oauthCache) drop(ch stackgate.Change) {
	if ch.UserUID == "" && ch.AppUID == "" {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.epoch++
	for h, e := range o.tokens {
		if t := e.token; ch.UserUID != "" && t.UserUID == ch.UserUID || ch.AppUID != "" && t.AppUID == ch.AppUID {
			delete(o.tokens, h)
		}
	}
}

// reset forgets everything; while not listening nothing is kept.
func (o *oauthCache) reset(listening bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.epoch++
	o.off = !listening
	o.tokens = nil
}

// maxOAuthTokens bounds the cache; past it, it starts over (tokens are
// looked up again, which costs a store read each).
const maxOAuthTokens = 1 << 16

// oauthEntry returns the entry of the token whose access hash is h: from
// the cache, else the store (rationed like other misses: past the budget,
// refused from memory).
func (a *Checker) oauthEntry(ctx context.Context, h [sha256.Size]byte) (*oauthEntry, error) {
	o := &a.cache.oauth
	o.mu.RLock()
	e, ok := o.tokens[h]
	epoch := o.epoch
	o.mu.RUnlock()
	if ok {
		return e, nil
	}
	if !a.cache.mayLookUpMiss() {
		return nil, errBadAuthorization
	}
	t, err := a.store.FindOAuthToken(ctx, append([]byte(nil), h[:]...))
	if stackgate.IsCode(err, stackgate.ENOTFOUND) {
		return nil, errBadAuthorization
	} else if err != nil {
		return nil, err
	}
	e = &oauthEntry{token: t}
	o.mu.Lock()
	if o.epoch == epoch && !o.off {
		if o.tokens == nil || len(o.tokens) >= maxOAuthTokens {
			o.tokens = map[[sha256.Size]byte]*oauthEntry{}
		}
		o.tokens[h] = e
	}
	o.mu.Unlock()
	return e, nil
}

// BearerToken returns the value of "Bearer <value>", if v is one.
func BearerToken(v string) (string, bool) {
	if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		return strings.TrimSpace(v[7:]), true
	}
	return "", false
}

// OAuthToken authenticates an access token value (introspection, the
// manifests endpoints, Bearer): missing, revoked (logout, app removed) or
// expired is 401 / 105 on authorization, never an error the SDK would not
// refresh on.
func (a *Checker) OAuthToken(ctx context.Context, value string) (*stackgate.OAuthToken, error) {
	e, err := a.liveOAuthEntry(ctx, value)
	if err != nil {
		return nil, err
	}
	return e.token, nil
}

func (a *Checker) liveOAuthEntry(ctx context.Context, value string) (*oauthEntry, error) {
	if value == "" {
		return nil, errBadAuthorization
	}
	var h [sha256.Size]byte
	a.keys.HashInto(&h, value)
	e, err := a.oauthEntry(ctx, h)
	// An access token made before the active hmac key took over is found
	// under its own key (it is not moved: it expires within the hour, and
	// its refresh makes the next one under the active key).
	for i := 0; i < a.keys.OlderHMACKeys() && err == errBadAuthorization; i++ {
		a.keys.HashIntoOlder(&h, i, value)
		e, err = a.oauthEntry(ctx, h)
	}
	if err != nil {
		return nil, err
	}
	// Expiry is checked on every request, not by a sweeper.
	if e.token.Expired(a.Now()) {
		return nil, errBadAuthorization
	}
	return e, nil
}

// oauthPrincipal is the principal of an OAuth token on the stack of snap.
func (a *Checker) oauthPrincipal(ctx context.Context, snap *snapshot, value string) (*Principal, error) {
	e, err := a.liveOAuthEntry(ctx, value)
	if err != nil {
		return nil, err
	}
	if p := e.last.Load(); p != nil && p.snap == snap {
		return p, nil
	}
	p, err := a.buildOAuthPrincipal(ctx, snap, e.token)
	if err == nil {
		e.last.Store(p)
	}
	return p, err
}

func (a *Checker) buildOAuthPrincipal(ctx context.Context, snap *snapshot, t *stackgate.OAuthToken) (*Principal, error) {
	// An app token, or a user's token of an installed app: the installation only.
	if (t.UserUID == "" || t.StackUID != "") && t.StackUID != snap.stack.UID {
		return nil, ErrForbidden("the app is not installed on this stack")
	}
	if t.UserUID == "" {
		return newOAuthPrincipal(KindOAuthApp, snap, t.AppUID, t, nil, false), nil
	}
	m, ok := snap.members[t.UserUID]
	if !ok {
		if snap, ok = a.refresh(ctx, snap, missKey(t.UserUID), func() (bool, error) {
			_, err := a.store.FindMember(ctx, snap.stack.UID, t.UserUID)
			return found(err)
		}); ok {
			m, ok = snap.members[t.UserUID]
		}
	}
	if !ok {
		return nil, ErrForbidden("user is not a member of the stack")
	}
	return newOAuthPrincipal(KindOAuthUser, snap, t.UserUID, t, m.member, m.Owner), nil
}

func newOAuthPrincipal(k Kind, snap *snapshot, uid string, t *stackgate.OAuthToken, m *authz.Member, owner bool) *Principal {
	p := &Principal{Kind: k, Stack: snap.stack, UID: uid, Name: t.AppUID, Owner: owner, snap: snap, member: m, scopes: t.Scopes,
		StackHeader: []string{snap.stack.APIKey}}
	p.PrincipalHeader = []string{k.String() + ":" + uid}
	return p
}

// Scopes returns an OAuth principal's scopes (nil for any other); the
// caller must not modify them.
func (p *Principal) Scopes() []string { return p.scopes }

// Reasons of OAuth decisions (the route's scope is beside them in
// /gate/check's explanation).
const (
	ReasonNoScope      = "no OAuth token may use this route"
	ReasonScopeMissing = "the OAuth token lacks the route's scope"
	reasonAppInstalled = "the route's scope is the app token's, on the stack the app is installed on"
)

// oauthAllowed decides req for an OAuth principal: the route's scope must be
// among the token's, and then a user token is held to its user's roles, an
// app token to its installation (the stack: any branch, any object).
func (p *Principal) oauthAllowed(req authz.Request) authz.Decision {
	if !authz.ScopeGrants(p.scopes, req.Scope) {
		if req.Scope == "" {
			return authz.Decision{Reason: ReasonNoScope}
		}
		return authz.Decision{Reason: ReasonScopeMissing}
	}
	if p.Kind == KindOAuthApp {
		return authz.Decision{Allowed: true, Reason: reasonAppInstalled}
	}
	return p.member.Allowed(req)
}

// AuthenticateOAuthUser returns the uid of the user of a Bearer user token
// that holds scope (GET /v3/user takes user:read).
func (a *Checker) AuthenticateOAuthUser(ctx context.Context, authorization, scope string) (string, error) {
	value, ok := BearerToken(authorization)
	if !ok {
		return "", errBadAuthorization
	}
	t, err := a.OAuthToken(ctx, value)
	if err != nil {
		return "", err
	}
	if t.UserUID == "" || !authz.ScopeGrants(t.Scopes, scope) {
		return "", ErrForbidden("the OAuth token lacks scope " + scope)
	}
	return t.UserUID, nil
}
