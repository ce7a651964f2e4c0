// Package access is stackgate's hot path: it authenticates a request's
// credential and decides what it may do without a database round-trip. It
// keeps, per stack, an in-memory snapshot of compiled members and tokens by
// keyed hash (cache.go), kept coherent by the store's commit hook and, with
// several nodes, its ChangeListener; authentication (auth.go) and the
// gate's decision (gate.go) read only that snapshot, and the store only on a
// miss, through the narrow read interface Store. It writes nothing and knows
// nothing of HTTP; the use cases are package service's.
package access

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/secret"
)

// Store is what access reads of a stackgate.Store: a stack's snapshot, the
// lookups of credentials missing from it, and the commit hook that tells
// it what this node's writes changed.
type Store interface {
	stackgate.ChangeNotifier
	LoadStack(ctx context.Context, apiKey string) (*stackgate.StackContents, error)
	FindSession(ctx context.Context, tokenHash []byte) (*stackgate.Session, error)
	FindMember(ctx context.Context, stackUID, userUID string) (*stackgate.Member, error)
	FindDeliveryTokenByHash(ctx context.Context, hash []byte, preview bool) (*stackgate.DeliveryToken, error)
	FindManagementTokenByHash(ctx context.Context, hash []byte) (*stackgate.ManagementToken, error)
	FindOAuthToken(ctx context.Context, accessHash []byte) (*stackgate.OAuthToken, error)
	// Rehash moves a credential found under an older hmac key (hmac.go).
	Rehash(ctx context.Context, kind stackgate.HashKind, oldHash, newHash []byte, newKey string) error
}

// Config holds what a deployment may tune of the cache.
type Config struct {
	// CacheMaxStacks bounds how many stacks' snapshots are cached; the least
	// recently used is evicted beyond it. Default 10,000.
	CacheMaxStacks int
	// OutageGrace is how long after the change listener loses its
	// connection the cache keeps deciding from what it held then
	// (outage.go); 0 stops at once (every request then needs the store).
	OutageGrace time.Duration
}

func (c *Config) defaults() {
	if c.CacheMaxStacks <= 0 {
		c.CacheMaxStacks = 10000
	}
}

// Checker authenticates credentials and decides requests from the cache. It
// is safe for concurrent use.
type Checker struct {
	store Store
	keys  *secret.Keyring
	cfg   Config
	cache *cache
	log   *slog.Logger
	uses  usages           // last uses not flushed yet (lastuse.go)
	Now   func() time.Time // injectable clock (management token expiry); defaults to stackgate.Now

	listener   atomic.Int32  // Listen's state (listener.go)
	reconnects atomic.Uint64 // times Listen listened again
}

// New returns a checker over store; keys hashes credentials as the service
// stored them. It registers the store's commit hook: create one checker per
// store and process.
func New(store Store, keys *secret.Keyring, cfg Config, log *slog.Logger) *Checker {
	cfg.defaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Checker{store: store, keys: keys, cfg: cfg, log: log, Now: stackgate.Now}
	c.cache = newCache(c)
	// The one place where this node's writes reach the cache: the store
	// calls it after each commit, before the write returns, with what the
	// write changed. A cached stack's snapshot is rebuilt there, by the
	// writer, and swapped in, while decisions keep using the previous one
	// until then (a write never makes readers wait for a reload); anything
	// else the write touched is dropped. So the write's response is sent
	// only once the next request on this node sees it. Other nodes learn
	// of it through the store's ChangeListener (Listen) and drop it.
	store.OnCommit(c.cache.refreshAfterWrite)
	return c
}

// Listen keeps the cache coherent with writes made by other nodes when the
// store can tell about them (postgres). It blocks until ctx ends; with a
// single-node store it returns at once.
func (c *Checker) Listen(ctx context.Context) error {
	l, ok := c.store.(stackgate.ChangeListener)
	if !ok {
		return nil
	}
	c.listener.Store(listenerUp)
	defer c.listener.Store(listenerDown)
	return l.Listen(ctx, c.cache.apply, func(listening bool) {
		c.listenerChanged(listening) // listener.go
		c.cache.reset(listening)
	})
}
