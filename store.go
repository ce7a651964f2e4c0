package stackgate

import (
	"context"
	"time"
)

// Store is everything stackgate keeps. Each backend (sqlite, postgres)
// implements it and passes the conformance suite in storetest.
//
// Contracts shared by every method:
//   - A missing object returns an error with code ENOTFOUND (see ErrNotFound).
//   - A unique name taken returns ECONFLICT with errors.<field> (see ErrConflict).
//   - Lists return an empty, non-nil slice and a nil error when nothing matches,
//     ordered by creation time, oldest first.
//   - Every write is one transaction: it happens entirely or not at all. A
//     use case is one store call, so a use case is one transaction too.
//   - Every write that changes what a credential may do records a Change
//     (each method's "Changes:" says which; none when it says nothing), which
//     the writing process hears through ChangeNotifier and every other node
//     through ChangeListener. A write that fails records nothing.
//   - Stack-scoped methods never read or write another stack's rows.
type Store interface {
	ChangeNotifier
	UserStore
	SessionStore
	StackStore
	InvitationStore
	EnvironmentStore
	LocaleStore
	BranchStore
	RoleStore
	DeliveryTokenStore
	ManagementTokenStore
	ExpiryNoticeStore // notice.go
	AuditStore        // audit.go
	RotationStore     // rotation.go
	LastUseStore      // lastuse.go
	KeyStore          // keys.go
	AdminStore        // admin.go
	OAuthStore        // oauth.go
	WebhookStore      // webhook.go
	TokenWebhookStore // webhook.go
	Close() error
}

// UserStore keeps users.
type UserStore interface {
	// CreateUser inserts u; ECONFLICT on "email" when the email is taken. No
	// credential refers to a new user yet, so it changes nothing.
	CreateUser(ctx context.Context, u *User) error
	// FindUserByUID returns the user or ENOTFOUND.
	FindUserByUID(ctx context.Context, uid string) (*User, error)
	// FindUserByEmail returns the user with that (lower-cased) email or ENOTFOUND.
	FindUserByEmail(ctx context.Context, email string) (*User, error)
	// SetLoginFailures records the failed-login counter and lock of a user.
	// Sessions stay valid, so it changes nothing.
	SetLoginFailures(ctx context.Context, userUID string, failed int, lockedUntil time.Time) error
	// ReserveLoginAttempt decides, atomically (concurrent callers on any
	// node see each other's reservations), whether a login attempt on the
	// user may be made at now under p, and if so counts it: it applies
	// p.Reserve to the user's FailedAttempts and LockedUntil and stores the
	// result. ENOTFOUND when the user does not exist. It changes no
	// credential, so it announces nothing.
	ReserveLoginAttempt(ctx context.Context, userUID string, now time.Time, p LoginPolicy) (LoginAttempt, error)
}

// SessionStore keeps authtokens, by keyed hash only.
type SessionStore interface {
	// CreateSession inserts s (giving it a new UID when it has none) and, in
	// the same transaction, deletes the user's oldest sessions beyond
	// maxPerUser. Changes: user.
	CreateSession(ctx context.Context, s *Session, maxPerUser int) error
	// FindSession returns the session with that token hash or ENOTFOUND.
	FindSession(ctx context.Context, tokenHash []byte) (*Session, error)
	// ListSessions returns the user's sessions, oldest first (as every
	// list); empty (not an error) for a user of none or an unknown user.
	ListSessions(ctx context.Context, userUID string) ([]*Session, error)
	// DeleteSessionByUID ends the user's session named uid, with an audit
	// entry (a logout). ENOTFOUND when the user has no session of that uid,
	// whoever else's it may be; then nothing changes. Changes: user.
	DeleteSessionByUID(ctx context.Context, userUID, uid string) error
	// DeleteSession removes the user's session with that token hash. A
	// session already gone (ended by another node or process) is no error,
	// and the change is announced all the same, so that every node forgets
	// what it cached of the user's sessions at once. Changes: user (always,
	// on success).
	// (A session may be named by its hash under each hmac key: any of
	// tokenHashes that is the user's is deleted.)
	DeleteSession(ctx context.Context, userUID string, tokenHashes ...[]byte) error
}

// StackStore keeps stacks and their members.
type StackStore interface {
	// CreateStack writes the stack and everything of seed in one transaction.
	// ECONFLICT on "name" when the owner already owns a stack of that name.
	// Changes: stack.
	CreateStack(ctx context.Context, seed *StackSeed) error
	// FindStackByAPIKey returns the stack or ENOTFOUND.
	FindStackByAPIKey(ctx context.Context, apiKey string) (*Stack, error)
	// FindStackByUID returns the stack or ENOTFOUND.
	FindStackByUID(ctx context.Context, uid string) (*Stack, error)
	// CountStacks returns how many stacks exist.
	CountStacks(ctx context.Context) (int, error)
	// ListStacksOfUser returns the stacks the user is a member of in
	// creation order, like every list (GET /v3/stacks without api_key);
	// empty (not an error) for a user of none or an unknown user.
	ListStacksOfUser(ctx context.Context, userUID string) ([]*Stack, error)
	// FindMember returns the user's membership in the stack or ENOTFOUND.
	FindMember(ctx context.Context, stackUID, userUID string) (*Member, error)
	// ListMembers returns the stack's members.
	ListMembers(ctx context.Context, stackUID string) ([]*Member, error)
	// ListMemberUsers returns the users who are members of the stack, in
	// the order ListMembers gives them, in one read; empty (not an error)
	// for an unknown stack.
	ListMemberUsers(ctx context.Context, stackUID string) ([]*User, error)
	// LoadStack returns the stack whose api_key is apiKey with everything its
	// credentials are decided by, read in one transaction (one consistent
	// view: no write is seen half). ENOTFOUND when no stack has that key.
	LoadStack(ctx context.Context, apiKey string) (*StackContents, error)
	// AddMember makes the user a member with roleUIDs added to any roles they
	// already hold. EINVALID on "roles" when a role is not of this stack.
	// Changes: stack.
	AddMember(ctx context.Context, stackUID, userUID string, roleUIDs []string) error
	// SetMemberRoles replaces the roles of each user in assignments.
	// EINVALID on "users" when a user is not a member, on "roles" when a role
	// is not of this stack, on "users" when a role would end up with more
	// than usersPerRole holders and more than it had (no limit when <= 0).
	// Changes: stack.
	SetMemberRoles(ctx context.Context, stackUID string, assignments map[string][]string, usersPerRole int) error
	// RemoveMember, in one transaction under the stack lock, removes the
	// membership of the user whose (lower-cased) e-mail is email, with its
	// role assignments, and withdraws the stack's pending invitation to that
	// address (POST /v3/stacks/unshare). EINVALID on "email" when it is the
	// owner's (ProblemOwner) or neither a member's nor invited
	// (ProblemNotMember), alike whether the address has an account; nothing
	// changes then. Changes: stack when a membership was removed (withdrawing
	// only an invitation changes no credential and announces nothing).
	RemoveMember(ctx context.Context, stackUID, email string) error
}

// InvitationStore keeps pending stack invitations (StackInvitation). Their
// methods never read the users table for an e-mail address: an invitation's
// fate depends on who accepts it, never on whether its address has an account.
type InvitationStore interface {
	// PutStackInvitations records invs (all of one stack) in one
	// transaction, each replacing the stack's pending invitation of the same
	// e-mail address (which takes the new uid, roles, inviter and time).
	// ENOTFOUND when the stack does not exist; EINVALID on "roles" when a
	// role is not of the stack, on "users" when a role already has
	// usersPerRole holders, on "emails" when the stack would have more than
	// maxPending pending invitations (no limit when either is <= 0). It
	// changes no credential, so it announces nothing.
	PutStackInvitations(ctx context.Context, invs []*StackInvitation, usersPerRole, maxPending int) error
	// ListStackInvitations returns the pending invitations of the e-mail
	// address (lower-cased), in every stack, oldest first, each with its
	// stack, roles and inviter, all read in one transaction by a number of
	// statements that does not grow with the invitations (the invitee's
	// list page makes one call, not one per invitation).
	ListStackInvitations(ctx context.Context, email string) ([]*PendingInvitation, error)
	// AcceptStackInvitation, in one transaction, makes userUID a member of the
	// invitation's stack with its roles added to any held already (AddMember)
	// and deletes the invitation, which it returns. ENOTFOUND unless the
	// invitation uid exists and is addressed to email; EINVALID on "users"
	// when a role would pass usersPerRole holders (no limit when <= 0), and
	// then nothing changes. Changes: stack.
	AcceptStackInvitation(ctx context.Context, uid, email, userUID string, usersPerRole int) (*StackInvitation, error)
	// DeleteStackInvitation removes the invitation; ENOTFOUND unless uid
	// exists and is addressed to email.
	DeleteStackInvitation(ctx context.Context, uid, email string) error
}

// EnvironmentStore keeps environments. name is unique per stack.
type EnvironmentStore interface {
	// CreateEnvironment inserts e; ECONFLICT on "name"; EINVALID on
	// "environment" when the stack already has limit environments (no limit
	// when limit <= 0). Changes: stack.
	CreateEnvironment(ctx context.Context, e *Environment, limit int) error
	// FindEnvironment returns the stack's environment whose name or uid is key.
	FindEnvironment(ctx context.Context, stackUID, key string) (*Environment, error)
	// ListEnvironments returns the stack's environments.
	ListEnvironments(ctx context.Context, stackUID string) ([]*Environment, error)
	// UpdateEnvironment replaces name and urls of e (found by e.UID), bumping
	// its version. When the name changes, every role rule of the stack that
	// names the environment by its old name names it by its new one, in the
	// same transaction (rules keep environments as they were written; uids
	// need nothing). ECONFLICT on "name". Changes: stack.
	UpdateEnvironment(ctx context.Context, e *Environment) error
	// DeleteEnvironment removes it; EINVALID on "environment" while a token
	// or role references it. Changes: stack.
	DeleteEnvironment(ctx context.Context, stackUID, uid string) error
}

// LocaleStore keeps locales. code is unique per stack.
type LocaleStore interface {
	// CreateLocale inserts l; ECONFLICT on "code"; EINVALID on "locale" when
	// the stack already has limit locales (none when <= 0). Changes: stack.
	CreateLocale(ctx context.Context, l *Locale, limit int) error
	// FindLocale returns the stack's locale whose code or uid is key.
	FindLocale(ctx context.Context, stackUID, key string) (*Locale, error)
	// ListLocales returns the stack's locales.
	ListLocales(ctx context.Context, stackUID string) ([]*Locale, error)
	// UpdateLocale replaces name and fallback of l (found by l.UID). Changes: stack.
	UpdateLocale(ctx context.Context, l *Locale) error
	// DeleteLocale removes it; EINVALID on "locale" while a role references
	// it or another locale falls back to it. Changes: stack.
	DeleteLocale(ctx context.Context, stackUID, uid string) error
}

// BranchStore keeps branches and branch aliases.
type BranchStore interface {
	// CreateBranch inserts b; ECONFLICT on "uid" (a branch or an alias of that
	// name exists); EINVALID on "branch" when the stack already has limit
	// branches (none when <= 0). Changes: stack.
	CreateBranch(ctx context.Context, b *Branch, limit int) error
	// FindBranch returns the stack's branch or ENOTFOUND.
	FindBranch(ctx context.Context, stackUID, uid string) (*Branch, error)
	ListBranches(ctx context.Context, stackUID string) ([]*Branch, error)
	// DeleteBranch removes it; EINVALID on "branch" while a token, role or
	// alias references it. Changes: stack.
	DeleteBranch(ctx context.Context, stackUID, uid string) error
	// PutBranchAlias creates or retargets an alias; EINVALID on
	// "branch_alias.target_branch" when the target does not exist, ECONFLICT
	// on "uid" when a branch has that name; EINVALID on "branch_alias" when
	// the alias is new and the stack already has limit aliases (none when
	// <= 0). Changes: stack.
	PutBranchAlias(ctx context.Context, a *BranchAlias, limit int) error
	FindBranchAlias(ctx context.Context, stackUID, uid string) (*BranchAlias, error)
	ListBranchAliases(ctx context.Context, stackUID string) ([]*BranchAlias, error)
	// DeleteBranchAlias removes it; EINVALID while a token or role references it.
	// Changes: stack.
	DeleteBranchAlias(ctx context.Context, stackUID, uid string) error
}

// RoleStore keeps roles. Role.Users is filled from memberships on read.
type RoleStore interface {
	// CreateRole inserts r, verifies and records refs (EINVALID on ref.Field
	// when a target is missing), and gives the role to the users in members
	// (EINVALID on "users" when one is not a member). ECONFLICT on "name".
	// EINVALID on "role" when the stack already has limit custom roles (none
	// when <= 0). Changes: stack.
	CreateRole(ctx context.Context, r *Role, refs []Ref, members []string, limit int) error
	FindRole(ctx context.Context, stackUID, uid string) (*Role, error)
	ListRoles(ctx context.Context, stackUID string) ([]*Role, error)
	// UpdateRole replaces name, description and rules of r (found by r.UID),
	// and its refs; when members is non-nil the role's holders become exactly
	// members. Changes: stack.
	UpdateRole(ctx context.Context, r *Role, refs []Ref, members []string) error
	// DeleteRole removes the role and takes it from its holders. Changes: stack.
	DeleteRole(ctx context.Context, stackUID, uid string) error
}

// DeliveryTokenStore keeps delivery tokens and their preview tokens.
type DeliveryTokenStore interface {
	// CreateDeliveryToken inserts t with its refs. EINVALID on "token" when
	// the stack already has limit delivery tokens; ECONFLICT on "name".
	// Changes: stack.
	CreateDeliveryToken(ctx context.Context, t *DeliveryToken, refs []Ref, limit int) error
	FindDeliveryToken(ctx context.Context, stackUID, uid string) (*DeliveryToken, error)
	// FindDeliveryTokenByHash finds the token whose delivery token hash, or
	// whose preview token hash when preview is true, equals hash, in any stack.
	FindDeliveryTokenByHash(ctx context.Context, hash []byte, preview bool) (*DeliveryToken, error)
	ListDeliveryTokens(ctx context.Context, stackUID string) ([]*DeliveryToken, error)
	// UpdateDeliveryToken replaces name, description, scope, expiry and refs.
	// Changes: stack.
	UpdateDeliveryToken(ctx context.Context, t *DeliveryToken, refs []Ref) error
	// SetPreviewToken replaces (or, with a zero Sealed, removes) the preview
	// token of the delivery token. Changes: stack.
	SetPreviewToken(ctx context.Context, stackUID, uid string, preview Sealed, updatedBy string, at time.Time) error
	// DeleteDeliveryToken removes it with its preview token. Changes: stack.
	DeleteDeliveryToken(ctx context.Context, stackUID, uid string) error
}

// ManagementTokenStore keeps management tokens, by keyed hash only.
type ManagementTokenStore interface {
	// CreateManagementToken inserts t with its refs. EINVALID on "token" when
	// the stack already has limit management tokens; ECONFLICT on "name".
	// Changes: stack.
	CreateManagementToken(ctx context.Context, t *ManagementToken, refs []Ref, limit int) error
	FindManagementToken(ctx context.Context, stackUID, uid string) (*ManagementToken, error)
	// FindManagementTokenByHash finds the token with that hash in any stack.
	FindManagementTokenByHash(ctx context.Context, hash []byte) (*ManagementToken, error)
	ListManagementTokens(ctx context.Context, stackUID string) ([]*ManagementToken, error)
	// UpdateManagementToken replaces name, description, scope, expiry,
	// notification flag and refs; never the hash. Changes: stack.
	UpdateManagementToken(ctx context.Context, t *ManagementToken, refs []Ref) error
	// DeleteManagementToken removes it. Changes: stack.
	DeleteManagementToken(ctx context.Context, stackUID, uid string) error
}

// Change says what a committed write touched, so caches can drop it. A write
// to a stack's tokens, roles, members, environments, locales, branches or
// aliases has StackUID set; a login or logout, or a user's OAuth
// authorization revoked, has UserUID set; an OAuth app removed has AppUID
// set (its tokens, of users and its own, stop working).
type Change struct {
	StackUID string
	UserUID  string
	AppUID   string
}

// ChangeNotifier tells the process that writes what its writes changed.
// OnCommit registers fn, which the store calls after every write that
// commits, once for each distinct Change the write recorded, synchronously:
// the write method returns only after fn has returned, so a caller that
// waits for fn (the service rebuilds its snapshot there) acts on the write
// before it responds. fn is never called for a write that is refused or
// rolls back; when COMMIT itself fails the outcome is unknown, and fn is
// called as if the write had committed (a needless reload is cheap, a missed
// one would keep a revoked credential). fn must not write through the
// store. Every registered fn is called, in registration order.
type ChangeNotifier interface {
	OnCommit(fn func(Change))
}

// ChangeListener is the optional capability of a store shared by several
// nodes (postgres): Listen calls onChange for every change committed by
// another node, or another handle on the database (the store's own commits
// go to its ChangeNotifier hooks instead, and are not delivered again). It calls onReset(false) as soon as changes may be
// missed (the notification connection dropped): caches must forget
// everything and stop caching; and onReset(true) once it listens again, from
// which point caches may fill again. Listen blocks until ctx ends.
type ChangeListener interface {
	Listen(ctx context.Context, onChange func(Change), onReset func(listening bool)) error
}
