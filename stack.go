package stackgate

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// User is a person who logs in. PasswordHash is an argon2id PHC string; it is
// never rendered.
type User struct {
	UID            string
	Email          string // unique, stored lower-cased
	FirstName      string
	LastName       string
	Username       string
	OrgUID         string
	PasswordHash   string
	FailedAttempts int       // login attempts counted since the last success (see LoginPolicy)
	LockedUntil    time.Time // no login attempt before this time (see LoginPolicy); zero when none
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Session is a live authtoken. Only TokenHash, a keyed hash of the authtoken,
// is stored; the authtoken itself is shown once, at login.
type Session struct {
	UID       string // names the session on the wire (GET /v3/user/sessions); never the authtoken
	TokenHash []byte // the authtoken's keyed hash; never leaves the server
	HashKey   string // the id of the hmac key TokenHash was made with
	UserUID   string
	CreatedAt time.Time
	// LastUsedAt is the last use of the authtoken flushed to the store
	// (LastUseSession); zero when none was.
	LastUsedAt time.Time
	// UserAgent and RemoteAddr describe the client that logged in, for its
	// user to recognise the session by: the User-Agent header cut by
	// SessionUserAgent, and the client's address as --trusted-proxies
	// defines it ("" when unknown).
	UserAgent  string
	RemoteAddr string
}

// MaxSessionUserAgent is how many bytes of a client's User-Agent a session
// keeps.
const MaxSessionUserAgent = 256

// SessionUserAgent is what a session keeps of a User-Agent header: valid
// UTF-8 without control characters, at most MaxSessionUserAgent bytes, cut
// at a character boundary.
func SessionUserAgent(ua string) string {
	ua = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(ua, ""))
	if len(ua) <= MaxSessionUserAgent {
		return ua
	}
	cut := MaxSessionUserAgent
	for cut > 0 && !utf8.RuneStart(ua[cut]) {
		cut--
	}
	return ua[:cut]
}

// Stack is a content repository, identified on the wire by APIKey.
type Stack struct {
	UID          string
	APIKey       string
	Name         string
	Description  string
	OrgUID       string
	OwnerUID     string
	MasterLocale string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Actor is who a write to a stack is made by: the stack (its MasterLocale
// included) and the uid recorded as created_by / updated_by — a user's, or
// a management token's when one authenticated the request.
type Actor struct {
	Stack *Stack
	UID   string
	// Token is set when UID is not a user's: a management token's or an
	// OAuth app's (a user's OAuth token acts as the user). The zero value
	// is a user, held to what users may do (a custom role's creator rule).
	Token bool
}

// Owner reports whether the actor is the user who owns the stack.
func (a Actor) Owner() bool { return !a.Token && a.Stack != nil && a.UID == a.Stack.OwnerUID }

// Member is a user's membership in a stack with the roles they hold there.
// The owner is a member too (with whatever roles they were given) and is
// recognised by Stack.OwnerUID, not by a role.
type Member struct {
	StackUID string
	UserUID  string
	RoleUIDs []string // sorted
}

// StackInvitation is a pending invitation to join a stack (POST
// /v3/stacks/share). It names an e-mail address, never a user: whether the
// address has an account is not known to the inviter, and only the user whose
// e-mail it is (now, or once registered) can see it, accept it or decline it.
type StackInvitation struct {
	UID       string // random
	StackUID  string
	Email     string   // lower-cased
	RoleUIDs  []string // sorted; a role deleted meanwhile is dropped
	InvitedBy string   // user uid
	CreatedAt time.Time
}

// PendingInvitation is a pending stack invitation with what its invitee is
// shown: the stack, the roles it gives and who sent it, read together
// (InvitationStore.ListStackInvitations).
type PendingInvitation struct {
	*StackInvitation
	Stack   *Stack
	Roles   []*Role // those of RoleUIDs, in that order; their holders are not read (Users is empty)
	Inviter *User   // nil when the inviter no longer exists
}

// Environment is a publishing target. Name is unique per stack.
type Environment struct {
	UID       string
	StackUID  string
	Name      string
	URLs      []EnvironmentURL
	Version   int
	CreatedBy string
	UpdatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// EnvironmentURL is one base URL of an environment for one locale.
type EnvironmentURL struct {
	URL    string `json:"url"`
	Locale string `json:"locale"`
}

// Locale is a language of a stack. Code is unique per stack; the master locale
// has no fallback (FallbackLocale == "").
type Locale struct {
	UID            string
	StackUID       string
	Code           string
	Name           string
	FallbackLocale string
	Version        int
	CreatedBy      string
	UpdatedBy      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Branch is a branch of a stack; its UID is its name ("main", "development").
type Branch struct {
	UID       string
	StackUID  string
	Source    string // "" for main
	CreatedBy string
	UpdatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// BranchAlias names a branch; its UID is its name ("deploy").
type BranchAlias struct {
	UID          string
	StackUID     string
	TargetBranch string
	CreatedBy    string
	UpdatedBy    string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// MainBranch is the branch every stack has and nobody can delete.
const MainBranch = "main"

// StackSeed is everything a new stack is created with, written in one
// transaction by StackStore.CreateStack.
type StackSeed struct {
	Stack       Stack
	Owner       Member
	Branch      Branch
	Locale      Locale
	Environment Environment
	Roles       []Role // the system roles
}

// StackContents is everything a stack's credentials are decided by, read at
// once by StackStore.LoadStack: the stack, its environments, locales,
// branches, aliases, roles, members and tokens, each list ordered as its own
// List method orders it.
type StackContents struct {
	Stack            *Stack
	Environments     []*Environment
	Locales          []*Locale
	Branches         []*Branch
	BranchAliases    []*BranchAlias
	Roles            []*Role
	Members          []*Member
	DeliveryTokens   []*DeliveryToken
	ManagementTokens []*ManagementToken
}
