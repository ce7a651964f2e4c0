package stackgate

import (
	"context"
	"time"
)

// AdminStore is what the administration CLI (`stackgate user …`,
// `stackgate stack list`) needs beyond the API's own use cases.
type AdminStore interface {
	// ListUsers returns every user.
	ListUsers(ctx context.Context) ([]*User, error)
	// ListStacks returns every stack.
	ListStacks(ctx context.Context) ([]*Stack, error)
	// SetPassword replaces the user's password hash, clears its failed-login
	// counter and lock, and ends its sessions (whoever knew the old password
	// is logged out). ENOTFOUND when the user does not exist. Changes: user.
	SetPassword(ctx context.Context, userUID, passwordHash string, at time.Time) error
	// DeleteUser deletes the user with its sessions and memberships.
	// ENOTFOUND when absent; EINVALID on "user" when the user owns a stack
	// (a stack is never left without an owner). Changes: user, and every
	// stack the user was a member of.
	DeleteUser(ctx context.Context, userUID string) error
}
