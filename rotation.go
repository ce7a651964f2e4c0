package stackgate

import (
	"context"
	"time"
)

// Rotated is the value a rotation replaced: its keyed hash, accepted until
// ExpiresAt (the end of the grace window), checked on every request like a
// management token's expiry. Zero when there is none.
type Rotated struct {
	Hash      []byte
	ExpiresAt time.Time
}

// Works reports whether the previous value still authenticates at now.
func (r Rotated) Works(now time.Time) bool { return len(r.Hash) > 0 && now.Before(r.ExpiresAt) }

// RotationStore rotates token values. Each rotation replaces the token's
// value with next; with a grace window (previousUntil after at) the value
// replaced stays valid until previousUntil, else it dies at once (and any
// value still in an earlier window with it). ENOTFOUND when the token (or,
// for a preview rotation, its preview token) does not exist. Changes: stack.
type RotationStore interface {
	RotateDeliveryToken(ctx context.Context, stackUID, uid string, next Sealed, previousUntil time.Time, by string, at time.Time) error
	RotatePreviewToken(ctx context.Context, stackUID, uid string, next Sealed, previousUntil time.Time, by string, at time.Time) error
	// nextHashKey is the id of the hmac key nextHash was made with.
	RotateManagementToken(ctx context.Context, stackUID, uid string, nextHash []byte, nextHashKey string, previousUntil time.Time, by string, at time.Time) error
}
