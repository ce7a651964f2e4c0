package access

import (
	"crypto/sha256"
	"errors"
	"time"

	"github.com/stackgate/stackgate"
)

// The store outage policy. When the change listener loses its connection,
// the cache can no longer hear other nodes' writes, so it stops caching
// (cache.disabled) and every request needs the store. But the snapshots it
// held were current up to then: every change committed before the listener
// failed had been delivered (NOTIFY is sent at commit, in commit order), up
// to the detection delay of postgres.Listen (a dead connection is noticed
// at most about 2 s after the last notification it delivered). And while
// the store is down for this node, no write this node makes can commit.
// So for Config.OutageGrace after the loss, what the cache held keeps
// deciding, as it was:
//
//   - a credential that was valid then is allowed, one that was revoked,
//     expired or unknown then is refused (a credential missing from a kept
//     snapshot is refused, never looked up: the store cannot answer);
//   - a stack or session not cached then needs the store; while the store
//     fails it is refused with 503 (EUNAVAILABLE, Retry-After), not 500;
//   - a write this node commits meanwhile drops what it touched from the
//     kept copy (the store is up for it, and the next request reads the
//     store);
//   - once the listener listens again the copy is dropped, and the cache
//     fills from the store as after any reset.
//
// Worst-case staleness: a revocation committed by another node that can
// still reach the store (a partition of this node only) is missed for up
// to the detection delay plus OutageGrace. With the store itself down no
// revocation commits anywhere, and the kept copy is exact. OutageGrace 0
// keeps nothing: every decision then waits for the store.
type outage struct {
	until    time.Time
	stacks   map[string]*snapshot // by api_key, as cache.stacks
	apiKeyOf map[string]string
	sessions map[[sha256.Size]byte]*sessionEntry
	byUser   map[string][][sha256.Size]byte
}

// begin keeps what c holds now, for grace. Called with c.mu held.
func (o *outage) begin(c *cache, grace time.Duration) {
	if grace <= 0 {
		*o = outage{}
		return
	}
	*o = outage{until: time.Now().Add(grace), stacks: c.stacks, apiKeyOf: c.apiKeyOf,
		sessions: c.sessions, byUser: c.byUser}
}

// apply drops what a change touched from the kept copy. Called with c.mu held.
func (o *outage) apply(ch stackgate.Change) {
	if o.stacks == nil {
		return
	}
	if key, ok := o.apiKeyOf[ch.StackUID]; ch.StackUID != "" && ok {
		delete(o.stacks, key)
		delete(o.apiKeyOf, ch.StackUID)
	}
	if ch.UserUID != "" {
		for _, h := range o.byUser[ch.UserUID] {
			delete(o.sessions, h)
		}
		delete(o.byUser, ch.UserUID)
	}
}

func (o *outage) live(now time.Time) bool { return o.stacks != nil && now.Before(o.until) }

// outageSnapshot returns the kept snapshot of apiKey during the grace.
func (c *cache) outageSnapshot(apiKey string) (*snapshot, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if !c.disabled || !c.outage.live(time.Now()) {
		return nil, false
	}
	s, ok := c.outage.stacks[apiKey]
	if ok {
		c.stats.outageServed.Add(1)
	}
	return s, ok
}

// outageSession returns the kept session of h during the grace.
func (c *cache) outageSession(h [sha256.Size]byte) (*sessionEntry, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if !c.disabled || !c.outage.live(time.Now()) {
		return nil, false
	}
	e, ok := c.outage.sessions[h]
	if ok {
		c.stats.outageServed.Add(1)
	}
	return e, ok
}

// errStoreDown is the refusal of what needs the store while it fails and
// the listener is down: 503 with Retry-After, the client may try again.
var errStoreDown = &stackgate.Error{Code: stackgate.EUNAVAILABLE, Fields: map[string][]string{}, RetryAfter: time.Second}

// unavailable turns a store failure during an outage (the listener down)
// into errStoreDown, keeping the cause for the log; domain errors and
// failures while listening pass unchanged.
func (c *cache) unavailable(err error) error {
	var e *stackgate.Error
	if err == nil || errors.As(err, &e) {
		return err
	}
	c.mu.RLock()
	down := c.disabled
	c.mu.RUnlock()
	if !down {
		return err
	}
	return &stackgate.Error{Code: errStoreDown.Code, Fields: errStoreDown.Fields, RetryAfter: errStoreDown.RetryAfter, Err: err}
}
