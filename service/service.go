// Package service holds stackgate's use cases: it validates requests, keeps
// secrets sealed, writes through a stackgate.Store, and keeps the in-memory
// state that authenticates and authorizes every request without a database
// round-trip (cache.go). The HTTP layer calls it; it knows nothing of HTTP.
package service

import (
	"context"
	"log/slog"
	"time"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/secret"
)

// Config holds the limits a deployment may tune.
type Config struct {
	DeliveryTokenLimit   int           // per stack; default 100
	ManagementTokenLimit int           // per stack; default 10
	MaxSessionsPerUser   int           // live authtokens per user; default 20
	LoginMaxFailures     int           // consecutive failures before a lock; default 5
	LoginLockout         time.Duration // how long a lock lasts; default 15m
}

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
	if c.LoginMaxFailures <= 0 {
		c.LoginMaxFailures = 5
	}
	if c.LoginLockout <= 0 {
		c.LoginLockout = 15 * time.Minute
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
	dummy string           // a password hash to verify against for unknown emails

	notices noticeCounters // expiry notices handled (notices.go)
}

// New returns a service over store. keys seals and hashes secrets.
func New(store stackgate.Store, keys *secret.Keyring, cfg Config, log *slog.Logger) *Service {
	cfg.defaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dummy, _ := secret.HashPassword("stackgate-timing-equaliser")
	s := &Service{store: store, keys: keys, cfg: cfg, log: log, Now: stackgate.Now, dummy: dummy}
	s.cache = newCache(s)
	return s
}

// Config returns the effective configuration.
func (s *Service) Config() Config { return s.cfg }

// Store returns the underlying store.
func (s *Service) Store() stackgate.Store { return s.store }

// Keys returns the keyring.
func (s *Service) Keys() *secret.Keyring { return s.keys }

// Listen keeps the cache coherent with writes made by other nodes when the
// store can tell about them (postgres). It blocks until ctx ends; with a
// single-node store it returns at once.
func (s *Service) Listen(ctx context.Context) error {
	l, ok := s.store.(stackgate.ChangeListener)
	if !ok {
		return nil
	}
	return l.Listen(ctx, s.cache.apply, s.cache.reset)
}

// changed drops what a committed write touched, before the write's response
// is sent, so the next request on this node sees it. Other nodes learn of it
// through the store's ChangeListener.
func (s *Service) changed(c stackgate.Change) { s.cache.apply(c) }
