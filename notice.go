package stackgate

import (
	"context"
	"time"
)

// NoticeKind names which expiry notice of a management token is meant.
type NoticeKind string

const (
	NoticeWeek NoticeKind = "7d" // sent when the token stops working within 7 days
	NoticeDay  NoticeKind = "1d" // sent when it stops working within 1 day
)

// NoticeKindFor is the notice due for a token that stops working in left:
// NoticeWeek within 7 days, NoticeDay within the last one; ok is false
// outside (0, 7 days]. The expiry e-mails and the expiry webhooks share it.
func NoticeKindFor(left time.Duration) (kind NoticeKind, ok bool) {
	switch {
	case left <= 0 || left > 7*24*time.Hour:
		return "", false
	case left <= 24*time.Hour:
		return NoticeDay, true
	}
	return NoticeWeek, true
}

// NoticeKey identifies one expiry notice. Exactly one notice is sent per
// key: a changed expires_on or a re-enabled notification flag makes a new
// key, hence a new notice.
type NoticeKey struct {
	TokenUID   string
	ExpiresOn  time.Time // the token's expires_on date (00:00 UTC)
	Generation int       // the token's NotifyGeneration
	Kind       NoticeKind
}

// ExpiryNotice is the stored state of one notice.
type ExpiryNotice struct {
	NoticeKey
	StackUID   string
	Claim      string    // the current claim's id; "" when released
	LeaseUntil time.Time // until then the claim is held (in flight or backing off)
	Attempts   int       // claims taken, the current one included
	LastError  string    // why the last send failed (no credentials)
	SentAt     time.Time // zero while not sent
	CreatedAt  time.Time
}

// Sent reports whether the notice went out.
func (n *ExpiryNotice) Sent() bool { return !n.SentAt.IsZero() }

// ExpiryNoticeStore records expiry notices so that, across restarts and any
// number of nodes on one store, each is sent once.
type ExpiryNoticeStore interface {
	// ListNotifiableManagementTokens returns the management tokens of every
	// stack whose e-mail notification is on and whose ExpiresOn date lies in
	// [from, to], soonest first.
	ListNotifiableManagementTokens(ctx context.Context, from, to time.Time) ([]*ManagementToken, error)
	// ClaimExpiryNotice, in one transaction, claims key for claim until
	// now+lease and reports whether it won. It wins when the token still
	// exists with its notification on, the same ExpiresOn and Generation,
	// and the notice is not sent and either new or its lease has lapsed
	// (lease_until <= now). Of any number of concurrent claims of one key
	// at most one wins. A won claim counts an attempt.
	ClaimExpiryNotice(ctx context.Context, key NoticeKey, claim string, now time.Time, lease time.Duration) (bool, error)
	// MarkExpiryNoticeSent records that the notice went out (whoever holds
	// the claim now: the mail is gone). ENOTFOUND when no such notice.
	MarkExpiryNoticeSent(ctx context.Context, key NoticeKey, at time.Time) error
	// ReleaseExpiryNotice records a failed send of claim: the notice stays
	// unsent and may be claimed again from retryAt. It does nothing when
	// claim no longer holds the notice or it was sent.
	ReleaseExpiryNotice(ctx context.Context, key NoticeKey, claim string, retryAt time.Time, reason string) error
	// FindExpiryNotice returns the notice or ENOTFOUND.
	FindExpiryNotice(ctx context.Context, key NoticeKey) (*ExpiryNotice, error)
}
