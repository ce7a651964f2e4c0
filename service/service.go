// Package service holds stackgate's use cases: it validates requests, keeps
// secrets sealed and writes through a stackgate.Store, one store call (one
// transaction) per use case, acting as a stackgate.Actor. Authenticating
// and deciding requests is package access's, which hears of every write
// through the store's commit hook. The HTTP layer calls both; neither knows
// anything of HTTP.
package service

import (
	"log/slog"
	"runtime"
	"time"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/secret"
)

// Config holds the limits a deployment may tune.
type Config struct {
	DeliveryTokenLimit   int // per stack; default 100
	ManagementTokenLimit int // per stack; default 10
	MaxSessionsPerUser   int // live authtokens per user; default 20

	// PasswordConcurrency caps argon2id computations running at once;
	// default GOMAXPROCS.
	PasswordConcurrency int
	// PasswordQueueWait is how long a login waits for its turn before 503;
	// default 2 s.
	PasswordQueueWait time.Duration

	// Limits bound what a stack may hold (limits.go).
	Limits StackLimits

	// MaxRotationGrace caps a rotation's grace_period_seconds (rotation.go);
	// default 30 days.
	MaxRotationGrace time.Duration

	// WebhookAllowHTTP lets a stack's token webhook use an http URL;
	// WebhookAllowPrivate lets it name a loopback, private or link-local
	// address (token_webhooks.go; the delivery's client must agree).
	WebhookAllowHTTP, WebhookAllowPrivate bool
	// OAuthRefreshTTL bounds an OAuth grant's refresh tokens: from the code
	// exchange (or client_credentials), whatever the rotations; default
	// DefaultOAuthRefreshTTL. OAuthRefreshIdle spends a refresh token not
	// used for that long; default DefaultOAuthRefreshIdle (one at least
	// OAuthRefreshTTL never applies).
	OAuthRefreshTTL, OAuthRefreshIdle time.Duration
}

// The OAuth refresh lifetimes by default (`serve --oauth-refresh-ttl`,
// `--oauth-refresh-idle`).
const (
	DefaultOAuthRefreshTTL  = 90 * 24 * time.Hour
	DefaultOAuthRefreshIdle = 30 * 24 * time.Hour
)

// loginTrackerMax bounds each in-memory login tracker (about 100 bytes a key).
const loginTrackerMax = 1 << 16

var (
	// loginAccountPolicy spaces out attempts on one account, whoever makes
	// them (kept in the store): 10 free, then 1 s doubling to 60 s,
	// forgotten after 1 h of quiet.
	loginAccountPolicy = stackgate.LoginPolicy{Free: 10, Base: time.Second, Max: time.Minute, Forget: time.Hour}
	// loginClientPolicy spaces out attempts on one email from one client
	// address (kept in memory): 3 free, then 1 s doubling to 15 min,
	// forgotten after 1 h of quiet.
	loginClientPolicy = stackgate.LoginPolicy{Free: 3, Base: time.Second, Max: 15 * time.Minute, Forget: time.Hour}
)

func (c *Config) defaults() {
	if c.DeliveryTokenLimit <= 0 {
		c.DeliveryTokenLimit = 100
	}
	if c.ManagementTokenLimit <= 0 {
		c.ManagementTokenLimit = 10
	}
	if c.MaxSessionsPerUser <= 0 {
		c.MaxSessionsPerUser = 20
	}
	if c.PasswordConcurrency <= 0 {
		c.PasswordConcurrency = runtime.GOMAXPROCS(0)
	}
	if c.PasswordQueueWait <= 0 {
		c.PasswordQueueWait = 2 * time.Second
	}
	if c.OAuthRefreshTTL <= 0 {
		c.OAuthRefreshTTL = DefaultOAuthRefreshTTL
	}
	if c.OAuthRefreshIdle <= 0 {
		c.OAuthRefreshIdle = DefaultOAuthRefreshIdle
	}
	c.Limits.defaults()
}

// Service is the application. It is safe for concurrent use.
type Service struct {
	store stackgate.Store
	keys  *secret.Keyring
	cfg   Config
	log   *slog.Logger
	Now   func() time.Time // injectable clock; defaults to stackgate.Now

	logins loginCounters // refused logins, by budget (stats.go)
	dummy  string        // a password hash to verify against for unknown emails

	passwords    *passwordSlots
	clientTries  *attemptTracker // by (email, client address)
	unknownTries *attemptTracker // by email, for emails without an account
	notices      noticeCounters  // expiry notices handled (notices.go)
}

// New returns a service over store. keys seals and hashes secrets.
func New(store stackgate.Store, keys *secret.Keyring, cfg Config, log *slog.Logger) *Service {
	cfg.defaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dummy, _ := secret.HashPassword("stackgate-timing-equaliser")
	s := &Service{store: store, keys: keys, cfg: cfg, log: log, Now: stackgate.Now, dummy: dummy,
		passwords:    newPasswordSlots(cfg.PasswordConcurrency, cfg.PasswordQueueWait),
		clientTries:  newAttemptTracker(loginClientPolicy, loginTrackerMax),
		unknownTries: newAttemptTracker(loginAccountPolicy, loginTrackerMax)}
	return s
}
