package http

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/stackgate/stackgate"
)

// cmaLimit is --cma-rate-limit: Contentstack's CMA rate limit, optionally
// (cma-notes §4.5: "Read (GET) requests: 10 requests per second per
// organization. Write (POST/PUT/DELETE) requests: 10 requests per second per
// organization", 429 past it, and X-RateLimit-Limit / X-RateLimit-Remaining
// on responses), so that a team can test its client's back-off before it
// meets the real limit. Counted per stack (stackgate has no organizations),
// reads and writes in buckets of their own; a bucket holds one second's
// worth and refills continuously.
type cmaLimit struct {
	perSecond int
	buckets   *limiter
	now       func() time.Time // time.Now; tests step it
}

// SetCMARateLimit limits each stack to perSecond CMA reads and perSecond
// CMA writes a second (0: off, the default). Call before serving.
func (s *Server) SetCMARateLimit(perSecond int) {
	if perSecond <= 0 {
		s.cmaLimit = nil
		return
	}
	s.cmaLimit = &cmaLimit{perSecond: perSecond, buckets: newLimiter(float64(perSecond), float64(perSecond)), now: time.Now}
}

// take counts one CMA request of the stack, writes the X-RateLimit headers
// and refuses it (429, Retry-After) past the limit. GET and HEAD are reads;
// every other method is a write.
func (l *cmaLimit) take(w http.ResponseWriter, r *http.Request, stackUID string) error {
	key := stackUID + " write"
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		key = stackUID + " read"
	}
	now := l.now()
	ok, tokens := l.buckets.allowLeft(key, now)
	setRateHeaders(w.Header(), l.perSecond, int(math.Floor(tokens)))
	if !ok {
		return &stackgate.Error{Code: stackgate.ERATELIMIT, Fields: map[string][]string{},
			RetryAfter: l.buckets.retryAfter(key, now)}
	}
	return nil
}

// setRateHeaders writes Contentstack's X-RateLimit-Limit and
// X-RateLimit-Remaining (--cma-rate-limit and per-token rate limits).
func setRateHeaders(h http.Header, limit, remaining int) {
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
}
