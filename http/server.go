// Package http is stackgate's HTTP edge: the Contentstack Content Management
// API for tokens and roles (routes.go lists every route), and the gate that
// reverse proxies consult (gate.go). Handlers are thin: decode, call the
// service, render. Errors are rendered in one place (errors.go).
package http

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"time"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/service"
)

// Server serves the API on one listener.
type Server struct {
	Addr string // set before Open; after Open, the address actually bound

	// TrustedProxies are the proxies whose X-Forwarded-For is believed
	// (ClientAddr); none by default. Set before serving.
	TrustedProxies []netip.Prefix
	// ReadTimeout bounds reading a whole request, body included (a body
	// that stalls is cut off); default DefaultReadTimeout. Set before Open.
	ReadTimeout time.Duration

	svc     *service.Service
	log     *slog.Logger
	metrics *metrics
	handler http.Handler

	// loginLimiter allows each client address 5 logins a second, bursts of
	// 20: plenty for people and scripts, too few to stuff credentials.
	loginLimiter *limiter
	// refusalLimiter limits gate refusals per client (nil: off);
	// refusalLog samples refusal log lines (refusals.go).
	refusalLimiter *limiter
	refusalLog     *logSampler
	ln             net.Listener
	srv            *http.Server
}

// NewServer builds the server and its routes. It panics if the route table
// is inconsistent (a route without an authorization entry), so a bad table
// never starts.
func NewServer(svc *service.Service, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{svc: svc, log: log, metrics: newMetrics(), loginLimiter: newLimiter(5, 20),
		refusalLog: newLogSampler(50, 100)}
	s.metrics.registerCache(svc)
	mux := s.buildMux()
	// Order matters and reads top-down: id → recover → access log → path
	// check → body limit → routing (credential and authorization are per
	// route, in handle).
	s.handler = withRequestID(withClientAddr(s.clientAddr)(withRecover(log)(withAccessLog(log, s.metrics, s.refusalLog)(withPathCheck(withBodyLimit(MaxBodyBytes)(mux))))))
	return s
}

// ServeHTTP makes Server an http.Handler (tests drive it with httptest).
// /gate/auth, asked once for every request a proxy forwards, takes a short
// path past the general middleware: its own panic recovery and metrics, no
// request id, and a log line for refusals only (the proxy logs what it lets
// through). Everything else goes through the full chain.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == gateAuthPath {
		s.serveGateAuth(w, r)
		return
	}
	s.handler.ServeHTTP(w, r)
}

const gateAuthPath = "/gate/auth"

func (s *Server) serveGateAuth(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	status := http.StatusOK
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic", "route", gateAuthPath, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			status = http.StatusInternalServerError
			Error(w, r, nil, &stackgate.Error{Code: stackgate.EINTERNAL})
		}
		s.metrics.observe(gateAuthPath, status, time.Since(start))
	}()
	err := s.gateAuthLimited(w, r)
	if err == nil {
		return
	}
	status = statusOf(err)
	Error(w, r, s.log, err)
	if s.log.Enabled(r.Context(), slog.LevelInfo) {
		ok, suppressed := s.refusalLog.allow(time.Now())
		if !ok {
			return
		}
		attrs := []slog.Attr{slog.String("method", r.Method), slog.String("route", gateAuthPath),
			slog.Int("status", status), slog.Duration("duration", time.Since(start)), slog.String("client", s.clientAddr(r))}
		attrs = sampledAttrs(attrs, suppressed)
		var e *stackgate.Error
		if errors.As(err, &e) && e.Err != nil {
			attrs = append(attrs, slog.String("reason", e.Err.Error()))
		}
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "gate refused", attrs...)
	}
}

// Connection limits (README "Configuration").
const (
	DefaultReadTimeout = 30 * time.Second
	ReadHeaderTimeout  = 10 * time.Second
	IdleTimeout        = 120 * time.Second
)

func (s *Server) readTimeout() time.Duration {
	if s.ReadTimeout > 0 {
		return s.ReadTimeout
	}
	return DefaultReadTimeout
}

// Open listens on Addr and serves in the background; a bind error is
// returned here, synchronously.
func (s *Server) Open() error {
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return err
	}
	s.ln = ln
	s.Addr = ln.Addr().String()
	s.srv = &http.Server{
		Handler: s.handler,
		// A request must arrive whole, body included, within ReadTimeout (a
		// stalled body is cut off and its connection closed); headers within
		// 10 s; an idle keep-alive connection is closed after 120 s.
		ReadTimeout:       s.readTimeout(),
		ReadHeaderTimeout: ReadHeaderTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("serve", "error", err)
		}
	}()
	return nil
}

// Close stops accepting, lets in-flight requests finish (up to 10 s), then
// returns.
func (s *Server) Close() error {
	if s.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}
