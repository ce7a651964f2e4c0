// Package http is stackgate's HTTP edge: the Contentstack Content Management
// API for tokens and roles (routes.go lists every route), and the gate that
// reverse proxies consult (gate.go). Handlers are thin: decode, call the
// service, render. Errors are rendered in one place (errors.go).
package http

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"time"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/access"
	"github.com/stackgate/stackgate/authz"
	"github.com/stackgate/stackgate/service"
)

// Server serves the API on one listener.
type Server struct {
	Addr string // set before Open; after Open, the address actually bound

	// TrustedProxies are the proxies whose X-Forwarded-For is believed
	// (ClientAddr); none by default. Set before serving.
	TrustedProxies []netip.Prefix
	// ReadTimeout bounds reading a whole request, body included (a body
	// that stalls is cut off), on every listener; default
	// DefaultReadTimeout. Set before Open.
	ReadTimeout time.Duration
	// TLSConfig, when set, makes every listener (the main one and the proxy
	// listeners) speak TLS with it (listen.go). Set before Open.
	TLSConfig *tls.Config
	// PrivateMetrics hides /metrics on the main listener: it is served on
	// a private one instead (MetricsHandler, --metrics-addr).
	PrivateMetrics bool

	svc     *service.Service // the use cases
	acc     *access.Checker  // authentication and decisions
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
	// cmaLimit is --cma-rate-limit (nil: off; cmaratelimit.go).
	cmaLimit *cmaLimit
	ln       net.Listener
	srv      *http.Server
	ready    readiness // the last /readyz answer (health.go)

	cma       *proxy           // with --cma-upstream: unserved /v3 routes go there
	listeners []*proxyListener // the CDA and preview proxy listeners
}

// proxyListener is a listener of its own that serves one proxy.
type proxyListener struct {
	addr  string
	proxy *proxy
	srv   *http.Server
}

// ProxyCMA makes the main listener forward every /v3 route it does not
// serve itself to cfg's upstream, decided for the request's authtoken or
// management token. Call before Open.
func (s *Server) ProxyCMA(cfg ProxyConfig) { s.cma = s.newProxy(authz.CMA, cfg) }

// AddProxyListener adds a listener on addr that decides every request for
// api (CDA: delivery tokens; Preview: preview tokens) and forwards the
// allowed ones to cfg's upstream. Call before Open.
func (s *Server) AddProxyListener(api authz.API, addr string, cfg ProxyConfig) {
	s.listeners = append(s.listeners, &proxyListener{addr: addr, proxy: s.newProxy(api, cfg)})
}

// ProxyAddr returns the address a proxy listener of api bound, after Open.
func (s *Server) ProxyAddr(api authz.API) string {
	for _, l := range s.listeners {
		if l.proxy.api == api {
			return l.addr
		}
	}
	return ""
}

// NewServer builds the server and its routes. It panics if the route table
// is inconsistent (a route without an authorization entry), so a bad table
// never starts.
func NewServer(svc *service.Service, acc *access.Checker, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{svc: svc, acc: acc, log: log, metrics: newMetrics(), loginLimiter: newLimiter(5, 20),
		refusalLog: newLogSampler(50, 100)}
	s.metrics.registry.MustRegister(noticeCollectors(svc)...)
	s.metrics.registerCache(acc)
	s.metrics.registerOps(svc, acc)
	mux := s.buildMux()
	// Order matters and reads top-down: id → client address → recover →
	// access log → path check → routing (body limit, credential and
	// authorization are per route, in handle: a proxied route streams its
	// body to the upstream).
	s.handler = withRequestID(withClientAddr(s.clientAddr)(withRecover(log)(withAccessLog(log, s.metrics, s.refusalLog)(withPathCheck(mux)))))
	return s
}

// ServeHTTP is the handler Open installs, and the one every test and
// benchmark drives. /gate/auth and /gate/forward-auth, asked once for every
// request a proxy forwards, take a short path past the general middleware:
// their own panic recovery and metrics, no request id, and a log line for
// refusals only (allowed requests are counted in metrics; the proxy logs
// what it lets through). Everything else goes through the full chain.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p := r.URL.Path; p == gateAuthPath || p == gateForwardAuthPath {
		s.serveGate(w, r, p)
		return
	}
	s.handler.ServeHTTP(w, r)
}

// serveGate serves a gate endpoint on the fast path.
func (s *Server) serveGate(w http.ResponseWriter, r *http.Request, route string) {
	start := time.Now()
	status := http.StatusOK
	defer s.recoverFast(w, r, route, start, &status)
	err := s.gateAuthLimited(w, r) // STACKGATE-HOOK(issue 11): --gate-refusal-rate

	if err == nil {
		return
	}
	status = statusOf(err)
	Error(w, r, s.log, err)
	s.logRefusal(r, route, status, err, start)
}

// recoverFast is the fast paths' panic recovery and metrics, deferred.
func (s *Server) recoverFast(w http.ResponseWriter, r *http.Request, route string, start time.Time, status *int) {
	if v := recover(); v != nil {
		if v == http.ErrAbortHandler {
			panic(v)
		}
		s.log.Error("panic", "route", route, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		*status = http.StatusInternalServerError
		Error(w, r, nil, &stackgate.Error{Code: stackgate.EINTERNAL})
	}
	s.metrics.observe(route, *status, time.Since(start))
}

// logRefusal logs a refused gate or proxy request: method, route, status,
// duration, client address, the original method and path, and the
// refusal's private reason — never a credential or the query. Under a flood the lines are sampled
// (refusals.go); metrics count every refusal.
func (s *Server) logRefusal(r *http.Request, route string, status int, err error, start time.Time) {
	if !s.log.Enabled(r.Context(), slog.LevelInfo) {
		return
	}
	ok, suppressed := s.refusalLog.allow(time.Now())
	if !ok {
		return
	}
	method, path := originalRequest(r) // gatelog.go: never the query
	attrs := []slog.Attr{slog.String("method", r.Method), slog.String("route", route),
		slog.Int("status", status), slog.Duration("duration", time.Since(start)), slog.String("client", s.clientAddr(r)),
		slog.String("original_method", method), slog.String("original_path", path)}
	attrs = sampledAttrs(attrs, suppressed)
	var e *stackgate.Error
	if errors.As(err, &e) && e.Err != nil {
		attrs = append(attrs, slog.String("reason", e.Err.Error()))
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "gate refused", attrs...)
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
	ln, err := s.listen(s.Addr)
	if err != nil {
		return err
	}
	s.ln = ln
	s.Addr = ln.Addr().String()
	s.srv = s.httpServer(s)
	var opened []net.Listener
	for _, l := range s.listeners {
		pln, err := s.listen(l.addr)
		if err != nil {
			ln.Close()
			for _, o := range opened {
				o.Close()
			}
			return err
		}
		opened = append(opened, pln)
		l.addr = pln.Addr().String()
		l.srv = s.httpServer(l.proxy)
	}
	serve := func(srv *http.Server, ln net.Listener) {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("serve", "error", err)
		}
	}
	go serve(s.srv, ln)
	for i, l := range s.listeners {
		go serve(l.srv, opened[i])
	}
	return nil
}

// httpServer is the net/http server of every listener.
func (s *Server) httpServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler: h,
		// A request must arrive whole, body included, within ReadTimeout (a
		// stalled body is cut off and its connection closed); headers within
		// 10 s; an idle keep-alive connection is closed after 120 s.
		ReadTimeout:       s.readTimeout(),
		ReadHeaderTimeout: ReadHeaderTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// Close stops accepting, lets in-flight requests finish (up to 10 s), then
// returns.
func (s *Server) Close() error {
	if s.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	for _, l := range s.listeners {
		if l.srv != nil {
			err = errors.Join(err, l.srv.Shutdown(ctx))
		}
	}
	return err
}
