package http

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/access"
	"github.com/stackgate/stackgate/authz"
)

// stackgate as the enforcing reverse proxy: each allowed request is
// forwarded to an upstream with the gate's X-Stackgate-* headers (the
// client's own copies stripped) and its original bytes; each refused one
// is answered here, in the spec's shape. Unlike a forward-auth gate, a
// proxy listener sees bodies: publish-like requests are decided on every
// environment and locale their body names, then the same bytes go on.
//
//   - the CDA listener (--cda-addr, --cda-upstream) takes delivery tokens;
//   - the preview listener (--preview-addr, --preview-upstream) takes
//     preview tokens;
//   - with --cma-upstream, the main listener forwards every /v3 route it
//     does not serve itself, decided for authtokens and management tokens.

// ProxyConfig is an upstream the gate forwards allowed requests to.
type ProxyConfig struct {
	Upstream *url.URL
	// Timeout bounds the wait for the upstream's response headers (0: 30 s);
	// a body then streams for as long as it takes.
	Timeout time.Duration
}

const defaultUpstreamTimeout = 30 * time.Second

// proxy is one enforcing reverse proxy.
type proxy struct {
	s     *Server
	api   authz.API
	route string // its label in metrics and logs
	rp    *httputil.ReverseProxy
}

func (s *Server) newProxy(api authz.API, cfg ProxyConfig) *proxy {
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = defaultUpstreamTimeout
	}
	upstream := cfg.Upstream
	p := &proxy{s: s, api: api, route: "proxy " + api.String()}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			// Rewrite runs after hop-by-hop headers (RFC 9110 §7.6.1, and
			// those named in Connection, which the parser refused when they
			// matter) and X-Forwarded-* were removed.
			pr.SetURL(upstream)
			pr.SetXForwarded()
			// The gate's headers were set on In; set them again on Out, in
			// case a hop-by-hop removal took them (the parser already
			// refuses a Connection header naming them).
			for _, k := range gateHeaderNames {
				if v, ok := pr.In.Header[k]; ok {
					pr.Out.Header[k] = v
				} else {
					delete(pr.Out.Header, k)
				}
			}
		},
		// Go's default keeps 2 idle connections per host: far too few for a
		// proxy that funnels every client into one upstream.
		Transport: &http.Transport{
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:          1024,
			MaxIdleConnsPerHost:   512,
			IdleConnTimeout:       90 * time.Second,
			ResponseHeaderTimeout: timeout,
			ExpectContinueTimeout: time.Second,
			ForceAttemptHTTP2:     true,
		},
		BufferPool:   copyBuffers,
		ErrorHandler: p.upstreamError,
		ErrorLog:     nil,
	}
	s.metrics.register(p.route)
	return p
}

// ServeHTTP decides a request and forwards it when allowed.
func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	status := http.StatusOK
	defer p.s.recoverFast(sw, r, p.route, start, &status)
	// --gate-refusal-rate applies here as on the gate endpoints.
	l, client, now := p.s.refusalLimiter, "", start
	if l != nil {
		client = p.s.clientAddr(r)
	}
	var err error
	if l != nil && !l.peek(client, now) {
		p.s.metrics.gateDecision("none", http.StatusTooManyRequests)
		err = errRateLimited(l, client, now)
	} else if err = p.serve(sw, r); err != nil && l != nil && statusOf(err) < 500 {
		l.take(client, now)
	}
	if err != nil {
		status = statusOf(err)
		Error(sw, r, p.s.log, err)
		p.s.logRefusal(r, p.route, status, err, start)
		return
	}
	if sw.status != 0 {
		status = sw.status
	}
}

func (p *proxy) serve(w http.ResponseWriter, r *http.Request) error {
	greq, err := parseGateRequest(p.api, r.Method, r.RequestURI, r.Header)
	if err != nil {
		p.s.metrics.gateDecision("none", statusOf(err))
		return err
	}
	route, _, matched := authz.Match(p.api, greq.Method, greq.Path)
	var body []byte
	formBody := isForm(r.Header)
	if matched && route.BodyScoped() || formBody {
		if body, err = readBody(w, r); err != nil {
			return err
		}
		if formBody {
			// A form body's _method (Rails, Laravel, Symfony) overrides the
			// method for the upstream.
			var v gateValues
			if err := v.readQuery(string(body)); err != nil {
				return err
			}
			if v.hasQ[pMethodOverride] && v.query[pMethodOverride] != greq.Method {
				return ambiguous("_method", problemOverride)
			}
		}
		if matched && route.BodyScoped() {
			scoped := body
			if formBody && len(bytes.TrimSpace(body)) > 0 {
				// The official SDK's bodies once it holds an OAuth token (formbody.go).
				if scoped, err = formScopeJSON(string(body)); err != nil {
					return err
				}
			}
			if len(bytes.TrimSpace(scoped)) == 0 {
				greq.Body = &access.BodyScope{}
			} else if greq.Body, err = readBodyScope(scoped); err != nil {
				return err
			}
		}
	}
	d, err := p.s.decide(w.Header(), r, greq)
	if err != nil {
		return err
	}
	if p.api == authz.CMA && p.s.cmaLimit != nil && d.Principal != nil {
		// The proxied CMA counts as the CMA: the same buckets and headers.
		if err := p.s.cmaLimit.take(w, r, d.Principal.Stack.UID); err != nil {
			return err
		}
	}
	// Client copies of the gate's headers, in every spelling an upstream
	// could read as them (the parser refused the other spellings; this
	// strips X-Stackgate-Admin and the like).
	for name := range r.Header {
		if isGateHeader(name) {
			delete(r.Header, name)
		}
	}
	setGateHeaders(r.Header, d, greq.Environment)
	if body != nil {
		// The same bytes go on, with their length now known.
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		r.TransferEncoding = nil
	}
	p.rp.ServeHTTP(w, r)
	return nil
}

// copyBuffers recycles the buffers the proxies copy response bodies with:
// without a pool, httputil.ReverseProxy allocates 32 KiB for every request.
var copyBuffers = &bufferPool{}

type bufferPool struct{ p sync.Pool }

func (b *bufferPool) Get() []byte {
	if v, ok := b.p.Get().(*[]byte); ok {
		return *v
	}
	return make([]byte, 32<<10)
}

func (b *bufferPool) Put(buf []byte) { b.p.Put(&buf) }

// isForm reports whether a request's body is form-encoded.
func isForm(h http.Header) bool {
	ct := h["Content-Type"]
	if len(ct) == 0 {
		return false
	}
	mt, _, _ := mime.ParseMediaType(ct[0])
	return mt == "application/x-www-form-urlencoded"
}

// readBody reads a body the gate must see, bounded by MaxBodyBytes.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > MaxBodyBytes {
		return nil, &stackgate.Error{Code: stackgate.ETOOLARGE, Fields: map[string][]string{}}
	}
	if r.Body == nil || r.Body == http.NoBody {
		return []byte{}, nil
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &stackgate.Error{Code: stackgate.ETOOLARGE, Fields: map[string][]string{}}
		}
		return nil, &stackgate.Error{Code: stackgate.EBADREQUEST, Message: "The request body could not be read.",
			Fields: map[string][]string{}, Err: err}
	}
	return b, nil
}

// upstreamError answers a request the upstream did not: 504 when it timed
// out, 502 when it could not be reached; nothing when the client left.
func (p *proxy) upstreamError(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		return
	}
	code := stackgate.EUPSTREAM
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		code = stackgate.ETIMEOUT
	}
	// A *url.Error holds the URL, whose query may carry a token: log only
	// its cause.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	p.s.log.Warn("upstream error", "route", p.route, "code", string(code), "error", err.Error())
	Error(w, r, nil, &stackgate.Error{Code: code, Err: err})
}
