// Package service holds stackgate's use cases: it validates requests, keeps
// secrets sealed, writes through a stackgate.Store, and keeps the in-memory
// state that authenticates and authorizes every request without a database
// round-trip (cache.go). The HTTP layer calls it; it knows nothing of HTTP.
package service

import (
	"context"
	"log/slog"
	"runtime"
	"sync/atomic"
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
	// CacheMaxStacks bounds how many stacks' snapshots are cached; the least
	// recently used is evicted beyond it. Default 10,000.
	CacheMaxStacks int
}

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
	c.Limits.defaults()
	if c.CacheMaxStacks <= 0 {
		c.CacheMaxStacks = 10000
	}
}

// Service is the application. It is safe for concurrent use.
type Service struct {
	store stackgate.Store
	keys  *secret.Keyring
	cfg   Config
	cache *cache
	log   *slog.Logger
	Now   func() time.Time // injectable clock; defaults to stackgate.Now

	listener   atomic.Int32  // Listen's state, for Health: listenerUnstarted, Up or Down
	reconnects atomic.Uint64 // Listen's recoveries (stats.go)
	logins     loginCounters // refused logins, by budget (stats.go)
	dummy      string        // a password hash to verify against for unknown emails

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
	s.cache = newCache(s)
	// The one place where this node's writes reach the cache: the store
	// calls it after each commit, before the write returns, with what the
	// write changed. A cached stack's snapshot is rebuilt there, by the
	// writer, and swapped in, while decisions keep using the previous one
	// until then (a write never makes readers wait for a reload); anything
	// else the write touched is dropped. So the write's response is sent
	// only once the next request on this node sees it. Other nodes learn
	// of it through the store's ChangeListener (Listen) and drop it.
	store.OnCommit(s.cache.refreshAfterWrite)
	return s
}

// Listen keeps the cache coherent with writes made by other nodes when the
// store can tell about them (postgres). It blocks until ctx ends; with a
// single-node store it returns at once.
func (s *Service) Listen(ctx context.Context) error {
	l, ok := s.store.(stackgate.ChangeListener)
	if !ok {
		return nil
	}
	s.listener.Store(listenerUp)
	err := l.Listen(ctx, s.cache.apply, func(listening bool) {
		if listening && s.listener.Load() == listenerDown {
			s.reconnects.Add(1)
		}
		s.listener.Store(map[bool]int32{true: listenerUp, false: listenerDown}[listening])
		s.cache.reset(listening)
	})
	s.listener.Store(listenerDown)
	return err
}
