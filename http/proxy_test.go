package http_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stackgate/stackgate/authz"
	sghttp "github.com/stackgate/stackgate/http"
	"github.com/stackgate/stackgate/internal/testdb"
)

// seen is one request an echo upstream received.
type seen struct {
	method, uri string
	header      http.Header
	body        []byte
}

// echoUpstream records every request it receives and answers 200 with a
// small JSON document (or what reply says).
type echoUpstream struct {
	*httptest.Server
	mu    sync.Mutex
	got   []seen
	reply func(w http.ResponseWriter, r *http.Request) bool // true: handled
}

func newEchoUpstream(t testing.TB) *echoUpstream {
	e := &echoUpstream{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		e.mu.Lock()
		e.got = append(e.got, seen{r.Method, r.RequestURI, r.Header.Clone(), b})
		reply := e.reply
		e.mu.Unlock()
		if reply != nil && reply(w, r) {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"entries":[]}`))
	}))
	t.Cleanup(e.Close)
	return e
}

// answer sets how the upstream replies (nil: the default document).
func (e *echoUpstream) answer(reply func(w http.ResponseWriter, r *http.Request) bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.reply = reply
}

// take returns and forgets what the upstream received.
func (e *echoUpstream) take() []seen {
	e.mu.Lock()
	defer e.mu.Unlock()
	g := e.got
	e.got = nil
	return g
}

// proxyWorld is a gate world served by a real Server.Open: the main
// listener proxies the CMA to one echo upstream, a CDA and a preview
// listener to others.
type proxyWorld struct {
	*gateWorld
	srv                         *sghttp.Server
	mainURL, cdaURL, previewURL string // base URLs
	cmaUp, cdaUp, preUp         *echoUpstream
	logs                        *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newProxyWorld(t *testing.T, open testdb.Opener, timeout time.Duration) *proxyWorld {
	t.Helper()
	w := &proxyWorld{gateWorld: newGateWorld(t, open), cmaUp: newEchoUpstream(t), cdaUp: newEchoUpstream(t), preUp: newEchoUpstream(t), logs: &syncBuffer{}}
	u := func(e *echoUpstream) *url.URL { p, _ := url.Parse(e.URL); return p }
	w.srv = sghttp.NewServer(w.svc, w.acc, slog.New(slog.NewTextHandler(w.logs, nil)))
	w.srv.Addr = "127.0.0.1:0"
	w.srv.ProxyCMA(sghttp.ProxyConfig{Upstream: u(w.cmaUp), Timeout: timeout})
	w.srv.AddProxyListener(authz.CDA, "127.0.0.1:0", sghttp.ProxyConfig{Upstream: u(w.cdaUp), Timeout: timeout})
	w.srv.AddProxyListener(authz.Preview, "127.0.0.1:0", sghttp.ProxyConfig{Upstream: u(w.preUp), Timeout: timeout})
	if err := w.srv.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.srv.Close() })
	w.mainURL, w.cdaURL, w.previewURL = "http://"+w.srv.Addr, "http://"+w.srv.ProxyAddr(authz.CDA), "http://"+w.srv.ProxyAddr(authz.Preview)
	return w
}

// send makes a raw request (headers verbatim) and returns status and body.
func send(t testing.TB, method, u string, headers [][2]string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	r, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range headers {
		r.Header[h[0]] = append(r.Header[h[0]], h[1])
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// TestProxyListeners: stackgate as the enforcing reverse proxy, checked on
// what the upstream received.
func TestProxyListeners(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		w := newProxyWorld(t, open, 0)
		key := w.key
		prod := "/v3/content_types/blog/entries?environment=production&include_count=true"
		publish := "/v3/content_types/blog/entries/bltentry/publish"
		staging := h("api_key", key, "authtoken", w.staging, "Content-Type", "application/json")
		for _, c := range []struct {
			name    string
			base    string
			up      *echoUpstream
			method  string
			path    string
			headers [][2]string
			body    string
			status  int
		}{
			{"delivery token on the CDA listener", w.cdaURL, w.cdaUp, "GET", prod, h("api_key", key, "access_token", w.delivery), "", 200},
			{"other environment", w.cdaURL, w.cdaUp, "GET", "/v3/content_types/blog/entries?environment=staging", h("api_key", key, "access_token", w.delivery), "", 403},
			{"preview token on the CDA listener", w.cdaURL, w.cdaUp, "GET", prod, h("api_key", key, "preview_token", w.preview), "", 401},
			{"preview token on the preview listener, no /v3", w.previewURL, w.preUp, "GET", "/content_types/blog/entries?environment=production",
				h("api_key", key, "preview_token", w.preview, "access_token", w.delivery, "live_preview", "hash123"), "", 200},
			{"delivery token on the preview listener", w.previewURL, w.preUp, "GET", prod, h("api_key", key, "access_token", w.delivery), "", 401},
			{"client X-Stackgate-* headers are replaced", w.cdaURL, w.cdaUp, "GET", prod,
				h("api_key", key, "access_token", w.delivery, "X-Stackgate-Principal", "user:owner", "X-Stackgate-Admin", "true"), "", 200},
			{"ambiguous query", w.cdaURL, w.cdaUp, "GET", prod + "&environment=staging", h("api_key", key, "access_token", w.delivery), "", 400},
			{"CMA route proxied from the main listener", w.mainURL, w.cmaUp, "GET", "/v3/content_types/blog", h("api_key", key, "authorization", w.mgmtRead), "", 200},
			{"read-only token cannot delete", w.mainURL, w.cmaUp, "DELETE", "/v3/content_types/blog", h("api_key", key, "authorization", w.mgmtRead), "", 403},
			{"publish on staging: the body is read", w.mainURL, w.cmaUp, "POST", publish, staging,
				`{"entry":{"environments":["staging"],"locales":["en-us"]},"locale":"en-us","version":1}`, 200},
			{"publish on production: refused on the body", w.mainURL, w.cmaUp, "POST", publish, staging,
				`{"entry":{"environments":["production"],"locales":["en-us"]},"locale":"en-us"}`, 403},
			{"publish with a repeated key", w.mainURL, w.cmaUp, "POST", publish, staging,
				`{"entry":{"environments":["staging"],"environments":["production"]}}`, 400},
			{"form body overriding the method", w.mainURL, w.cmaUp, "POST", "/v3/content_types/blog/entries",
				h("api_key", key, "authtoken", w.tokens[ContentManager], "Content-Type", "application/x-www-form-urlencoded"), "_method=DELETE", 400},
			{"served routes are not proxied", w.mainURL, w.cmaUp, "GET", "/v3/environments", h("api_key", key, "authorization", w.mgmtRead), "", 200},
		} {
			t.Run(c.name, func(t *testing.T) {
				w.cmaUp.take()
				w.cdaUp.take()
				w.preUp.take()
				var body []byte
				if c.body != "" {
					body = []byte(c.body)
				}
				status, _, got := send(t, c.method, c.base+c.path, c.headers, body)
				if status != c.status {
					t.Fatalf("status %d, want %d: %s", status, c.status, got)
				}
				up := c.up.take()
				if c.name == "served routes are not proxied" {
					if len(up) != 0 {
						t.Fatalf("a served route reached the upstream: %+v", up)
					}
					return
				}
				if status != 200 {
					if len(up) != 0 {
						t.Fatalf("a refused request reached the upstream: %+v", up)
					}
					var e map[string]any
					if json.Unmarshal(got, &e) != nil || e["error_code"] == nil {
						t.Fatalf("refusal is not Contentstack JSON: %s", got)
					}
					return
				}
				if len(up) != 1 {
					t.Fatalf("upstream received %d requests, want 1", len(up))
				}
				r := up[0]
				if r.method != c.method || r.uri != c.path {
					t.Fatalf("upstream received %s %s, want %s %s", r.method, r.uri, c.method, c.path)
				}
				if string(r.body) != c.body {
					t.Fatalf("upstream body %q, want the same bytes %q", r.body, c.body)
				}
				if r.header.Get("X-Stackgate-Stack") != key || r.header.Get("X-Stackgate-Branch") != "main" ||
					strings.HasPrefix(r.header.Get("X-Stackgate-Principal"), "user:owner") || r.header.Get("X-Stackgate-Admin") != "" ||
					len(r.header.Values("X-Stackgate-Principal")) != 1 {
					t.Fatalf("upstream headers: %v", r.header)
				}
				if strings.Contains(c.name, "live_preview") || strings.Contains(c.name, "preview listener") {
					if r.header.Get("Live_preview") != "hash123" {
						t.Fatalf("live_preview did not reach the upstream: %v", r.header)
					}
				}
				if r.header.Get("X-Forwarded-For") == "" {
					t.Fatalf("no X-Forwarded-For upstream: %v", r.header)
				}
			})
		}
	})
}

// TestProxyUpstreamFailures: an unreachable upstream is 502, a slow one
// 504, both in the Contentstack shape; hop-by-hop headers never cross;
// responses stream.
func TestProxyUpstreamFailures(t *testing.T) {
	w := newProxyWorld(t, testdb.SQLite, 300*time.Millisecond)
	cred := h("api_key", w.key, "access_token", w.delivery)
	prod := "/v3/content_types/blog/entries?environment=production"
	t.Run("slow upstream is 504", func(t *testing.T) {
		w.cdaUp.answer(func(rw http.ResponseWriter, r *http.Request) bool { time.Sleep(time.Second); return false })
		defer w.cdaUp.answer(nil)
		status, _, body := send(t, "GET", w.cdaURL+prod, cred, nil)
		if status != 504 || !strings.Contains(string(body), `"error_code":504`) {
			t.Fatalf("%d %s", status, body)
		}
	})
	t.Run("hop-by-hop headers do not cross", func(t *testing.T) {
		w.cdaUp.take()
		w.cdaUp.answer(func(rw http.ResponseWriter, r *http.Request) bool {
			rw.Header().Set("Connection", "X-Secret-Hop")
			rw.Header().Set("X-Secret-Hop", "1")
			rw.Header().Set("Keep-Alive", "timeout=5")
			_, _ = rw.Write([]byte("{}"))
			return true
		})
		defer w.cdaUp.answer(nil)
		status, hdr, _ := send(t, "GET", w.cdaURL+prod, append(cred, h("Connection", "X-Client-Hop", "X-Client-Hop", "1")...), nil)
		if status != 200 || hdr.Get("X-Secret-Hop") != "" || hdr.Get("Keep-Alive") != "" {
			t.Fatalf("%d %v", status, hdr)
		}
		up := w.cdaUp.take()
		// (Go forwards "Te: trailers" on purpose, for gRPC; any other Te goes.)
		if len(up) != 1 || up[0].header.Get("X-Client-Hop") != "" || up[0].header.Get("Connection") != "" {
			t.Fatalf("hop-by-hop header reached the upstream: %+v", up)
		}
	})
	t.Run("responses stream", func(t *testing.T) {
		release := make(chan struct{})
		w.cdaUp.answer(func(rw http.ResponseWriter, r *http.Request) bool {
			rw.Header().Set("Content-Type", "text/event-stream")
			_, _ = rw.Write([]byte("data: first\n\n"))
			rw.(http.Flusher).Flush()
			<-release
			_, _ = rw.Write([]byte("data: second\n\n"))
			return true
		})
		defer w.cdaUp.answer(nil)
		r, _ := http.NewRequest("GET", w.cdaURL+prod, nil)
		r.Header.Set("api_key", w.key)
		r.Header.Set("access_token", w.delivery)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		buf := make([]byte, 64)
		n, err := resp.Body.Read(buf)
		close(release)
		if err != nil || !strings.Contains(string(buf[:n]), "first") {
			t.Fatalf("the first event did not arrive before the upstream finished: %q %v", buf[:n], err)
		}
	})
	t.Run("unreachable upstream is 502", func(t *testing.T) {
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		dead := "http://" + l.Addr().String()
		l.Close()
		u, _ := url.Parse(dead)
		srv := sghttp.NewServer(w.svc, w.acc, nil)
		srv.Addr = "127.0.0.1:0"
		srv.AddProxyListener(authz.CDA, "127.0.0.1:0", sghttp.ProxyConfig{Upstream: u})
		if err := srv.Open(); err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		status, _, body := send(t, "GET", "http://"+srv.ProxyAddr(authz.CDA)+prod+"&access_token="+w.delivery, h("api_key", w.key), nil)
		if status != 502 || !strings.Contains(string(body), `"error_code":502`) || strings.Contains(string(body), w.delivery) {
			t.Fatalf("%d %s", status, body)
		}
	})
	t.Run("a publish body over the limit is 413 and never forwarded", func(t *testing.T) {
		w.cmaUp.take()
		big := `{"entry":{"environments":["staging"]},"pad":"` + strings.Repeat("x", sghttp.MaxBodyBytes) + `"}`
		status, _, _ := send(t, "POST", w.mainURL+"/v3/content_types/blog/entries/e/publish",
			h("api_key", w.key, "authtoken", w.staging, "Content-Type", "application/json"), []byte(big))
		if status != 413 || len(w.cmaUp.take()) != 0 {
			t.Fatalf("%d", status)
		}
	})
	t.Run("a large upload to a route without body scope streams through", func(t *testing.T) {
		// A world of its own, without the 300 ms upstream timeout: 3 MiB
		// through the race detector on a busy machine can take longer.
		w := newProxyWorld(t, testdb.SQLite, 0)
		w.cmaUp.take()
		big := bytes.Repeat([]byte("a"), 3*sghttp.MaxBodyBytes)
		status, _, body := send(t, "POST", w.mainURL+"/v3/assets", h("api_key", w.key, "authtoken", w.tokens[ContentManager],
			"Content-Type", "application/octet-stream"), big)
		up := w.cmaUp.take()
		if status != 200 || len(up) != 1 || !bytes.Equal(up[0].body, big) {
			t.Fatalf("%d %s (%d upstream)", status, body, len(up))
		}
	})
}

// TestOpenServesTheGateFastPath: the handler Open installs answers the
// gate on its fast path (no request id, no access-log line for an allowed
// request), and counts allowed requests in metrics.
func TestOpenServesTheGateFastPath(t *testing.T) {
	w := newProxyWorld(t, testdb.SQLite, 0)
	cred := h("api_key", w.key, "access_token", w.delivery, "X-Original-Method", "GET",
		"X-Original-URI", "/v3/content_types/blog/entries?environment=production")
	for i := 0; i < 3; i++ {
		status, hdr, body := send(t, "GET", w.mainURL+"/gate/auth?api=cda", cred, nil)
		if status != 200 || len(body) != 0 || hdr.Get("X-Stackgate-Stack") != w.key {
			t.Fatalf("%d %v %s", status, hdr, body)
		}
		if hdr.Get("X-Request-Id") != "" {
			t.Fatalf("the gate answered through the general middleware: %v", hdr)
		}
	}
	status, hdr, _ := send(t, "GET", w.mainURL+"/v3/environments", h("api_key", w.key, "authorization", w.mgmtRead), nil)
	if status != 200 || hdr.Get("X-Request-Id") == "" {
		t.Fatalf("CMA requests go through the general middleware: %d %v", status, hdr)
	}
	send(t, "GET", w.mainURL+"/gate/auth?api=cda", h("api_key", w.key, "access_token", "cs000000000000000000000000",
		"X-Original-Method", "GET", "X-Original-URI", "/v3/content_types/blog/entries?environment=production"), nil)
	logs := w.logs.String()
	if strings.Count(logs, "route=/gate/auth") != 1 || !strings.Contains(logs, "gate refused") {
		t.Fatalf("want one log line for the one refusal, none for allowed requests:\n%s", logs)
	}
	if strings.Contains(logs, w.delivery) || strings.Contains(logs, "cs000000000000000000000000") {
		t.Fatalf("a token is in the log:\n%s", logs)
	}
	_, _, metrics := send(t, "GET", w.mainURL+"/metrics", nil, nil)
	if !strings.Contains(string(metrics), `stackgate_gate_decisions_total{kind="delivery_token",outcome="allow"} 3`) {
		t.Fatalf("allowed gate requests are not counted:\n%s", metrics)
	}
}

// TestGatePreflight: a browser's CORS preflight, which carries no
// credential, is let through on a route of the table, vouched for by no
// principal; anything else sent as OPTIONS is decided as usual.
func TestGatePreflight(t *testing.T) {
	w := newProxyWorld(t, testdb.SQLite, 0)
	entries := "/v3/content_types/blog/entries?environment=production"
	pre := h("api_key", w.key, "Origin", "https://site.example", "Access-Control-Request-Method", "GET",
		"Access-Control-Request-Headers", "access_token, api_key", "X-Stackgate-Principal", "user:owner")
	for _, c := range []struct {
		name    string
		api     string
		uri     string
		headers [][2]string
		status  int
	}{
		{"preflight of an entries read", "cda", entries, pre, 200},
		{"preflight of an unknown route", "cda", "/v3/secret", pre, 403},
		{"preflight announcing an invalid method", "cda", entries, h("Origin", "https://s", "Access-Control-Request-Method", "get"), 400},
		{"OPTIONS without the preflight headers", "cda", entries, h("api_key", w.key), 401},
		{"preflight on the preview service without /v3", "preview", "/content_types/blog/entries", pre, 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := gateCase{api: c.api, method: "OPTIONS", uri: c.uri, headers: c.headers}
			got := w.ask(g)
			if got.status != c.status || got.header.Get("X-Stackgate-Principal") != "" || got.header.Get("X-Stackgate-Stack") != "" {
				t.Fatalf("%d %v %s", got.status, got.header, got.raw)
			}
			if chk := w.check(g); chk.body["status"] != float64(c.status) {
				t.Fatalf("/gate/check disagrees: %s", chk.raw)
			}
			if c.api != "cda" {
				return
			}
			w.cdaUp.take()
			status, _, _ := send(t, "OPTIONS", w.cdaURL+c.uri, c.headers, nil)
			up := w.cdaUp.take()
			if status != c.status || (status == 200) != (len(up) == 1) {
				t.Fatalf("proxy listener: %d, upstream saw %d", status, len(up))
			}
			if len(up) == 1 && (up[0].method != "OPTIONS" || up[0].header.Get("X-Stackgate-Principal") != "") {
				t.Fatalf("upstream saw %+v", up[0])
			}
		})
	}
}
