package stackgate

import (
	"context"
	"time"
)

// LastUseKind names which value of a token a last use is of.
type LastUseKind uint8

const (
	LastUseDelivery LastUseKind = iota + 1
	LastUsePreview
	LastUseManagement
	LastUseSession // an authtoken: StackUID is "", TokenUID the session's uid
)

// LastUse is when a token was last used, as one node saw it.
type LastUse struct {
	Kind     LastUseKind
	StackUID string
	TokenUID string
	At       time.Time
}

// LastUseStore records last uses, which nodes keep in memory and flush in
// batches (no store write per request).
type LastUseStore interface {
	// RecordLastUse sets each token's last use to At unless it holds a later
	// one already (the latest wins, whichever node flushes last); tokens
	// gone meanwhile are skipped. It changes no credential: no Change, no
	// audit entry.
	RecordLastUse(ctx context.Context, uses []LastUse) error
}
