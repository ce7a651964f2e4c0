package http

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/stackgate/stackgate"
)

// reqInfo travels with a request so the access log can say who it was and
// why it was refused, without handlers logging anything themselves.
type reqInfo struct {
	id        string
	principal string // "user:blt…", "management_token:blt…"; never a secret
	detail    string // why a request was refused (403 reason, internal cause)
	client    string // the client's address (ClientAddr)
}

type ctxKey int

const (
	infoKey ctxKey = iota
	principalKey
)

func info(ctx context.Context) *reqInfo {
	if i, ok := ctx.Value(infoKey).(*reqInfo); ok {
		return i
	}
	return &reqInfo{}
}

func requestID(ctx context.Context) string { return info(ctx).id }

// Request ids are a random per-process prefix and a counter: unique across
// nodes and restarts in practice, and far cheaper than reading the CSPRNG on
// every request.
var (
	idPrefix = func() string {
		var b [4]byte
		_, _ = rand.Read(b[:])
		return hex.EncodeToString(b[:]) + "-"
	}()
	idCounter atomic.Uint64
)

// withRequestID gives each request an id (echoed in X-Request-Id): the
// incoming X-Request-Id when it is well formed (gatelog.go), else its own.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var id string
		if v := r.Header["X-Request-Id"]; len(v) == 1 && wellFormedRequestID(v[0]) {
			id = v[0] // the proxy's id, so that its lines and ours join
		} else {
			var buf [32]byte
			b := append(buf[:0], idPrefix...)
			id = string(strconv.AppendUint(b, idCounter.Add(1), 36))
		}
		i := &reqInfo{id: id}
		w.Header()["X-Request-Id"] = []string{i.id}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), infoKey, i)))
	})
}

// withRecover turns a panic into a 500 in the spec's shape; the stack goes
// to the log, never to the client.
func withRecover(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				if v := recover(); v != nil {
					if v == http.ErrAbortHandler {
						panic(v)
					}
					log.Error("panic", "request_id", requestID(r.Context()), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
					Error(w, r, nil, &stackgate.Error{Code: stackgate.EINTERNAL})
				}
			}()
			next.ServeHTTP(w, r)
		})
	}
}

// statusWriter records the status for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// withAccessLog writes one line per request: id, method, route pattern (not
// the raw path or query, which may carry tokens), status, duration, principal.
func withAccessLog(log *slog.Logger, metrics *metrics, refusals *logSampler) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			sw := &statusWriter{ResponseWriter: w}
			next.ServeHTTP(sw, r)
			if sw.status == 0 {
				sw.status = http.StatusOK
			}
			d := time.Since(start)
			pattern := r.Pattern
			if pattern == "" {
				pattern = "unmatched"
			}
			metrics.observe(pattern, sw.status, d)
			if !log.Enabled(r.Context(), slog.LevelInfo) {
				return
			}
			var suppressed int64
			if isRefusal(sw.status) {
				var ok bool
				if ok, suppressed = refusals.allow(time.Now()); !ok {
					return
				}
			}
			i := info(r.Context())
			attrs := []slog.Attr{slog.String("request_id", i.id), slog.String("method", r.Method),
				slog.String("route", pattern), slog.Int("status", sw.status), slog.Duration("duration", d)}
			if i.client != "" {
				attrs = append(attrs, slog.String("client", i.client))
			}
			if i.principal != "" {
				attrs = append(attrs, slog.String("principal", i.principal))
			}
			if i.detail != "" {
				attrs = append(attrs, slog.String("reason", i.detail))
			}
			log.LogAttrs(r.Context(), slog.LevelInfo, "request", sampledAttrs(attrs, suppressed)...)
		})
	}
}

// withPathCheck refuses paths that a ServeMux would otherwise clean and
// redirect: dot segments and encoded slashes never reach a handler.
func withPathCheck(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		raw := strings.ToLower(r.URL.RawPath)
		if strings.Contains(raw, "%2f") || strings.Contains(raw, "%5c") || strings.Contains(p, "//") ||
			strings.Contains(p, "/./") || strings.Contains(p, "/../") || strings.HasSuffix(p, "/..") || strings.HasSuffix(p, "/.") ||
			!strings.HasPrefix(p, "/") {
			Error(w, r, nil, &stackgate.Error{Code: stackgate.EBADREQUEST, Message: "The request path is not valid.", Fields: map[string][]string{}})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// withBodyLimit caps request bodies; decode turns the overflow into 413.
func withBodyLimit(limit int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > limit {
				Error(w, r, nil, &stackgate.Error{Code: stackgate.ETOOLARGE})
				return
			}
			if r.Body != nil && r.Body != http.NoBody {
				r.Body = http.MaxBytesReader(w, r.Body, limit)
			}
			next.ServeHTTP(w, r)
		})
	}
}
