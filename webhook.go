package stackgate

import (
	"context"
	"time"
)

// Webhook event names (X-Stackgate-Event and the body's "event").
const (
	WebhookTokenCreated = "token.created"
	WebhookTokenRotated = "token.rotated"
	WebhookTokenRevoked = "token.revoked" // the token was deleted
	// WebhookTokenExpiring: the token stops working within 7 days, then
	// within 1 day (the body's "within": "7d", "1d"); the expiry notices'
	// schedule (NoticeKindFor).
	WebhookTokenExpiring = "token.expiring"
	WebhookTokenExpired  = "token.expired"
)

// WebhookDelivery is one outbox row: an event to POST to the webhook URL,
// written by the store in the transaction of the change it describes, and
// sent at least once by whichever node claims it.
type WebhookDelivery struct {
	UID        string // the delivery id (X-Stackgate-Delivery)
	StackUID   string
	Event      string
	Body       []byte // the exact JSON that is signed and sent; never a token value
	CreatedAt  time.Time
	Claim      string    // the current claim's id; "" when released
	LeaseUntil time.Time // until then the claim is held (in flight or backing off)
	Attempts   int       // claims taken, the current one included
	LastError  string    // why the last attempt failed (no URL, no credentials)
	SentAt     time.Time // zero while not delivered
	FailedAt   time.Time // set when the attempts ran out; the row is not tried again
}

// WebhookStore keeps the webhook outbox. Rows are written by the token
// writes themselves (create, rotate, delete of delivery, preview and
// management tokens), never by a separate call, so that an event exists
// exactly when its change was committed. No method here changes what a
// credential may do: Changes: none.
type WebhookStore interface {
	// ClaimWebhookDeliveries claims up to limit deliveries that are neither
	// sent nor failed and whose lease has lapsed at now, oldest first, until
	// now+lease, in one write transaction; of concurrent claimers on any
	// node each row goes to exactly one. It increments their Attempts.
	ClaimWebhookDeliveries(ctx context.Context, claim string, now time.Time, lease time.Duration, limit int) ([]*WebhookDelivery, error)
	// MarkWebhookSent records the delivery; the first time is kept.
	MarkWebhookSent(ctx context.Context, uid string, at time.Time) error
	// ReleaseWebhookDelivery gives up claim after a failed attempt, until
	// retryAt (the backoff), with the reason; failed: never again.
	ReleaseWebhookDelivery(ctx context.Context, uid, claim string, retryAt time.Time, reason string, failed bool) error
	// ListWebhookDeliveries returns the stack's deliveries, oldest first.
	ListWebhookDeliveries(ctx context.Context, stackUID string) ([]*WebhookDelivery, error)
	// EnqueueExpiryWebhooks enqueues, once across nodes and runs, the
	// token.expiring and token.expired events due at now of every stack's
	// management and delivery tokens; it returns how many it enqueued.
	EnqueueExpiryWebhooks(ctx context.Context, now time.Time) (int, error)
	// PruneWebhookDeliveries deletes the deliveries created before t.
	PruneWebhookDeliveries(ctx context.Context, before time.Time) (int, error)
}

// TokenWebhookEvents are the events a stack's token webhook may select, as
// the API names them: each is the delivery's event without "token."
// (WebhookTokenCreated is "token." + "created").
var TokenWebhookEvents = []string{"created", "rotated", "revoked", "expiring", "expired"}

// TokenWebhook is a stack's own token-event webhook (PUT
// /v3/stacks/token_webhook, a stackgate extension): the stack's events go
// to URL, signed with Secret, for the Events it selects, in place of the
// node-wide --webhook-url. Secret is sealed (the signature needs it in
// clear); SecretHint is its last four characters, to tell secrets apart.
type TokenWebhook struct {
	StackUID   string
	URL        string
	Events     []string // of TokenWebhookEvents, in that order
	Secret     Sealed
	SecretHint string
	CreatedBy  string
	UpdatedBy  string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Selects reports whether the webhook sends event (a delivery's event,
// "token.created").
func (w *TokenWebhook) Selects(event string) bool {
	for _, e := range w.Events {
		if "token."+e == event {
			return true
		}
	}
	return false
}

// TokenWebhookStore keeps each stack's token webhook (at most one). Its
// writes are audited (module AuditTokenWebhook) but change no credential:
// Changes: none. The secret never leaves the store unsealed.
type TokenWebhookStore interface {
	// FindTokenWebhook returns the stack's webhook or ENOTFOUND.
	FindTokenWebhook(ctx context.Context, stackUID string) (*TokenWebhook, error)
	// CreateTokenWebhook inserts w; ECONFLICT on "token_webhook" when the
	// stack has one.
	CreateTokenWebhook(ctx context.Context, w *TokenWebhook) error
	// UpdateTokenWebhook replaces the URL and events of the stack's webhook
	// (and its secret when w.Secret is not zero: a rotation, audited as
	// such), with w's UpdatedBy and UpdatedAt; ENOTFOUND when it has none.
	UpdateTokenWebhook(ctx context.Context, w *TokenWebhook) error
	// DeleteTokenWebhook removes the stack's webhook; ENOTFOUND when none.
	DeleteTokenWebhook(ctx context.Context, stackUID string) error
	// RekeyTokenWebhooks re-seals, with reseal, up to limit webhook secrets
	// not sealed under activeID or not hashed under hmac key hmacID, each
	// under its stack's lock, and returns how many (0: none is left). reseal
	// keeps the hash under the same hmac key and moves it to hmacID
	// otherwise (Sealed.HashKey), as RekeyDeliveryTokens.
	RekeyTokenWebhooks(ctx context.Context, activeID, hmacID string, limit int, reseal func(Sealed) (Sealed, error)) (int, error)
}
