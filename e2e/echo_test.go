package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// received is one request as an upstream received it.
type received struct {
	Method string
	URI    string // the raw request-target, as sent on the wire
	Host   string
	Header http.Header
	Body   []byte
}

// echo is an upstream that records every request it receives, so tests
// assert on what got through a proxy, not only on the status the client saw.
type echo struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []received
}

func newEcho(t *testing.T) *echo {
	t.Helper()
	e := &echo{}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		e.mu.Lock()
		e.got = append(e.got, received{Method: r.Method, URI: r.RequestURI, Host: r.Host, Header: r.Header.Clone(), Body: body})
		e.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Echo", "1")
		_, _ = io.WriteString(w, `{"echo":true}`)
	}))
	t.Cleanup(e.srv.Close)
	return e
}

// addr is host:port.
func (e *echo) addr() string { return strings.TrimPrefix(e.srv.URL, "http://") }

// take returns what was received since the last take and forgets it.
func (e *echo) take() []received {
	e.mu.Lock()
	defer e.mu.Unlock()
	got := e.got
	e.got = nil
	return got
}

// stackgateHeaders returns every header of h whose name is one of the
// gate's, spelt any way an upstream might fold it (case, "_" or "." for
// "-"), keyed by its folded name.
func stackgateHeaders(h http.Header) map[string][]string {
	out := map[string][]string{}
	for name, v := range h {
		if n := foldHeader(name); strings.HasPrefix(n, "x-stackgate-") {
			out[name] = v
		}
	}
	return out
}

// foldHeader lower-cases a header name and turns every byte but a letter
// or digit into "-", as CGI-style servers merge them.
func foldHeader(name string) string {
	b := []byte(strings.ToLower(name))
	for i, c := range b {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			b[i] = '-'
		}
	}
	return string(b)
}

// rawReply is a response read off the wire.
type rawReply struct {
	status int
	header http.Header
	body   []byte
}

// rawDo sends one request exactly as written (request line, headers in
// order, repeats allowed) and reads the response: Go's client would
// normalise the very things the attack corpus is made of.
func rawDo(t *testing.T, addr, method, target string, headers [][2]string, body string) rawReply {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(15 * time.Second))
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, target, addr)
	for _, h := range headers {
		fmt.Fprintf(&b, "%s: %s\r\n", h[0], h[1])
	}
	if body != "" {
		fmt.Fprintf(&b, "Content-Type: application/json\r\nContent-Length: %d\r\n", len(body))
	}
	b.WriteString("Connection: close\r\n\r\n")
	b.WriteString(body)
	if _, err := c.Write(b.Bytes()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("%s %s: reading the response: %v", method, target, err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	return rawReply{status: resp.StatusCode, header: resp.Header, body: rb}
}
