// Package webhook delivers the store's webhook outbox: each token event is
// POSTed, signed with HMAC-SHA256 over the raw body, at least once, by
// whichever node claims it (the claim protocol of the expiry notices), with
// bounded exponential backoff. It never blocks a write: the write only adds
// an outbox row in its own transaction.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/stackgate/stackgate"
)

// Headers of a delivery.
const (
	HeaderSignature = "X-Stackgate-Signature" // "sha256=" + hex HMAC-SHA256(secret, body)
	HeaderEvent     = "X-Stackgate-Event"
	HeaderDelivery  = "X-Stackgate-Delivery" // the outbox row's uid: the same on every retry
)

// responseLimit is how much of a receiver's reply is read (then the
// connection is dropped): enough to reuse a connection after a short reply,
// never a large or endless body.
const responseLimit = 4 << 10

// Sign returns the X-Stackgate-Signature value of body under secret.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether signature is body's under secret (constant time).
func Verify(secret, body []byte, signature string) bool {
	return hmac.Equal([]byte(Sign(secret, body)), []byte(signature))
}

// Sender POSTs deliveries to one URL.
type Sender struct {
	URL    string
	Secret []byte
	Client *http.Client // nil: NewClient(10 s)
}

// NewClient is an HTTP client that follows no redirect (a 3xx is a failed
// attempt: the URL is what the operator configured, nowhere else) and gives
// up after timeout.
func NewClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// NewStackClient is the client of the stacks' own webhooks (whose URLs a
// stack admin chose, not the operator): as NewClient, and, unless
// allowPrivate, it refuses to connect to an address Internal reports, as
// resolved at dial time (a name that resolves to 127.0.0.1, or is made to
// later, is refused all the same). It uses no proxy from the environment:
// the address checked must be the receiver's.
func NewStackClient(timeout time.Duration, allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = refuseInternal
	}
	c := NewClient(timeout)
	c.Transport = &http.Transport{DialContext: d.DialContext, ForceAttemptHTTP2: true, MaxIdleConns: 10,
		IdleConnTimeout: 90 * time.Second, TLSHandshakeTimeout: 10 * time.Second}
	return c
}

// ErrInternalAddress is why a stack's webhook was not called: its host
// resolved to an address Internal reports.
var ErrInternalAddress = errors.New("webhook: refused to connect to a loopback, private, link-local, multicast or unspecified address (--webhook-allow-private allows it)")

// refuseInternal is the stack client's net.Dialer.Control: address is the
// resolved IP and port about to be connected to.
func refuseInternal(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || Internal(ap.Addr()) {
		return ErrInternalAddress
	}
	return nil
}

// nonPublic are ranges that are not public beside those netip names
// (IsPrivate, IsLoopback…): in IPv4 "this network", shared address space
// (CGNAT), IETF protocol assignments, benchmarking, reserved and broadcast;
// in IPv6 the local-use NAT64 prefix (RFC 8215, which a site translates to
// any IPv4 address it likes) and the deprecated site-local fec0::/10.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"), netip.MustParsePrefix("100.64.0.0/10"), netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"), netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b:1::/48"), netip.MustParsePrefix("fec0::/10"),
}

// embedsIPv4 are the IPv6 prefixes whose addresses carry an IPv4 address
// that the network may deliver to: the well-known NAT64 prefix (RFC 6052:
// 64:ff9b::7f00:1 is 127.0.0.1 through a NAT64 gateway), IPv4-compatible
// addresses (::a.b.c.d, deprecated) and 6to4 (2002:AABB:CCDD::/48). The
// offset is where the IPv4 address starts, in bytes.
var embedsIPv4 = []struct {
	prefix netip.Prefix
	offset int
}{
	{netip.MustParsePrefix("64:ff9b::/96"), 12},
	{netip.MustParsePrefix("::/96"), 12},
	{netip.MustParsePrefix("2002::/16"), 2},
}

// Internal reports whether a is not a public unicast address: loopback,
// private (RFC 1918, fc00::/7), link-local, multicast, unspecified, or one
// of nonPublic; an IPv4-mapped IPv6 address, and one of embedsIPv4, is
// judged as the IPv4 address it carries. A stack's webhook may not reach
// such an address unless the operator allows it (--webhook-allow-private).
func Internal(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return true
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return true
		}
	}
	if a.Is6() {
		for _, e := range embedsIPv4 {
			if e.prefix.Contains(a) {
				b := a.As16()
				return Internal(netip.AddrFrom4([4]byte(b[e.offset : e.offset+4])))
			}
		}
	}
	return false
}

// MaxURL is the longest URL a stack's webhook may have.
const MaxURL = 2048

// CheckURL returns what is wrong with raw as a stack's webhook URL, as a
// validation problem, or "": an absolute https URL (http too when
// allowHTTP) with a host, no user info and no fragment; unless
// allowPrivate, its host may not be "localhost" or an IP address Internal
// reports (a name is checked when it is resolved, at delivery).
func CheckURL(raw string, allowHTTP, allowPrivate bool) string {
	if len(raw) > MaxURL {
		return fmt.Sprintf("is too long (at most %d characters).", MaxURL)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Hostname() == "" || u.Opaque != "" {
		return "is not a valid URL."
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && allowHTTP:
	case allowHTTP:
		return "must be an http or https URL."
	default:
		return "must be an https URL."
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "has a port that is not between 1 and 65535."
		}
	}
	if u.User != nil {
		return "must not hold a user name or password."
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return "must not have a fragment."
	}
	if allowPrivate {
		return ""
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if a, err := netip.ParseAddr(host); (err == nil && Internal(a)) || host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return "must not name a loopback, private, link-local, multicast or unspecified address."
	}
	return ""
}

// Send POSTs d once; nil when the receiver answered 2xx. Errors never name
// the URL (which may carry credentials) beyond its redacted form.
func (s *Sender) Send(ctx context.Context, d *stackgate.WebhookDelivery) error {
	c := s.Client
	if c == nil {
		c = NewClient(10 * time.Second)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(d.Body))
	if err != nil {
		return errors.New("webhook: bad URL")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "stackgate-webhook")
	req.Header.Set(HeaderEvent, d.Event)
	req.Header.Set(HeaderDelivery, d.UID)
	req.Header.Set(HeaderSignature, Sign(s.Secret, d.Body))
	resp, err := c.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the URL
		}
		return fmt.Errorf("webhook: POST %s: %w", stackgate.RedactURL(s.URL), err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, responseLimit))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook: POST %s: status %d", stackgate.RedactURL(s.URL), resp.StatusCode)
	}
	return nil
}

// Stacks finds a stack's own webhook at delivery time.
type Stacks interface {
	// TokenWebhookTarget returns the stack's webhook and its secret in
	// clear; ENOTFOUND when the stack has none.
	TokenWebhookTarget(ctx context.Context, stackUID string) (*stackgate.TokenWebhook, []byte, error)
}

// Store is what the worker needs of the store.
type Store interface {
	ClaimWebhookDeliveries(ctx context.Context, claim string, now time.Time, lease time.Duration, limit int) ([]*stackgate.WebhookDelivery, error)
	MarkWebhookSent(ctx context.Context, uid string, at time.Time) error
	ReleaseWebhookDelivery(ctx context.Context, uid, claim string, retryAt time.Time, reason string, failed bool) error
	PruneWebhookDeliveries(ctx context.Context, before time.Time) (int, error)
	EnqueueExpiryWebhooks(ctx context.Context, now time.Time) (int, error)
}

// Worker drains the outbox; run one on every node.
type Worker struct {
	Store Store
	// Sender is the node-wide webhook (--webhook-url): the deliveries of a
	// stack without one of its own; nil: none.
	Sender *Sender
	// Stacks, if set, finds each delivery's stack's own webhook, read when
	// the delivery is sent (so a change applies to the deliveries queued
	// before it): it is sent there, with StackClient (nil:
	// NewStackClient(10 s, false)), if it selects the event, and else not
	// at all.
	Stacks      Stacks
	StackClient *http.Client
	Log         *slog.Logger
	Now         func() time.Time // nil: time.Now

	Lease       time.Duration // how long a claim is held while sending (> the client's timeout); 0: 1 min
	Backoff     time.Duration // the wait after the first failure, doubling after each; 0: 10 s
	MaxBackoff  time.Duration // the longest wait; 0: 1 h
	MaxAttempts int           // attempts before the delivery is given up; 0: 10
	Batch       int           // deliveries claimed per run; 0: 50
	Retention   time.Duration // deliveries older than this are deleted; 0: 7 days
	// ExpiryInterval is how often Run enqueues the expiry events due (the
	// store keeps one of each across nodes); 0: 1 min.
	ExpiryInterval time.Duration
}

func (w *Worker) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Delay is the backoff after the attempts-th failed attempt (1-based):
// Backoff, doubling, at most MaxBackoff.
func (w *Worker) Delay(attempts int) time.Duration {
	d, max := or(w.Backoff, 10*time.Second), or(w.MaxBackoff, time.Hour)
	for i := 1; i < attempts && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

// RunOnce claims due deliveries and sends each; it returns how many were
// delivered. A failed attempt is released until its backoff ends, or given
// up after MaxAttempts.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	claim := stackgate.NewUID()
	ds, err := w.Store.ClaimWebhookDeliveries(ctx, claim, w.now(), or(w.Lease, time.Minute), or(w.Batch, 50))
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, d := range ds {
		s, skip, err := w.destination(ctx, d)
		if skip != "" {
			// Nowhere to send it, by configuration: not retried.
			w.log().Debug("webhook delivery skipped", "delivery", d.UID, "event", d.Event, "reason", skip)
			if err := w.Store.ReleaseWebhookDelivery(ctx, d.UID, claim, w.now(), "skipped: "+skip, true); err != nil {
				return sent, err
			}
			continue
		}
		if err == nil {
			err = s.Send(ctx, d)
		}
		if err != nil {
			failed := d.Attempts >= or(w.MaxAttempts, 10)
			retry := w.now().Add(w.Delay(d.Attempts))
			w.log().Warn("webhook delivery failed", "delivery", d.UID, "event", d.Event, "attempt", d.Attempts,
				"given_up", failed, "err", err)
			if err := w.Store.ReleaseWebhookDelivery(ctx, d.UID, claim, retry, err.Error(), failed); err != nil {
				return sent, err
			}
			continue
		}
		if err := w.Store.MarkWebhookSent(ctx, d.UID, w.now()); err != nil {
			return sent, err
		}
		sent++
	}
	return sent, nil
}

// destination is the sender of d, read now: its stack's own webhook if it
// has one (skip names why not, when it does not select d's event), else
// the node-wide one (skip says there is none). An error (the store or the
// key file) is a failed attempt, retried.
func (w *Worker) destination(ctx context.Context, d *stackgate.WebhookDelivery) (s *Sender, skip string, err error) {
	if w.Stacks != nil {
		hook, secret, err := w.Stacks.TokenWebhookTarget(ctx, d.StackUID)
		switch {
		case err == nil && !hook.Selects(d.Event):
			return nil, "the stack's token webhook does not select " + d.Event, nil
		case err == nil:
			c := w.StackClient
			if c == nil {
				c = NewStackClient(10*time.Second, false)
			}
			return &Sender{URL: hook.URL, Secret: secret, Client: c}, "", nil
		case stackgate.ErrorCode(err) != stackgate.ENOTFOUND:
			return nil, "", fmt.Errorf("webhook: the stack's token webhook: %w", err)
		}
	}
	if w.Sender == nil {
		return nil, "neither the stack nor the node (--webhook-url) has a token webhook", nil
	}
	return w.Sender, "", nil
}

func (w *Worker) log() *slog.Logger {
	if w.Log != nil {
		return w.Log
	}
	return slog.Default()
}

// Run calls RunOnce every interval (and prunes old deliveries) until ctx
// ends. With neither Sender nor Stacks (no webhook can be configured) it
// only prunes: the outbox is written whatever the configuration, so that
// every node agrees on it.
func (w *Worker) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var scanned time.Time
	for {
		if w.Sender != nil || w.Stacks != nil {
			if now := w.now(); now.Sub(scanned) >= or(w.ExpiryInterval, time.Minute) {
				if _, err := w.Store.EnqueueExpiryWebhooks(ctx, now); err != nil && ctx.Err() == nil {
					w.log().Error("webhook expiry scan", "err", err)
				}
				scanned = now
			}
			if _, err := w.RunOnce(ctx); err != nil && ctx.Err() == nil {
				w.log().Error("webhook run", "err", err)
			}
		}
		if _, err := w.Store.PruneWebhookDeliveries(ctx, w.now().Add(-or(w.Retention, 7*24*time.Hour))); err != nil && ctx.Err() == nil {
			w.log().Error("webhook prune", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
