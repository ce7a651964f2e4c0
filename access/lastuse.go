package access

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/stackgate/stackgate"
)

// usage is one token value's last use as this node saw it: recorded on the
// hot path with an atomic store (no allocation, no lock), taken in batches
// by LastUses for the store (the service flushes them; access writes
// nothing). A token's usage outlives its snapshots: a reload must not lose
// a use not flushed yet.
type usage struct {
	key     stackgate.LastUse // kind, stack, token; At unused
	last    atomic.Int64      // unix ms of the last use seen
	flushed atomic.Int64      // what the last successful flush wrote
	// buckets are the token value's rate limit buckets, reads and writes
	// (limits.go): kept here because they too must outlive snapshots.
	buckets [2]tokenBucket
}

// usages holds every usage by (kind, token uid).
type usages struct {
	mu    sync.Mutex
	m     map[usageKey]*usage
	swept time.Time // the last forgetSessionUses (MarkFlushed)
}

type usageKey struct {
	kind stackgate.LastUseKind
	uid  string
}

// get returns the usage of the token value, making it on first sight (at
// snapshot load, never on the hot path).
func (u *usages) get(kind stackgate.LastUseKind, stackUID, tokenUID string) *usage {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.m == nil {
		u.m = map[usageKey]*usage{}
	}
	k := usageKey{kind, tokenUID}
	if x, ok := u.m[k]; ok {
		return x
	}
	x := &usage{key: stackgate.LastUse{Kind: kind, StackUID: stackUID, TokenUID: tokenUID}}
	u.m[k] = x
	return x
}

// record notes a use at now; it only moves forward. The load first keeps a
// hot token's cache line shared between cores when the millisecond has not
// moved.
func (x *usage) record(now time.Time) {
	ms := now.UnixMilli()
	if x.last.Load() < ms {
		x.last.Store(ms)
	}
}

// LastUses returns the uses recorded since the last MarkFlushed of each,
// for the service to write (Store.RecordLastUse).
func (c *Checker) LastUses() []stackgate.LastUse {
	c.uses.mu.Lock()
	defer c.uses.mu.Unlock()
	var out []stackgate.LastUse
	for _, x := range c.uses.m {
		if last := x.last.Load(); last > x.flushed.Load() {
			u := x.key
			u.At = time.UnixMilli(last).UTC()
			out = append(out, u)
		}
	}
	return out
}

// MarkFlushed records that uses (from LastUses) are in the store, then,
// at most every sessionUsesSweep, forgets the records of sessions no longer
// cached (forgetSessionUses).
func (c *Checker) MarkFlushed(uses []stackgate.LastUse) {
	c.uses.mu.Lock()
	for _, u := range uses {
		if x, ok := c.uses.m[usageKey{u.Kind, u.TokenUID}]; ok && x.flushed.Load() < u.At.UnixMilli() {
			x.flushed.Store(u.At.UnixMilli())
		}
	}
	sweep := time.Since(c.uses.swept) >= sessionUsesSweep
	if sweep {
		c.uses.swept = time.Now()
	}
	c.uses.mu.Unlock()
	if sweep {
		c.cache.forgetSessionUses(&c.uses)
	}
}

// sessionUsesSweep is how often MarkFlushed looks for session records to
// forget: the sweep holds the cache's write lock for a pass over every
// cached session, so not at every flush. A variable for its test.
var sessionUsesSweep = 5 * time.Minute
