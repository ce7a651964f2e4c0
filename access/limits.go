package access

import (
	"math"
	"net/netip"
	"time"

	"github.com/stackgate/stackgate"
)

// limits are a token's rate limit and allow list (stackgate.TokenLimits),
// compiled once per snapshot: the prefixes are parsed by the store, the
// buckets live in the token value's usage (lastuse.go), so a snapshot
// rebuilt by a write elsewhere in the stack neither refills nor forgets
// them. Counted per node: each node has its own buckets.
type limits struct {
	allow       []netip.Prefix
	read, write int // per second; 0 = none
	buckets     *[2]tokenBucket
}

// compileLimits returns nil for a token limited by nothing, so that a
// decision about it costs one nil check.
func compileLimits(l stackgate.TokenLimits, use *usage) *limits {
	if l.Rate == (stackgate.RateLimit{}) && len(l.IPAllow) == 0 {
		return nil
	}
	return &limits{allow: l.IPAllow, read: l.Rate.Read, write: l.Rate.Write, buckets: &use.buckets}
}

// Admission is what Admit told a limited token's request.
type Admission struct {
	Limit     int // the rate limit that applied; 0: none
	Remaining int // requests left in the current second's worth
}

// ReasonIPAllow is the refusal of a client outside a token's ip_allow.
const ReasonIPAllow = "the client address is not in the token's ip_allow list"

var errClientNotAllowed = &stackgate.Error{Code: stackgate.EFORBIDDEN,
	Fields: map[string][]string{"ip_allow": {stackgate.ProblemClientNotAllowed}}, Err: forbiddenReason(ReasonIPAllow)}

// NeedsClient says whether Admit needs the client address for p (a token
// with an ip_allow list): callers compute it only then.
func (p *Principal) NeedsClient() bool { return p.limits != nil && len(p.limits.allow) > 0 }

// Limited says whether p has limits at all (Admit would do anything).
func (p *Principal) Limited() bool { return p.limits != nil }

// Admit holds a token's request to the token's ip_allow (403) and rate
// limit (429 with Retry-After), per node. write says whether the request
// writes (management tokens count reads and writes apart; a delivery
// token's one rate counts everything). With count false it reports what
// the request would be told without taking from the bucket (/gate/check).
// A member, or a token without limits, is always admitted.
func (a *Checker) Admit(p *Principal, client netip.Addr, write, count bool) (Admission, error) {
	l := p.limits
	if l == nil {
		return Admission{}, nil
	}
	if len(l.allow) > 0 && !allowed(l.allow, client.Unmap()) {
		return Admission{}, errClientNotAllowed
	}
	rate, b := l.read, &l.buckets[0]
	if write && p.Kind == KindManagementToken {
		rate, b = l.write, &l.buckets[1]
	}
	if rate == 0 {
		return Admission{}, nil
	}
	ok, left, wait := b.admit(a.Now(), float64(rate), count)
	ad := Admission{Limit: rate, Remaining: int(math.Floor(left))}
	if !ok {
		return ad, &stackgate.Error{Code: stackgate.ERATELIMIT, Fields: map[string][]string{}, RetryAfter: wait}
	}
	return ad, nil
}

func allowed(allow []netip.Prefix, a netip.Addr) bool {
	for _, p := range allow {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// admit is take with what is left and, when refused, how long until the
// next token (at least a second, the unit of Retry-After). A bucket holds
// one second's worth (rate) and refills continuously. With take false it
// only looks.
func (b *tokenBucket) admit(now time.Time, rate float64, take bool) (bool, float64, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	tokens := rate
	if !b.last.IsZero() {
		tokens = min(rate, b.tokens+max(0, now.Sub(b.last).Seconds())*rate)
	}
	if take {
		b.tokens, b.last = tokens, now
	}
	if tokens < 1 {
		return false, tokens, max(time.Second, time.Duration((1-tokens)/rate*float64(time.Second)))
	}
	if take {
		b.tokens--
	}
	return true, tokens - 1, 0
}
