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
		return false
	}
	b.tokens--
	return true
}

// withRateLimit refuses a client over its rate with 429 and Retry-After.
func withRateLimit(l *limiter, next handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if !l.allow(info(r.Context()).client, time.Now()) {
			return &stackgate.Error{Code: stackgate.ERATELIMIT, Message: "Too many requests", Fields: map[string][]string{}}
		}
		return next(w, r)
	}
}
