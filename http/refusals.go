package http

import (
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// Gate refusals under a flood (issue 11):
//
//   - --gate-refusal-rate R limits how many refusals each client (ClientAddr)
//     may earn from the gate: a bucket of R a second, bursts of max(10, 2R).
//     A client whose bucket is empty gets 429 before its request is decided;
//     allowed requests never take from it. Off (nil) by default.
//   - Refusal log lines (the gate's and the access log's 401, 403, 412 and
//     429) go through a logSampler: at most 50 a second, bursts of 100; the
//     next line written says how many were left out. Metrics count every
//     request regardless.

// maxLimiterClients bounds how many clients a limiter tracks at once.
const maxLimiterClients = 1 << 16

// SetGateRefusalRate sets the per-client limit on gate refusals, per second;
// 0 turns it off. Call before serving.
func (s *Server) SetGateRefusalRate(perSecond float64) {
	if perSecond <= 0 {
		s.refusalLimiter = nil
		return
	}
	s.refusalLimiter = newLimiter(perSecond, max(10, 2*perSecond))
}

// gateAuthLimited is handleGateAuth behind the refusal limit.
// STACKGATE-HOOK(issue 11): the gate's refusal path calls this instead of
// handleGateAuth; a rewritten gate keeps the two calls (peek before
// deciding, take after a refusal).
func (s *Server) gateAuthLimited(w http.ResponseWriter, r *http.Request) error {
	l := s.refusalLimiter
	if l == nil {
		return s.handleGateAuth(w, r)
	}
	client := s.clientAddr(r)
	now := time.Now()
	if !l.peek(client, now) {
		s.metrics.gateDecision("none", http.StatusTooManyRequests)
		return errRateLimited(l, client, now)
	}
	err := s.handleGateAuth(w, r)
	if err != nil && statusOf(err) < 500 {
		l.take(client, now)
	}
	return err
}

// peek reports whether key has a token at now, without taking it.
func (l *limiter) peek(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		return true
	}
	return min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate) >= 1
}

// take takes a token from key at now (down to zero). Past maxLimiterClients
// keys it first forgets idle ones; if none is idle the key is not tracked.
func (l *limiter) take(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxLimiterClients {
			for k, b := range l.buckets {
				if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
					delete(l.buckets, k)
				}
			}
			if len(l.buckets) >= maxLimiterClients {
				return
			}
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = max(0, min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)-1)
	b.last = now
}

// logSampler lets through at most rate lines a second (bursts of burst) and
// counts the others.
type logSampler struct {
	rate, burst float64

	mu         sync.Mutex
	tokens     float64
	last       time.Time
	suppressed int64
}

func newLogSampler(rate, burst float64) *logSampler {
	return &logSampler{rate: rate, burst: burst, tokens: burst}
}

// allow says whether to write a line at now and, if so, how many were left
// out since the last one written.
func (l *logSampler) allow(now time.Time) (bool, int64) {
	if l == nil {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tokens = min(l.burst, l.tokens+now.Sub(l.last).Seconds()*l.rate)
	l.last = now
	if l.tokens < 1 {
		l.suppressed++
		return false, 0
	}
	l.tokens--
	n := l.suppressed
	l.suppressed = 0
	return true, n
}

// isRefusal says whether a status is a refusal whose log line is sampled.
func isRefusal(status int) bool {
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusPreconditionFailed, http.StatusTooManyRequests:
		return true
	}
	return false
}

// sampledAttrs appends the count of lines left out, when there were some.
func sampledAttrs(attrs []slog.Attr, suppressed int64) []slog.Attr {
	if suppressed > 0 {
		attrs = append(attrs, slog.Int64("refusals_not_logged", suppressed))
	}
	return attrs
}
