package stackgate

import (
	"net/netip"
	"time"
)

// ScopeEntry is one entry of a token's scope. Delivery tokens use the
// environment, branch and branch_alias modules; management tokens use any
// module with acl read/write, plus branch and branch_alias.
type ScopeEntry struct {
	Module        Module
	Environments  []string // environment uids (requests may name them; services resolve)
	Branches      []string
	BranchAliases []string
	ACL           ACL
	MetadataUID   string // _metadata.uid, stable across updates of the same entry
}

// Sealed is a secret kept so that it can be shown again: AES-256-GCM
// ciphertext (nonce prepended) under the key named KeyID, and a keyed hash
// (HMAC-SHA-256) under the hmac key named HashKey, used to look the secret
// up without decrypting anything.
type Sealed struct {
	Hash       []byte
	HashKey    string
	Ciphertext []byte
	KeyID      string
}

// IsZero reports whether no secret is held.
func (s Sealed) IsZero() bool { return len(s.Hash) == 0 }

// DeliveryToken reads published content of its environments and branches
// through the gate. Token and PreviewToken are the clear values: services
// fill them by opening Sealed values and never hand them to a logger.
type DeliveryToken struct {
	UID          string
	StackUID     string
	Name         string // unique per stack among delivery tokens
	Description  string
	Scope        []ScopeEntry
	Secret       Sealed      // the delivery token
	Preview      Sealed      // the preview token; zero when none
	Previous     Rotated     // the delivery token value a rotation replaced (rotation.go)
	PreviewPrev  Rotated     // the preview token value a rotation replaced
	ExpiresOn    *time.Time  // the last UTC date it (and its preview token) works; nil = never
	LastUsedAt   time.Time   // the delivery token's last use (zero: never), as last flushed
	PreviewUsed  time.Time   // the preview token's last use
	Limits       TokenLimits // rate_limit (Rate.Read) and ip_allow, for it and its preview token
	Token        string      // clear value, not stored
	PreviewToken string      // clear value, not stored
	CreatedBy    string
	UpdatedBy    string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// ManagementToken is a stack credential for the CMA, held to its scope.
// Only TokenHash is stored; the clear value exists once, in the create reply.
type ManagementToken struct {
	UID               string
	StackUID          string
	Name              string // unique per stack among management tokens
	Description       string
	Scope             []ScopeEntry
	ExpiresOn         *time.Time // the last UTC date it works (00:00 UTC of that date); nil = never
	EmailNotification bool
	NotifyGeneration  int // bumped each time EmailNotification is turned on; keys its expiry notices
	TokenHash         []byte
	HashKey           string    // the id of the hmac key TokenHash was made with
	Previous          Rotated   // the value a rotation replaced (rotation.go)
	LastUsedAt        time.Time // last use (zero: never), as last flushed
	Limits            TokenLimits
	Token             string // clear value, only right after create or rotation
	CreatedBy         string
	UpdatedBy         string
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// ExpiresAt returns the instant the token stops working: 00:00 UTC of the
// day after ExpiresOn, since a token works through the whole UTC date it
// names. ok is false for a token that never expires. This is the one rule
// every place that decides expiry uses (CMA, gate, cache, notices).
func (t *ManagementToken) ExpiresAt() (at time.Time, ok bool) {
	if t.ExpiresOn == nil {
		return time.Time{}, false
	}
	return ExpiryInstant(*t.ExpiresOn), true
}

// Expired reports whether the token no longer works at now.
func (t *ManagementToken) Expired(now time.Time) bool {
	at, ok := t.ExpiresAt()
	return ok && !now.Before(at)
}

// ExpiresAt is when the delivery token (and its preview token) stops
// working, by the management tokens' rule (ExpiryInstant); ok is false for
// a token that never expires.
func (t *DeliveryToken) ExpiresAt() (at time.Time, ok bool) {
	if t.ExpiresOn == nil {
		return time.Time{}, false
	}
	return ExpiryInstant(*t.ExpiresOn), true
}

// ExpiryDate is the UTC date (at 00:00 UTC) that t counts for: a date
// "YYYY-MM-DD" or a timestamp, which counts for its UTC date.
func ExpiryDate(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// ExpiryInstant is when a token whose expires_on is date stops working:
// 00:00 UTC of the next day.
func ExpiryInstant(date time.Time) time.Time { return ExpiryDate(date).AddDate(0, 0, 1) }

// RefKind names what a reference points at.
type RefKind string

const (
	RefEnvironment RefKind = "environment"
	RefLocale      RefKind = "locale"
	RefBranch      RefKind = "branch"
	RefBranchAlias RefKind = "branch_alias"
)

// Ref is a reference from a token or role to an object of its stack. Value is
// a uid, or for environments a name and for locales a code; stores resolve it
// under lock in the writing transaction and record it, so that the target
// cannot be deleted while referenced. Field is the error path reported when
// the target does not exist (e.g. "scope.environments").
type Ref struct {
	Kind  RefKind
	Value string
	Field string
}

// TokenLimits are a token's per-node rate limit and client address allow
// list (issue 16 item 5). The zero value limits nothing.
type TokenLimits struct {
	// Rate is requests per second per node; 0 = no limit. A delivery (and
	// its preview) token has one rate, in Read (it only reads); a
	// management token has reads (GET, HEAD) and writes apart.
	Rate RateLimit
	// IPAllow are the client addresses the token works from (a bare address
	// is a /32 or /128), masked; empty = any.
	IPAllow []netip.Prefix
}

// RateLimit is requests per second; 0 = no limit.
type RateLimit struct{ Read, Write int }

// ParseIPAllow reads one ip_allow entry: a CIDR prefix or an address.
func ParseIPAllow(s string) (netip.Prefix, bool) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}
