package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/stackgate/stackgate"
)

// webhookTypes are the audit modules whose events are token events, with
// the token type the webhook body names.
var webhookTypes = map[string]string{
	stackgate.AuditDeliveryToken:   "delivery",
	stackgate.AuditPreviewToken:    "preview",
	stackgate.AuditManagementToken: "management",
}

// webhookEvents are the audit event types that make a webhook event.
var webhookEvents = map[string]string{
	stackgate.AuditCreate: stackgate.WebhookTokenCreated,
	stackgate.AuditRotate: stackgate.WebhookTokenRotated,
	stackgate.AuditDelete: stackgate.WebhookTokenRevoked,
}

// webhookBody is the JSON that is signed and sent: what happened to which
// token of which stack, never a value.
type webhookBody struct {
	Event string `json:"event"`
	Stack struct {
		APIKey string `json:"api_key"`
	} `json:"stack"`
	Token struct {
		UID  string `json:"uid"`
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"token"`
	At         string `json:"at"`
	DeliveryID string `json:"delivery_id"`
	// ExpiresAt (the instant the token stops working) and Within ("7d",
	// "1d") are set on expiry events only.
	ExpiresAt string `json:"expires_at,omitempty"`
	Within    string `json:"within,omitempty"`
}

// outbox writes the webhook delivery of ev, when it is a token event, in
// tx: audit calls it beside the entry, so the event exists exactly when the
// change commits.
func (tx *Tx) outbox(ctx context.Context, stackUID string, ev *event) error {
	typ, isToken := webhookTypes[ev.module]
	name, isEvent := webhookEvents[ev.typ]
	if !isToken || !isEvent || stackUID == "" {
		return nil
	}
	var b webhookBody
	if err := tx.queryRow(ctx, `SELECT api_key FROM stacks WHERE uid = ?`, stackUID).Scan(&b.Stack.APIKey); err != nil {
		return err
	}
	b.Event = name
	b.Token.UID, b.Token.Name, b.Token.Type = ev.uid, ev.title, typ
	_, err := tx.enqueue(ctx, stackUID, &b, nil)
	return err
}

// enqueue inserts the delivery of b (its at and delivery id filled in);
// with a dedup key, only when no delivery has it (false then).
func (tx *Tx) enqueue(ctx context.Context, stackUID string, b *webhookBody, dedup *string) (bool, error) {
	now := stackgate.Now()
	b.At, b.DeliveryID = now.UTC().Format(time.RFC3339Nano), stackgate.NewUID()
	body, err := json.Marshal(b)
	if err != nil {
		return false, err
	}
	res, err := tx.exec(ctx, `INSERT INTO webhook_deliveries (uid, stack_uid, event, body, created_at, dedup_key)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (dedup_key) DO NOTHING`,
		b.DeliveryID, stackUID, b.Event, string(body), ms(now), nullString(dedup))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// expiredWindow is how long after its expiry a token's token.expired event
// is still enqueued (a node down across the instant catches up; a token
// that expired long before the upgrade makes none).
const expiredWindow = 24 * time.Hour

// dedupKeep is how long an expiry event's row is kept whatever the
// retention: past the windows in which the scan would enqueue it again.
const dedupKeep = 8 * 24 * time.Hour

// EnqueueExpiryWebhooks enqueues the expiry events due at now: for every
// management or delivery token that stops working within 7 days
// (token.expiring, within "7d", or "1d" in its last day: the expiry
// notices' schedule, stackgate.NoticeKindFor) or stopped within the last
// day (token.expired). Each event has a dedup key (kind, token, expiry
// date), so every node may run it and each event is enqueued once; a new
// expiry date makes new events. It returns how many it enqueued.
func (s *Store) EnqueueExpiryWebhooks(ctx context.Context, now time.Time) (int, error) {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	from := stackgate.ExpiryDate(now.Add(-expiredWindow))
	to := stackgate.ExpiryDate(now.Add(7 * 24 * time.Hour))
	type due struct {
		stackUID, apiKey, uid, name, typ string
		expires                          int64
	}
	var list []due
	for _, table := range []struct{ name, typ string }{{"management_tokens", "management"}, {"delivery_tokens", "delivery"}} {
		rows, err := tx.query(ctx, `SELECT t.stack_uid, s.api_key, t.uid, t.name, t.expires_on FROM `+table.name+` t
			JOIN stacks s ON s.uid = t.stack_uid WHERE t.expires_on >= ? AND t.expires_on <= ? ORDER BY t.expires_on, t.seq`,
			ms(from), ms(to))
		if err != nil {
			return 0, err
		}
		for rows.Next() {
			d := due{typ: table.typ}
			if err := rows.Scan(&d.stackUID, &d.apiKey, &d.uid, &d.name, &d.expires); err != nil {
				rows.Close()
				return 0, err
			}
			list = append(list, d)
		}
		if err := rows.Close(); err != nil {
			return 0, err
		}
		if err := rows.Err(); err != nil {
			return 0, err
		}
	}
	n := 0
	for _, d := range list {
		at := stackgate.ExpiryInstant(fromMS(d.expires))
		var b webhookBody
		b.Stack.APIKey, b.Token.UID, b.Token.Name, b.Token.Type = d.apiKey, d.uid, d.name, d.typ
		b.ExpiresAt = at.Format(time.RFC3339)
		left := at.Sub(now)
		if kind, ok := stackgate.NoticeKindFor(left); ok {
			b.Event, b.Within = stackgate.WebhookTokenExpiring, string(kind)
		} else if left <= 0 && left > -expiredWindow {
			b.Event = stackgate.WebhookTokenExpired
		} else {
			continue
		}
		key := fmt.Sprintf("%s/%s/%s/%s/%d", b.Event, b.Within, d.typ, d.uid, d.expires)
		added, err := tx.enqueue(ctx, d.stackUID, &b, &key)
		if err != nil {
			return 0, err
		}
		if added {
			n++
		}
	}
	return n, tx.Commit(ctx)
}

const webhookColumns = `uid, stack_uid, event, body, created_at, claim, lease_until, attempts, last_error, sent_at, failed_at`

func scanWebhook(sc scanner) (*stackgate.WebhookDelivery, error) {
	var d stackgate.WebhookDelivery
	var body string
	var created, lease, sent, failed int64
	if err := sc.Scan(&d.UID, &d.StackUID, &d.Event, &body, &created, &d.Claim, &lease, &d.Attempts, &d.LastError,
		&sent, &failed); err != nil {
		return nil, err
	}
	d.Body = []byte(body)
	d.CreatedAt, d.LeaseUntil, d.SentAt, d.FailedAt = fromMS(created), fromMS(lease), fromMS(sent), fromMS(failed)
	return &d, nil
}

// ClaimWebhookDeliveries claims due rows in one write transaction: the
// candidates are read, then each is taken by a conditional update (sent_at
// = 0, failed_at = 0, lease lapsed); PostgreSQL re-checks the condition on
// a row after waiting for a concurrent claimer's update, and SQLite runs
// one writer at a time, so each row goes to one claimer.
func (s *Store) ClaimWebhookDeliveries(ctx context.Context, claim string, now time.Time, lease time.Duration, limit int) ([]*stackgate.WebhookDelivery, error) {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	due, err := queryList(ctx, tx, scanWebhook, `SELECT `+webhookColumns+` FROM webhook_deliveries
		WHERE sent_at = 0 AND failed_at = 0 AND lease_until <= ? ORDER BY seq LIMIT ?`, ms(now), limit)
	if err != nil {
		return nil, err
	}
	until := ms(now.Add(lease))
	won := []*stackgate.WebhookDelivery{}
	for _, d := range due {
		res, err := tx.exec(ctx, `UPDATE webhook_deliveries SET claim = ?, lease_until = ?, attempts = attempts + 1
			WHERE uid = ? AND sent_at = 0 AND failed_at = 0 AND lease_until <= ?`, claim, until, d.UID, ms(now))
		if err != nil {
			return nil, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, err
		}
		if n == 1 {
			d.Claim, d.LeaseUntil, d.Attempts = claim, fromMS(until), d.Attempts+1
			won = append(won, d)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, err
	}
	return won, nil
}

// MarkWebhookSent records the delivery; ENOTFOUND when there is none.
func (s *Store) MarkWebhookSent(ctx context.Context, uid string, at time.Time) error {
	res, err := s.write.ExecContext(ctx, s.d.Rebind(`UPDATE webhook_deliveries
		SET sent_at = CASE WHEN sent_at = 0 THEN ? ELSE sent_at END, claim = '', last_error = '' WHERE uid = ?`), ms(at), uid)
	if err != nil {
		return err
	}
	return affected(res, "webhook delivery")
}

// ReleaseWebhookDelivery gives up claim after a failed attempt.
func (s *Store) ReleaseWebhookDelivery(ctx context.Context, uid, claim string, retryAt time.Time, reason string, failed bool) error {
	if len(reason) > 500 {
		reason = reason[:500]
	}
	var failedAt int64
	if failed {
		failedAt = ms(stackgate.Now())
	}
	_, err := s.write.ExecContext(ctx, s.d.Rebind(`UPDATE webhook_deliveries SET claim = '', lease_until = ?, last_error = ?,
		failed_at = ? WHERE uid = ? AND claim = ? AND sent_at = 0`), ms(retryAt), reason, failedAt, uid, claim)
	return err
}

// ListWebhookDeliveries returns the stack's deliveries, oldest first.
func (s *Store) ListWebhookDeliveries(ctx context.Context, stackUID string) ([]*stackgate.WebhookDelivery, error) {
	return readOne(ctx, s, func(tx *Tx) ([]*stackgate.WebhookDelivery, error) {
		return queryList(ctx, tx, scanWebhook, `SELECT `+webhookColumns+` FROM webhook_deliveries WHERE stack_uid = ? ORDER BY seq`, stackUID)
	})
}

// PruneWebhookDeliveries deletes the deliveries created before t; those
// of expiry events are kept dedupKeep at least, or the scan would enqueue
// them again.
func (s *Store) PruneWebhookDeliveries(ctx context.Context, before time.Time) (int, error) {
	keep := min(ms(before), ms(stackgate.Now().Add(-dedupKeep)))
	res, err := s.write.ExecContext(ctx, s.d.Rebind(`DELETE FROM webhook_deliveries
		WHERE created_at < ? AND (dedup_key IS NULL OR created_at < ?)`), ms(before), keep)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}
