package stackgate

import "time"

// ScopeEntry is one entry of a token's scope. Delivery tokens use the
// environment, branch and branch_alias modules; management tokens use any
// module with acl read/write, plus branch and branch_alias.
type ScopeEntry struct {
	Module        string
	Environments  []string // environment uids (requests may name them; services resolve)
	Branches      []string
	BranchAliases []string
	ACL           ACL
	MetadataUID   string // _metadata.uid, stable across updates of the same entry
}

// Sealed is a secret kept so that it can be shown again: AES-256-GCM
// ciphertext (nonce prepended) under the key named KeyID, and a keyed hash
// (HMAC-SHA-256) used to look the secret up without decrypting anything.
type Sealed struct {
	Hash       []byte
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
	Secret       Sealed // the delivery token
	Preview      Sealed // the preview token; zero when none
	Token        string // clear value, not stored
	PreviewToken string // clear value, not stored
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
	ExpiresOn         *time.Time // midnight UTC that ends its life; nil = never
	EmailNotification bool
	TokenHash         []byte
	Token             string // clear value, only right after create
	CreatedBy         string
	UpdatedBy         string
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// Expired reports whether the token is past its expiry at now.
func (t *ManagementToken) Expired(now time.Time) bool {
	return t.ExpiresOn != nil && !now.Before(*t.ExpiresOn)
}

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
