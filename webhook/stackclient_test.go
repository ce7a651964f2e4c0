package webhook_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stackgate/stackgate/webhook"
)

// TestStackClientRefusesLoopbackSpellings: the spellings of 127.0.0.1 a URL
// check on the text could miss (decimal, hex, octal, short forms, "0",
// IPv4-mapped IPv6, a trailing dot, a name) reach no receiver on loopback
// through the stack client: whatever the resolver makes of them, the
// address dialed is checked.
func TestStackClientRefusesLoopbackSpellings(t *testing.T) {
	rcv := &receiver{}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	c := webhook.NewStackClient(2*time.Second, false)
	for _, host := range []string{"127.0.0.1", "127.1", "2130706433", "0x7f000001", "0177.0.0.1", "0", "0.0.0.0",
		"[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[::]", "localhost", "localhost.", "LOCALHOST"} {
		resp, err := c.Post("http://"+host+port+"/hook", "application/json", strings.NewReader("{}"))
		if err == nil {
			resp.Body.Close()
			t.Errorf("%s: answered %d, want a refused connection", host, resp.StatusCode)
		}
	}
	if n := len(rcv.requests()); n != 0 {
		t.Fatalf("the receiver got %d requests", n)
	}
}

// TestStackClientNoRedirectNoProxy: the stack client follows no redirect (a
// receiver cannot send the delivery on to an internal address) and uses no
// proxy from the environment (the address checked is the receiver's).
func TestStackClientNoRedirectNoProxy(t *testing.T) {
	target := &receiver{}
	inner := httptest.NewServer(target)
	defer inner.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		http.Redirect(rw, r, inner.URL+"/after", http.StatusTemporaryRedirect)
	}))
	defer redirect.Close()
	c := webhook.NewStackClient(2*time.Second, true) // loopback allowed, so only the redirect rule stops it
	resp, err := c.Post(redirect.URL+"/hook", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect || len(target.requests()) != 0 {
		t.Errorf("status %d, the redirect's target got %d requests: want 307 and none", resp.StatusCode, len(target.requests()))
	}
	for _, allow := range []bool{false, true} {
		if tr, ok := webhook.NewStackClient(time.Second, allow).Transport.(*http.Transport); !ok || tr.Proxy != nil {
			t.Errorf("allowPrivate %v: transport %T with a proxy function, want none", allow, webhook.NewStackClient(time.Second, allow).Transport)
		}
	}
}
