package access

import (
	"context"
	"crypto/sha256"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/authz"
)

// The cache keeps, per stack, a snapshot of everything needed to decide a
// request: the stack, its environments, branches and aliases, each member
// compiled against their roles, and every token by keyed hash, compiled
// against its scope. A stack is small (at most 100 delivery and 10
// management tokens by default), so a snapshot is loaded whole on the first
// request that names the stack and dropped whole by any write to it.
//
// Correctness under concurrency: a snapshot that was being loaded while a
// write committed must not be installed, or it would resurrect what the write
// revoked. Every drop bumps epoch; a loader remembers the epoch it started at
// and installs its snapshot only if the epoch has not moved.
//
// With several nodes (postgres), writes made elsewhere arrive through the
// store's ChangeListener; while that connection is down the cache is
// disabled (every request loads from the store) and it starts empty again
// once the listener is back, so a missed notification can never keep an
// allow alive. The store outage policy (outage.go) is the one exception:
// for Config.OutageGrace after the listener is lost, what the cache held
// then keeps deciding.
type cache struct {
	chk *Checker

	mu        sync.RWMutex
	epoch     uint64
	disabled  bool
	stacks    map[string]*snapshot // by api_key
	apiKeyOf  map[string]string    // stack uid → api_key
	sessions  map[[sha256.Size]byte]*sessionEntry
	byUser    map[string][][sha256.Size]byte
	sessEpoch uint64
	oauth     oauthCache // OAuth access tokens (bearer.go)

	// unknownKeys remembers api_keys the store did not know (by hash, so a
	// long header costs 32 bytes), at most maxUnknownKeys of them. Any change
	// to a stack this node has not cached may be a stack just created, here
	// or on another node: it forgets them all and bumps unknownEpoch, so a
	// lookup that raced with it is not remembered.
	unknownKeys  map[[sha256.Size]byte]struct{}
	unknownEpoch uint64

	// missLookups bounds how often the store is asked about credentials
	// missing from a snapshot (Checker.refresh), over all stacks: a flood of
	// random tokens, which never repeat, costs at most missLookupRate store
	// reads a second, and is otherwise answered from memory.
	missLookups tokenBucket

	// At most max snapshots are kept; beyond it the not recently used are
	// evicted (a CLOCK sweep: a hit sets the snapshot's used bit, the sweep
	// clears bits and evicts snapshots whose bit was already clear).
	max       int
	evictions atomic.Uint64

	// loads coalesces concurrent loads of one stack (by api_key and epoch,
	// so a request that arrives after a write never shares a load begun
	// before it).
	loads singleflight.Group

	outage outage     // what the cache held when the listener was lost (outage.go)
	stats  cacheStats // hits, misses, loads (stats.go)
}

const (
	maxUnknownKeys = 1 << 16
	// missLookupRate (per second, bursts of as many) is the store lookups of
	// credentials missing from snapshots. A credential created on another
	// node a moment ago is found by such a lookup while the budget lasts,
	// and in any case once that node's change notification arrives (the
	// propagation bound: milliseconds, at worst about 2 s).
	missLookupRate = 20
)

// tokenBucket is a small rate limiter.
type tokenBucket struct {
	mu     sync.Mutex
	tokens float64
	last   time.Time
}

func (b *tokenBucket) take(now time.Time, rate, burst float64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.last.IsZero() {
		b.tokens = burst
	} else {
		b.tokens = min(burst, b.tokens+now.Sub(b.last).Seconds()*rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// mayLookUpMiss says whether the store may be asked about one more missing
// credential now.
func (c *cache) mayLookUpMiss() bool {
	return c.missLookups.take(time.Now(), missLookupRate, missLookupRate)
}

// snapshot is immutable once installed.
type snapshot struct {
	stack    *stackgate.Stack
	env      authz.EnvIndex
	branches map[string]bool
	aliases  map[string]string // alias uid → branch uid
	members  map[string]*Principal
	mgmt     map[[sha256.Size]byte]*mgmtEntry
	delivery map[[sha256.Size]byte]*Principal
	preview  map[[sha256.Size]byte]*Principal

	// misses remembers credentials the store did not know either, while
	// this snapshot is current (see Checker.refresh).
	missMu sync.Mutex
	misses map[[sha256.Size]byte]struct{}

	used atomic.Bool // for eviction: read since the last sweep
}

// maxMisses bounds what a snapshot remembers of unknown credentials; past
// it, it forgets them all and starts again.
const maxMisses = 4096

func (s *snapshot) knownMiss(h [sha256.Size]byte) bool {
	s.missMu.Lock()
	_, ok := s.misses[h]
	s.missMu.Unlock()
	return ok
}

func (s *snapshot) rememberMiss(h [sha256.Size]byte) {
	s.missMu.Lock()
	if s.misses == nil || len(s.misses) >= maxMisses {
		s.misses = make(map[[sha256.Size]byte]struct{})
	}
	s.misses[h] = struct{}{}
	s.missMu.Unlock()
}

// errUnknownStack is the store's answer for an api_key remembered as unknown.
var errUnknownStack = stackgate.ErrNotFound("stack")

type mgmtEntry struct {
	token     *stackgate.ManagementToken
	principal *Principal
	notAfter  time.Time // a rotated value's end of grace; zero for the current value
}

func newCache(chk *Checker) *cache {
	c := &cache{chk: chk, max: chk.cfg.CacheMaxStacks}
	c.clear()
	return c
}

func (c *cache) clear() {
	c.stacks = map[string]*snapshot{}
	c.apiKeyOf = map[string]string{}
	c.sessions = map[[sha256.Size]byte]*sessionEntry{}
	c.byUser = map[string][][sha256.Size]byte{}
	c.unknownKeys = map[[sha256.Size]byte]struct{}{}
}

// apply drops what change touched.
func (c *cache) apply(ch stackgate.Change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.outage.apply(ch)
	if ch.StackUID != "" {
		c.epoch++
		if key, ok := c.apiKeyOf[ch.StackUID]; ok {
			delete(c.stacks, key)
			delete(c.apiKeyOf, ch.StackUID)
		} else {
			// Perhaps a new stack: forget which api_keys were unknown.
			c.unknownEpoch++
			if len(c.unknownKeys) > 0 {
				c.unknownKeys = map[[sha256.Size]byte]struct{}{}
			}
		}
	}
	c.oauth.drop(ch)
	if ch.UserUID != "" {
		c.sessEpoch++
		for _, h := range c.byUser[ch.UserUID] {
			delete(c.sessions, h)
		}
		delete(c.byUser, ch.UserUID)
	}
}

// refreshAfterWrite applies a change this node committed: the store's
// OnCommit hook (registered in New) calls it before the write returns.
// When the stack is cached its snapshot is rebuilt here, by the writer,
// while readers keep the previous one, then swapped in; the epoch is moved
// first, so no load begun before the write can install itself. If anything
// else moved the epoch meanwhile, or the rebuild fails, the snapshot is
// dropped instead, as apply does.
func (c *cache) refreshAfterWrite(ch stackgate.Change) {
	if ch.UserUID != "" || ch.AppUID != "" {
		c.apply(stackgate.Change{UserUID: ch.UserUID, AppUID: ch.AppUID})
	}
	if ch.StackUID == "" {
		return
	}
	c.mu.Lock()
	c.outage.apply(ch) // this node wrote: the store is up for it
	key, cached := c.apiKeyOf[ch.StackUID]
	if !cached || c.disabled {
		c.mu.Unlock()
		c.apply(stackgate.Change{StackUID: ch.StackUID})
		return
	}
	c.epoch++
	epoch := c.epoch
	c.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	snap, err := c.load(ctx, key)
	cancel()

	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil && c.epoch == epoch && !c.disabled && snap.stack.UID == ch.StackUID {
		snap.used.Store(true)
		c.stacks[key] = snap
		return
	}
	c.epoch++
	if k, ok := c.apiKeyOf[ch.StackUID]; ok {
		delete(c.stacks, k)
		delete(c.apiKeyOf, ch.StackUID)
	}
}

// reset forgets everything; with listening false it also stops caching until
// reset(true).
func (c *cache) reset(listening bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	c.sessEpoch++
	c.unknownEpoch++
	if listening {
		c.outage = outage{}
	} else if !c.disabled {
		c.outage.begin(c, c.chk.cfg.OutageGrace) // keeps what is cached now
	}
	c.disabled = !listening
	c.clear()
	c.oauth.reset(listening)
}

// snapshot returns the stack's snapshot, loading it on a miss.
func (c *cache) snapshot(ctx context.Context, apiKey string) (*snapshot, error) {
	c.mu.RLock()
	snap, ok := c.stacks[apiKey]
	epoch, uepoch, anyUnknown := c.epoch, c.unknownEpoch, len(c.unknownKeys) > 0
	c.mu.RUnlock()
	if ok {
		if !snap.used.Load() {
			snap.used.Store(true)
		}
		c.stats.hits.Add(1)
		return snap, nil
	}
	c.stats.misses.Add(1)
	if snap, ok := c.outageSnapshot(apiKey); ok {
		return snap, nil
	}
	kh := sha256.Sum256([]byte(apiKey))
	if anyUnknown {
		c.mu.RLock()
		_, unknown := c.unknownKeys[kh]
		c.mu.RUnlock()
		if unknown {
			return nil, errUnknownStack
		}
	}
	snap, err := c.loadShared(ctx, apiKey, epoch)
	err = c.unavailable(err)
	if stackgate.IsCode(err, stackgate.ENOTFOUND) {
		c.mu.Lock()
		if c.unknownEpoch == uepoch && !c.disabled {
			if len(c.unknownKeys) >= maxUnknownKeys {
				c.unknownKeys = map[[sha256.Size]byte]struct{}{}
			}
			c.unknownKeys[kh] = struct{}{}
		}
		c.mu.Unlock()
	}
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.epoch == epoch && !c.disabled {
		if _, ok := c.stacks[apiKey]; !ok && len(c.stacks) >= c.max {
			c.evict()
		}
		snap.used.Store(true)
		c.stacks[apiKey] = snap
		c.apiKeyOf[snap.stack.UID] = apiKey
	}
	c.mu.Unlock()
	return snap, nil
}

// loadShared loads the stack, sharing the load with concurrent callers of
// the same epoch.
func (c *cache) loadShared(ctx context.Context, apiKey string, epoch uint64) (*snapshot, error) {
	// The load runs on its own context: it is shared, so one caller going
	// away must not fail it for the others (nor, with pgx, cost a pooled
	// connection).
	ch := c.loads.DoChan(apiKey+"\x00"+strconv.FormatUint(epoch, 36), func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		return c.load(ctx, apiKey)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*snapshot), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// evict makes room for one snapshot, evicting at least one and up to 1/64
// of the cache (so sweeps are rare): snapshots not used since the last sweep
// first. Called with mu held.
func (c *cache) evict() {
	want := max(1, len(c.stacks)/64)
	for pass := 0; pass < 2 && want > 0; pass++ {
		for key, s := range c.stacks {
			if want == 0 {
				break
			}
			if s.used.Load() {
				s.used.Store(false) // a second chance
				continue
			}
			delete(c.stacks, key)
			delete(c.apiKeyOf, s.stack.UID)
			c.evictions.Add(1)
			want--
		}
	}
}

// forgetSessionUses drops the last-use records of the sessions neither the
// cache nor its outage copy holds, once their last use is flushed: a node
// sees a new session at every login, and would otherwise keep a record of
// each for the life of the process. Token records stay (their rate-limit
// buckets live there too). Lock order: c.mu, then the usages' own.
func (c *cache) forgetSessionUses(u *usages) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	held := make(map[*usage]struct{}, len(c.sessions)+len(c.outage.sessions))
	for _, e := range c.sessions {
		held[e.use] = struct{}{}
	}
	for _, e := range c.outage.sessions {
		held[e.use] = struct{}{}
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	n := 0
	for k, x := range u.m {
		if _, ok := held[x]; ok || k.kind != stackgate.LastUseSession || x.last.Load() > x.flushed.Load() {
			continue
		}
		delete(u.m, k)
		n++
	}
	return n
}

// CacheStats are the cache's figures, for metrics.
type CacheStats struct {
	Stacks    int    // snapshots cached
	LastUses  int    // last-use records held (tokens' and cached sessions')
	Evictions uint64 // snapshots evicted to stay within CacheMaxStacks

	Hits, Misses uint64 // snapshot lookups answered from the cache, or not
	Loads        uint64 // snapshots read from the store
	LoadErrors   uint64 // of which failed
	OutageServed uint64 // snapshots and sessions served from the outage copy (outage.go)
	// LoadSeconds is the load duration histogram: cumulative counts per
	// upper bound of LoadBuckets (seconds), their sum and count.
	LoadBuckets []float64
	LoadCounts  []uint64
	LoadSum     float64
}

// CacheStats returns the cache's current figures.
func (a *Checker) CacheStats() CacheStats {
	a.cache.mu.RLock()
	defer a.cache.mu.RUnlock()
	st := a.cache.stats.read()
	st.Stacks, st.Evictions = len(a.cache.stacks), a.cache.evictions.Load()
	a.uses.mu.Lock()
	st.LastUses = len(a.uses.m)
	a.uses.mu.Unlock()
	return st
}

// sessionEntry is a cached session: its user, and where its authtoken's
// uses are recorded (lastuse.go).
type sessionEntry struct {
	userUID string
	use     *usage
}

// cachedSession returns the cached session of an authtoken hash, if any.
func (c *cache) cachedSession(h [sha256.Size]byte) (*sessionEntry, bool) {
	c.mu.RLock()
	e, ok := c.sessions[h]
	c.mu.RUnlock()
	return e, ok
}

// session returns the cached session of an authtoken hash, loading it on a
// miss.
func (c *cache) session(ctx context.Context, h [sha256.Size]byte) (*sessionEntry, error) {
	c.mu.RLock()
	e, ok := c.sessions[h]
	epoch := c.sessEpoch
	c.mu.RUnlock()
	if ok {
		return e, nil
	}
	if e, ok := c.outageSession(h); ok {
		return e, nil
	}
	// A copy, so that h itself stays on the stack on the hit path.
	sess, err := c.chk.store.FindSession(ctx, append([]byte(nil), h[:]...))
	if err != nil {
		return nil, c.unavailable(err)
	}
	// The usage is taken under c.mu, the lock forgetSessionUses holds while
	// it drops the usages no cached session holds: one it drops cannot be
	// the one cached here.
	c.mu.Lock()
	e = &sessionEntry{userUID: sess.UserUID, use: c.chk.uses.get(stackgate.LastUseSession, "", sess.UID)}
	if c.sessEpoch == epoch && !c.disabled {
		c.sessions[h] = e
		c.byUser[sess.UserUID] = append(c.byUser[sess.UserUID], h)
	}
	c.mu.Unlock()
	return e, nil
}

func (c *cache) load(ctx context.Context, apiKey string) (*snapshot, error) {
	// One read transaction: a write committed meanwhile is seen whole or
	// not at all (and then the epoch check discards this snapshot).
	start := time.Now()
	sc, err := c.chk.store.LoadStack(ctx, apiKey)
	c.stats.loaded(time.Since(start), err)
	if err != nil {
		return nil, err
	}
	stack, envs, locales, branches, aliases := sc.Stack, sc.Environments, sc.Locales, sc.Branches, sc.BranchAliases
	roles, members, dts, mts := sc.Roles, sc.Members, sc.DeliveryTokens, sc.ManagementTokens

	snap := &snapshot{
		stack:    stack,
		env:      authz.NewEnvIndex(envs).WithLocales(locales),
		branches: make(map[string]bool, len(branches)),
		aliases:  make(map[string]string, len(aliases)),
		members:  make(map[string]*Principal, len(members)),
		mgmt:     make(map[[sha256.Size]byte]*mgmtEntry, len(mts)),
		delivery: make(map[[sha256.Size]byte]*Principal, len(dts)),
		preview:  make(map[[sha256.Size]byte]*Principal),
	}
	for _, b := range branches {
		snap.branches[b.UID] = true
	}
	for _, a := range aliases {
		snap.aliases[a.UID] = a.TargetBranch
	}
	roleByUID := make(map[string]*stackgate.Role, len(roles))
	for _, r := range roles {
		roleByUID[r.UID] = r
	}
	for _, m := range members {
		held := make([]*stackgate.Role, 0, len(m.RoleUIDs))
		for _, uid := range m.RoleUIDs {
			if r, ok := roleByUID[uid]; ok {
				held = append(held, r)
			}
		}
		owner := m.UserUID == stack.OwnerUID
		snap.members[m.UserUID] = &Principal{Kind: KindUser, Stack: stack, UID: m.UserUID, Owner: owner,
			snap: snap, member: authz.CompileMember(owner, held, snap.env, snap.aliases)}
	}
	for _, t := range mts {
		p := &Principal{Kind: KindManagementToken, Stack: stack, UID: t.UID, Name: t.Name, CreatedBy: t.CreatedBy,
			snap: snap, mgmt: authz.CompileManagementToken(t, snap.aliases),
			use: c.chk.uses.get(stackgate.LastUseManagement, stack.UID, t.UID)}
		p.limits = compileLimits(t.Limits, p.use)
		if at, ok := t.ExpiresAt(); ok {
			p.TokenExpiresHeader = []string{at.Format(time.RFC3339)}
		}
		snap.mgmt[[sha256.Size]byte(t.TokenHash)] = &mgmtEntry{token: t, principal: p}
		if len(t.Previous.Hash) == sha256.Size {
			snap.mgmt[[sha256.Size]byte(t.Previous.Hash)] = &mgmtEntry{token: t, principal: p, notAfter: t.Previous.ExpiresAt}
		}
	}
	for _, t := range dts {
		scope := authz.CompileDeliveryTokenShared(t, &snap.env, snap.aliases)
		expires, _ := t.ExpiresAt() // zero: never
		snap.delivery[[sha256.Size]byte(t.Secret.Hash)] = &Principal{Kind: KindDeliveryToken, Stack: stack,
			UID: t.UID, Name: t.Name, snap: snap, delivery: scope, notAfter: expires,
			use: c.chk.uses.get(stackgate.LastUseDelivery, stack.UID, t.UID)}
		dp := snap.delivery[[sha256.Size]byte(t.Secret.Hash)]
		dp.limits = compileLimits(t.Limits, dp.use)
		addRotated(snap.delivery, snap.delivery[[sha256.Size]byte(t.Secret.Hash)], t.Previous, expires)
		if !t.Preview.IsZero() {
			p := &Principal{Kind: KindPreviewToken, Stack: stack, UID: t.UID, Name: t.Name, snap: snap, delivery: scope, notAfter: expires,
				use: c.chk.uses.get(stackgate.LastUsePreview, stack.UID, t.UID)}
			p.limits = compileLimits(t.Limits, p.use)
			snap.preview[[sha256.Size]byte(t.Preview.Hash)] = p
			addRotated(snap.preview, p, t.PreviewPrev, expires)
		}
	}
	// One X-Stackgate-Stack value for the whole snapshot: every cached
	// token holds only a reference to it.
	stackHeader := []string{stack.APIKey}
	for _, p := range snap.members {
		p.setHeaders(stackHeader)
	}
	for _, e := range snap.mgmt {
		e.principal.setHeaders(stackHeader)
	}
	for _, p := range snap.delivery {
		p.setHeaders(stackHeader)
	}
	for _, p := range snap.preview {
		p.setHeaders(stackHeader)
	}
	return snap, nil
}

func (p *Principal) setHeaders(stackHeader []string) {
	p.StackHeader = stackHeader
	p.PrincipalHeader = nil // Label builds it afresh
	h := p.Label()
	p.PrincipalHeader = []string{h}
	p.UID = h[len(h)-len(p.UID):] // the same uid, without holding a second copy
}

// addRotated indexes a rotated value of the token whose current value is
// p: the same principal, working until its grace ends (or the token
// expires, whichever is first).
func addRotated(m map[[sha256.Size]byte]*Principal, p *Principal, prev stackgate.Rotated, expires time.Time) {
	if len(prev.Hash) != sha256.Size {
		return
	}
	q := *p
	q.notAfter = prev.ExpiresAt
	if !expires.IsZero() && expires.Before(q.notAfter) {
		q.notAfter = expires
	}
	m[[sha256.Size]byte(prev.Hash)] = &q
}
