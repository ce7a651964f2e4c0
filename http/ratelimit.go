package http

import (
	"net/http"
	"sync"
	"time"

	"github.com/stackgate/stackgate"
)

// limiter is a token bucket per client address. It guards login, where the
// per-account lock (service.Login) cannot stop one client from trying many
// accounts.
type limiter struct {
	rate  float64 // tokens per second
	burst float64

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(rate, burst float64) *limiter {
	return &limiter{rate: rate, burst: burst, buckets: map[string]*bucket{}}
}

// allow takes a token for key at now.
func (l *limiter) allow(key string, now time.Time) bool {
	ok, _ := l.allowLeft(key, now)
	return ok
}

// allowLeft takes a token for key at now and returns whether it had one
// and the tokens left.
func (l *limiter) allowLeft(key string, now time.Time) (bool, float64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute { // forget idle clients
		for k, b := range l.buckets {
			if now.Sub(b.last) > time.Minute {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens < 1 {
		return false, b.tokens
	}
	b.tokens--
	return true, b.tokens
}

// retryAfter returns how long key waits at now for its next token (at
// least a second, the unit of Retry-After).
func (l *limiter) retryAfter(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	tokens := l.burst
	if b, ok := l.buckets[key]; ok {
		tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	}
	return max(time.Second, time.Duration((1-tokens)/l.rate*float64(time.Second)))
}

// errRateLimited is the refusal of a client over a limiter's rate, told
// when to come back.
func errRateLimited(l *limiter, key string, now time.Time) error {
	return &stackgate.Error{Code: stackgate.ERATELIMIT, Fields: map[string][]string{}, RetryAfter: l.retryAfter(key, now)}
}

// withRateLimit refuses a client over its rate with 429 and Retry-After.
func withRateLimit(l *limiter, next handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		client, now := info(r.Context()).client, time.Now()
		if !l.allow(client, now) {
			return errRateLimited(l, client, now)
		}
		return next(w, r)
	}
}
