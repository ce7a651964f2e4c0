package access

import (
	"time"

	"context"
	"crypto/sha256"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/authz"
)

// Kind says what authenticated a request.
type Kind uint8

const (
	KindUser            Kind = iota + 1 // an authtoken of a stack member
	KindManagementToken                 // authorization: <management token>
	KindDeliveryToken                   // access_token (gate only)
	KindPreviewToken                    // preview_token (gate only)
	KindOAuthUser                       // authorization: Bearer <a user's OAuth access token> (bearer.go)
	KindOAuthApp                        // authorization: Bearer <an app's own OAuth access token>
)

func (k Kind) String() string {
	switch k {
	case KindUser:
		return "user"
	case KindManagementToken:
		return "management_token"
	case KindDeliveryToken:
		return "delivery_token"
	case KindPreviewToken:
		return "preview_token"
	case KindOAuthUser:
		return "oauth_user"
	case KindOAuthApp:
		return "oauth_app"
	}
	return "unknown"
}

// Principal is who a request acts as, within one stack. Principals are
// compiled once per cache snapshot and shared, so deciding allocates nothing.
type Principal struct {
	Kind  Kind
	Stack *stackgate.Stack
	UID   string // user uid or token uid
	Name  string // token name
	Owner bool   // the user owns the stack
	// CreatedBy is a management token's creator (a user uid), which
	// AuthenticateBoth holds to the authtoken's user.
	CreatedBy string

	// StackHeader and PrincipalHeader are the gate's X-Stackgate-Stack and
	// X-Stackgate-Principal values, built once per principal.
	StackHeader     []string
	PrincipalHeader []string
	// TokenExpiresHeader is X-Stackgate-Token-Expires of a management token
	// that expires: the instant it stops working, RFC 3339; nil otherwise.
	TokenExpiresHeader []string

	// notAfter, when set, is when this delivery or preview token value
	// stops working: the token's expiry, or the end of a rotated value's
	// grace window (rotation.go). Checked on every request.
	notAfter time.Time
	// use is where this token value's uses are recorded (lastuse.go); nil
	// for members.
	use *usage
	// limits are the token's rate limit and ip_allow (limits.go); nil: none.
	limits *limits

	snap     *snapshot
	member   *authz.Member
	mgmt     *authz.TokenScope
	delivery *authz.DeliveryScope
	scopes   []string // OAuth principals: the token's scopes
}

// Label is the principal's "kind:uid" label (e.g. "user:blt1…"): the
// gate's X-Stackgate-Principal value and the principal of the access log.
// It is built once per cached principal; this is the only place that builds it.
func (p *Principal) Label() string {
	if len(p.PrincipalHeader) == 1 {
		return p.PrincipalHeader[0]
	}
	return p.Kind.String() + ":" + p.UID
}

// Actor is who the principal's writes are made by.
func (p *Principal) Actor() stackgate.Actor {
	return stackgate.Actor{Stack: p.Stack, UID: p.UID, Token: p.Kind == KindManagementToken || p.Kind == KindOAuthApp}
}

// Allowed decides req for the principal. For delivery and preview tokens
// api says whether the route is a content delivery one.
func (p *Principal) Allowed(api authz.API, req authz.Request) authz.Decision {
	switch p.Kind {
	case KindUser:
		return p.member.Allowed(req)
	case KindManagementToken:
		return p.mgmt.Allowed(req)
	case KindDeliveryToken, KindPreviewToken:
		return p.delivery.Allowed(api, req)
	case KindOAuthUser, KindOAuthApp:
		return p.oauthAllowed(req)
	}
	return authz.Decision{Reason: "unknown principal"}
}

// ResolveBranch maps a branch header value (a branch or an alias; "" means
// main) to the branch uid it names now.
func (p *Principal) ResolveBranch(name string) (string, bool) {
	if name == "" {
		return stackgate.MainBranch, true
	}
	if p.snap.branches[name] {
		return name, true
	}
	if target, ok := p.snap.aliases[name]; ok {
		return target, true
	}
	return "", false
}

// Credentials are what a request carried; an empty value counts as absent.
type Credentials struct {
	APIKey        string
	Authtoken     string
	Authorization string
	AccessToken   string // delivery token
	PreviewToken  string
}

var (
	errNoStack = &stackgate.Error{Code: stackgate.ENOSTACK,
		Fields: map[string][]string{"api_key": {stackgate.ProblemNotValid}}}
	errBadAuthtoken = &stackgate.Error{Code: stackgate.EUNAUTHORIZED,
		Fields: map[string][]string{"authtoken": {stackgate.ProblemNotValid}}}
	errBadAuthorization = &stackgate.Error{Code: stackgate.EUNAUTHORIZED,
		Fields: map[string][]string{"authorization": {stackgate.ProblemNotValid}}}
	errBadAccessToken = &stackgate.Error{Code: stackgate.EUNAUTHORIZED,
		Fields: map[string][]string{"access_token": {stackgate.ProblemNotValid}}}
	errBadPreviewToken = &stackgate.Error{Code: stackgate.EUNAUTHORIZED,
		Fields: map[string][]string{"preview_token": {stackgate.ProblemNotValid}}}
	errNeedAccessToken = &stackgate.Error{Code: stackgate.EUNAUTHORIZED,
		Fields: map[string][]string{"access_token": {"is required: the Content Delivery API takes a delivery token."}}}
	errNeedPreviewToken = &stackgate.Error{Code: stackgate.EUNAUTHORIZED,
		Fields: map[string][]string{"preview_token": {"is required: the Preview Service takes a preview token."}}}
	errDeliveryOnCMA = &stackgate.Error{Code: stackgate.EUNAUTHORIZED,
		Fields: map[string][]string{"authorization": {"is required: delivery and preview tokens do not authenticate the Content Management API."}}}
)

// ErrNoAPI refuses a gate request that names no API (the HTTP edge words it).
var ErrNoAPI = &stackgate.Error{Code: stackgate.EBADREQUEST, Fields: map[string][]string{"api": {"must be one of cda, preview, cma."}}}

// ErrForbidden is the refusal of a valid credential.
func ErrForbidden(reason string) error {
	return &stackgate.Error{Code: stackgate.EFORBIDDEN,
		Fields: map[string][]string{}, Err: forbiddenReason(reason)}
}

type forbiddenReason string

func (r forbiddenReason) Error() string { return string(r) }

// Authenticate resolves the stack (412 first) and then the one CMA credential
// of a request: an authtoken of a member, or a management token sent raw in
// authorization, or an OAuth access token sent as "Bearer <token>"
// (bearer.go). Delivery and preview tokens never authenticate the CMA.
func (a *Checker) Authenticate(ctx context.Context, c Credentials) (*Principal, error) {
	snap, err := a.snapshotFor(ctx, c.APIKey)
	if err != nil {
		return nil, err
	}
	switch {
	case (c.Authtoken != "") == (c.Authorization != ""): // both or neither
		return nil, errBadAuthtoken
	case c.Authtoken != "":
		uid, err := a.AuthenticateUser(ctx, c.Authtoken)
		if err != nil {
			return nil, err
		}
		p, ok := snap.members[uid]
		if !ok {
			// A miss may be a membership granted a moment ago on another node.
			if snap, ok = a.refresh(ctx, snap, missKey(uid), func() (bool, error) {
				_, err := a.store.FindMember(ctx, snap.stack.UID, uid)
				return found(err)
			}); ok {
				p, ok = snap.members[uid]
			}
		}
		if !ok {
			return nil, ErrForbidden("user is not a member of the stack")
		}
		return p, nil
	default:
		if v, ok := BearerToken(c.Authorization); ok {
			return a.oauthPrincipal(ctx, snap, v)
		}
		return a.managementToken(ctx, snap, c.Authorization)
	}
}

// errConflictingCredentials refuses an authtoken and an authorization
// that do not speak for the same user.
var errConflictingCredentials = &stackgate.Error{Code: stackgate.EUNAUTHORIZED,
	Fields: map[string][]string{"authorization": {"does not belong to the user of the authtoken."}}}

// AuthenticateBoth authenticates a request that carries both an authtoken
// and an authorization, as the Roles page documents for POST and PUT
// /v3/roles and its Postman collection sends. Both must be valid for the
// stack, and they must speak for one user: a management token created by
// the authtoken's user, or that user's own OAuth token ("Bearer …"); an app
// token speaks for no user. Otherwise 401: the authtoken's or the
// authorization's own error, or errConflictingCredentials. The authtoken
// takes precedence: the principal is the user, decided by their roles,
// recorded as created_by/updated_by, held to the custom-role creator rule.
// The other credential adds no right and takes none away: the user could
// have sent the authtoken alone (README, Compatibility).
func (a *Checker) AuthenticateBoth(ctx context.Context, c Credentials) (*Principal, error) {
	if c.Authtoken == "" || c.Authorization == "" {
		return a.Authenticate(ctx, c)
	}
	user, other := c, c
	user.Authorization, other.Authtoken = "", ""
	p, err := a.Authenticate(ctx, user)
	if err != nil {
		return nil, err
	}
	t, err := a.Authenticate(ctx, other)
	if err != nil {
		if stackgate.IsCode(err, stackgate.EFORBIDDEN) { // an OAuth token of a non-member: not this user's
			return nil, errConflictingCredentials
		}
		return nil, err
	}
	switch {
	case t.Kind == KindManagementToken && t.CreatedBy == p.UID:
	case t.Kind == KindOAuthUser && t.UID == p.UID:
	default:
		return nil, errConflictingCredentials
	}
	return p, nil
}

// olderHashes returns value's lookup hashes under the older hmac keys still
// in use (none on a one-key ring), made once for both of a slow path's
// tries: the cached snapshot, then the store.
func (a *Checker) olderHashes(value string) [][sha256.Size]byte {
	n := a.keys.OlderHMACKeys()
	if n == 0 {
		return nil
	}
	out := make([][sha256.Size]byte, n)
	for i := range out {
		a.keys.HashIntoOlder(&out[i], i, value)
	}
	return out
}

// deliverySlow finds a delivery or preview token not in the snapshot under
// the active hmac key h: under an older key (a token `stackgate rekey` has
// not re-hashed yet, or whose re-hash this node has not heard of), or in
// the store under each key.
func (a *Checker) deliverySlow(ctx context.Context, snap *snapshot, h [sha256.Size]byte, value string, preview bool) (*Principal, error) {
	index := snap.delivery
	if preview {
		index = snap.preview
	}
	older := a.olderHashes(value)
	for _, old := range older {
		if p, ok := index[old]; ok {
			return p, nil
		}
	}
	p, err := a.deliveryMiss(ctx, snap, h, preview)
	for i := 0; i < len(older) && err != nil; i++ {
		if q, err2 := a.deliveryMiss(ctx, snap, older[i], preview); err2 == nil {
			p, err = q, nil
		}
	}
	return p, err
}

// deliveryMiss handles a delivery or preview token missing from the
// snapshot: it may have been created a moment ago on another node. It is
// apart from AuthenticateFor so that the hash there stays on the stack.
func (a *Checker) deliveryMiss(ctx context.Context, snap *snapshot, h [sha256.Size]byte, preview bool) (*Principal, error) {
	snap, ok := a.refresh(ctx, snap, h, func() (bool, error) {
		t, err := a.store.FindDeliveryTokenByHash(ctx, h[:], preview)
		ok, err := found(err)
		return ok && t.StackUID == snap.stack.UID, err
	})
	switch {
	case ok && !preview && snap.delivery[h] != nil:
		return snap.delivery[h], nil
	case ok && preview && snap.preview[h] != nil:
		return snap.preview[h], nil
	case preview:
		return nil, errBadPreviewToken
	}
	return nil, errBadAccessToken
}

// refresh handles a credential missing from a cached snapshot. The
// snapshot may predate a write committed on another node whose
// notification has not arrived yet, so the store decides: when exists
// finds the credential, the stack's snapshot is dropped and reloaded;
// when it does not, the miss is remembered in the snapshot, so repeated
// unknown credentials (guesses, typos) cost the store one lookup per
// snapshot, not one per request. A write to the stack drops the snapshot
// and what it remembered with it. Lookups are rationed (cache.mayLookUpMiss):
// beyond the budget a miss is refused from memory, and a credential created
// elsewhere is then accepted once its change notification arrives.
func (a *Checker) refresh(ctx context.Context, snap *snapshot, key [sha256.Size]byte, exists func() (bool, error)) (*snapshot, bool) {
	if snap.knownMiss(key) || !a.cache.mayLookUpMiss() {
		return snap, false
	}
	ok, err := exists()
	if err != nil || !ok {
		if err == nil {
			snap.rememberMiss(key)
		}
		return snap, false
	}
	a.cache.apply(stackgate.Change{StackUID: snap.stack.UID})
	fresh, err := a.cache.snapshot(ctx, snap.stack.APIKey)
	if err != nil {
		return snap, false
	}
	return fresh, true
}

// found turns a store lookup's error into whether it found something.
func found(err error) (bool, error) {
	if err == nil {
		return true, nil
	}
	if stackgate.IsCode(err, stackgate.ENOTFOUND) {
		return false, nil
	}
	return false, err
}

// missKey keys a missing member in the miss set.
func missKey(userUID string) [sha256.Size]byte { return sha256.Sum256([]byte("member:" + userUID)) }

// snapshotFor returns the cached state of the stack named by apiKey; a
// missing or unknown api_key is 412 / 109.
func (a *Checker) snapshotFor(ctx context.Context, apiKey string) (*snapshot, error) {
	if apiKey == "" {
		return nil, errNoStack
	}
	snap, err := a.cache.snapshot(ctx, apiKey)
	if stackgate.IsCode(err, stackgate.ENOTFOUND) {
		return nil, errNoStack
	}
	return snap, err
}

func (a *Checker) managementToken(ctx context.Context, snap *snapshot, value string) (*Principal, error) {
	if value == "" { // "Bearer …" went to oauthPrincipal (bearer.go)
		return nil, errBadAuthorization
	}
	var h [sha256.Size]byte
	a.keys.HashInto(&h, value)
	e, ok := snap.mgmt[h]
	if !ok {
		if e = a.managementSlow(ctx, snap, h, value); e == nil {
			return nil, errBadAuthorization
		}
	}
	// Expiry, and the end of a rotated value's grace, are checked on every
	// request, not by a sweeper.
	now := a.Now()
	if e.token.Expired(now) || !e.notAfter.IsZero() && !now.Before(e.notAfter) {
		return nil, errBadAuthorization
	}
	e.principal.use.record(now)
	return e.principal, nil
}

// managementSlow finds a management token not in the snapshot under the
// active hmac key h: under an older key (hashed before the active key took
// over: it moves to the active key now, hmac.go), or in the store.
func (a *Checker) managementSlow(ctx context.Context, snap *snapshot, h [sha256.Size]byte, value string) *mgmtEntry {
	older := a.olderHashes(value)
	for _, old := range older {
		if e, ok := snap.mgmt[old]; ok {
			if e.notAfter.IsZero() { // the current value, not a rotated one in its grace
				a.rehash(ctx, stackgate.HashManagementToken, old, h)
			}
			return e
		}
	}
	if e := a.managementMiss(ctx, snap, h); e != nil {
		return e
	}
	for _, old := range older {
		if e := a.managementMiss(ctx, snap, old); e != nil {
			return e
		}
	}
	return nil
}

// managementMiss handles a management token missing from the snapshot: it
// may have been created a moment ago on another node.
func (a *Checker) managementMiss(ctx context.Context, snap *snapshot, h [sha256.Size]byte) *mgmtEntry {
	snap, ok := a.refresh(ctx, snap, h, func() (bool, error) {
		t, err := a.store.FindManagementTokenByHash(ctx, h[:])
		ok, err := found(err)
		return ok && t.StackUID == snap.stack.UID, err
	})
	if !ok {
		return nil
	}
	return snap.mgmt[h]
}

// AuthenticateUser returns the uid of the user whose session authtoken is
// (401 when it is none), from the cache of sessions: the one lookup of an
// authtoken, for stack routes (Authenticate) and the user's own routes
// alike. It records the session's use (lastuse.go).
func (a *Checker) AuthenticateUser(ctx context.Context, authtoken string) (string, error) {
	if authtoken == "" {
		return "", errBadAuthtoken
	}
	var h [sha256.Size]byte
	a.keys.HashInto(&h, authtoken)
	e, ok := a.cache.cachedSession(h)
	var err error
	if !ok {
		e, err = a.sessionSlow(ctx, h, authtoken)
	}
	if stackgate.IsCode(err, stackgate.ENOTFOUND) {
		return "", errBadAuthtoken
	}
	if err != nil {
		return "", err
	}
	e.use.record(a.Now())
	return e.userUID, nil
}

// sessionSlow finds a session not cached under the active hmac key h:
// cached under an older key, or in the store under each key. One found
// under an older key moves to the active key (hmac.go).
func (a *Checker) sessionSlow(ctx context.Context, h [sha256.Size]byte, authtoken string) (*sessionEntry, error) {
	older := a.olderHashes(authtoken)
	for _, old := range older {
		if e, ok := a.cache.cachedSession(old); ok {
			a.rehash(ctx, stackgate.HashSession, old, h)
			return e, nil
		}
	}
	e, err := a.cache.session(ctx, h)
	for i := 0; i < len(older) && stackgate.IsCode(err, stackgate.ENOTFOUND); i++ {
		if e, err = a.cache.session(ctx, older[i]); err == nil {
			a.rehash(ctx, stackgate.HashSession, older[i], h)
		}
	}
	return e, err
}
