package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/secret"
	"github.com/stackgate/stackgate/service"
	"github.com/stackgate/stackgate/webhook"
)

var secretKey = []byte("whsec-test")

// TestSign: the signature is "sha256=" and the hex HMAC-SHA256 of the raw
// body, as `openssl dgst -sha256 -hmac` computes it (the README's check).
func TestSign(t *testing.T) {
	body := []byte(`{"event":"token.created"}`)
	const want = "sha256=28768b13c54962c4489c87a8aac59c687f753d93c82c5e6f4ebf1a4a2e91a9a3"
	if got := webhook.Sign(secretKey, body); got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
	for _, tc := range []struct {
		secret, body []byte
		sig          string
		ok           bool
	}{
		{secretKey, body, want, true},
		{[]byte("other"), body, want, false},
		{secretKey, []byte(`{"event":"token.created" }`), want, false},
		{secretKey, body, strings.TrimPrefix(want, "sha256="), false},
		{secretKey, body, "", false},
	} {
		if got := webhook.Verify(tc.secret, tc.body, tc.sig); got != tc.ok {
			t.Errorf("Verify(%q, %s, %q) = %v", tc.secret, tc.body, tc.sig, got)
		}
	}
}

// received is one request a receiver got.
type received struct {
	event, delivery, signature, contentType string
	body                                    []byte
}

// receiver records requests and answers with the statuses in turn (200
// once they run out).
type receiver struct {
	mu       sync.Mutex
	got      []received
	statuses []int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, received{req.Header.Get(webhook.HeaderEvent), req.Header.Get(webhook.HeaderDelivery),
		req.Header.Get(webhook.HeaderSignature), req.Header.Get("Content-Type"), body})
	status := http.StatusOK
	if len(r.statuses) > 0 {
		status, r.statuses = r.statuses[0], r.statuses[1:]
	}
	w.WriteHeader(status)
	w.Write([]byte(strings.Repeat("x", 1<<20))) // a large reply is not read
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// world is a stack and its owner over a real store and service.
type world struct {
	st      stackgate.Store
	svc     *service.Service
	owner   stackgate.Actor
	secrets []string // every token value and hash made
}

func newWorld(t *testing.T, st stackgate.Store) *world {
	t.Helper()
	return newWorldWith(t, st, newKeys(t), service.Config{})
}

// newWorldWith is newWorld with its keys and service configuration.
func newWorldWith(t *testing.T, st stackgate.Store, keys *secret.Keyring, cfg service.Config) *world {
	t.Helper()
	cfg.ManagementTokenLimit = 50
	svc := service.New(st, keys, cfg, slog.New(slog.DiscardHandler))
	u, _, err := svc.EnsureUser(t.Context(), "owner"+stackgate.NewUID()+"@example.com", "a long password 1")
	if err != nil {
		t.Fatal(err)
	}
	stack, err := svc.CreateStack(t.Context(), u, "webhooks")
	if err != nil {
		t.Fatal(err)
	}
	return &world{st: st, svc: svc, owner: stackgate.Actor{Stack: stack, UID: u.UID}}
}

func (w *world) managementToken(t *testing.T, name string) *stackgate.ManagementToken {
	t.Helper()
	yes := true
	mt, err := w.svc.CreateManagementToken(t.Context(), w.owner, service.TokenInput{Name: &name,
		Scope: []stackgate.ScopeEntry{{Module: stackgate.ModuleEntry, ACL: stackgate.ACL{Read: &yes}},
			{Module: stackgate.ModuleBranch, Branches: []string{"main"}, ACL: stackgate.ACL{Read: &yes}}}})
	if err != nil {
		t.Fatal(err)
	}
	w.secrets = append(w.secrets, mt.Token, string(mt.TokenHash))
	return mt
}

// clock is the injected time of a worker.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time   { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time)  { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }
func newClock(t time.Time) *clock { return &clock{t: t} }
func run(t *testing.T, w *webhook.Worker) int {
	t.Helper()
	n, err := w.RunOnce(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDeliveries: every token event reaches a real HTTP receiver once,
// signed over the raw body, with its event and delivery id, and a body that
// names the token but holds no value.
func TestDeliveries(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		rcv := &receiver{}
		srv := httptest.NewServer(rcv)
		defer srv.Close()
		w := newWorld(t, open(t))
		ctx := t.Context()
		mt := w.managementToken(t, "ci")
		name := "site"
		dt, err := w.svc.CreateDeliveryToken(ctx, w.owner, service.TokenInput{Name: &name,
			Scope: []stackgate.ScopeEntry{{Module: stackgate.ModuleEnvironment, Environments: []string{"production"}},
				{Module: stackgate.ModuleBranch, Branches: []string{"main"}}}}, true)
		if err != nil {
			t.Fatal(err)
		}
		w.secrets = append(w.secrets, dt.Token, dt.PreviewToken)
		rot, _, err := w.svc.RotateManagementToken(ctx, w.owner, mt.UID, nil)
		if err != nil {
			t.Fatal(err)
		}
		w.secrets = append(w.secrets, rot.Token)
		if err := w.svc.DeleteDeliveryToken(ctx, w.owner, dt.UID); err != nil {
			t.Fatal(err)
		}

		c := newClock(time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC))
		wk := &webhook.Worker{Store: w.st, Sender: &webhook.Sender{URL: srv.URL + "/hook", Secret: secretKey}, Now: c.Now,
			Log: slog.New(slog.DiscardHandler)}
		if n := run(t, wk); n != 4 {
			t.Fatalf("delivered %d, want 4", n)
		}
		if n := run(t, wk); n != 0 {
			t.Fatalf("delivered %d more on a second run, want 0", n)
		}
		type token struct{ UID, Name, Type string }
		var got []string
		ids := map[string]bool{}
		for _, r := range rcv.requests() {
			if !webhook.Verify(secretKey, r.body, r.signature) {
				t.Errorf("signature %q does not verify over %s", r.signature, r.body)
			}
			if r.contentType != "application/json" || ids[r.delivery] || r.delivery == "" {
				t.Errorf("content type %q, delivery %q (seen: %v)", r.contentType, r.delivery, ids[r.delivery])
			}
			ids[r.delivery] = true
			var b map[string]json.RawMessage
			if err := json.Unmarshal(r.body, &b); err != nil {
				t.Fatal(err)
			}
			keys := slices.Sorted(func(yield func(string) bool) {
				for k := range b {
					if !yield(k) {
						return
					}
				}
			})
			if d := cmp.Diff([]string{"at", "delivery_id", "event", "stack", "token"}, keys); d != "" {
				t.Errorf("body keys (-want +got):\n%s", d)
			}
			var body struct {
				Event string
				Stack struct {
					APIKey string `json:"api_key"`
				}
				Token      token
				At         time.Time
				DeliveryID string `json:"delivery_id"`
			}
			if err := json.Unmarshal(r.body, &body); err != nil {
				t.Fatal(err)
			}
			if body.Event != r.event || body.DeliveryID != r.delivery || body.Stack.APIKey != w.owner.Stack.APIKey || body.At.IsZero() {
				t.Errorf("body %s with event %q, delivery %q", r.body, r.event, r.delivery)
			}
			for _, s := range w.secrets {
				if s != "" && strings.Contains(string(r.body), s) {
					t.Errorf("body %s holds a secret", r.body)
				}
			}
			got = append(got, fmt.Sprintf("%s %s %s %t", body.Event, body.Token.Type, body.Token.Name,
				body.Token.UID == mt.UID || body.Token.UID == dt.UID))
		}
		if d := cmp.Diff([]string{
			"token.created management ci true",
			"token.created delivery site true",
			"token.rotated management ci true",
			"token.revoked delivery site true",
		}, got); d != "" {
			t.Errorf("events (-want +got):\n%s", d)
		}
	})
}

// TestRetries: a delivery answered 500 is retried after Backoff, then twice
// that, not before, with the same delivery id; after MaxAttempts it is given
// up. Redirects are failures, never followed.
func TestRetries(t *testing.T) {
	st := testdb.SQLite(t)
	w := newWorld(t, st)
	rcv := &receiver{statuses: []int{500, 503}}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	w.managementToken(t, "retried")
	t0 := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newClock(t0)
	wk := &webhook.Worker{Store: st, Sender: &webhook.Sender{URL: srv.URL, Secret: secretKey}, Now: c.Now,
		Backoff: 10 * time.Second, MaxBackoff: time.Hour, MaxAttempts: 3, Log: slog.New(slog.DiscardHandler)}
	for _, step := range []struct {
		at        time.Duration
		requests  int // the receiver's count after the run
		delivered int
	}{
		{0, 1, 0},                // 500: retry at +10 s
		{9 * time.Second, 1, 0},  // backing off
		{10 * time.Second, 2, 0}, // 503: retry at +30 s
		{29 * time.Second, 2, 0},
		{30 * time.Second, 3, 1}, // 200
		{time.Hour, 3, 0},
	} {
		c.Set(t0.Add(step.at))
		if n := run(t, wk); n != step.delivered {
			t.Errorf("at +%v: delivered %d, want %d", step.at, n, step.delivered)
		}
		if got := len(rcv.requests()); got != step.requests {
			t.Errorf("at +%v: %d requests, want %d", step.at, got, step.requests)
		}
	}
	reqs := rcv.requests()
	if reqs[0].delivery != reqs[2].delivery || !slices.Equal(reqs[0].body, reqs[2].body) {
		t.Error("a retry changed the delivery id or body")
	}
	ds, err := st.ListWebhookDeliveries(t.Context(), w.owner.Stack.UID)
	if err != nil {
		t.Fatal(err)
	}
	if d := ds[0]; d.Attempts != 3 || d.SentAt.IsZero() {
		t.Errorf("delivery %+v", d)
	}

	// Given up: a receiver that always redirects (to one that would accept).
	accepted := &receiver{}
	good := httptest.NewServer(accepted)
	defer good.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		http.Redirect(rw, r, good.URL, http.StatusTemporaryRedirect)
	}))
	defer redirect.Close()
	wk.Sender.URL = redirect.URL
	w.managementToken(t, "redirected")
	for _, at := range []time.Duration{2 * time.Hour, 2*time.Hour + 10*time.Second, 2*time.Hour + 30*time.Second, 3 * time.Hour} {
		c.Set(t0.Add(at))
		run(t, wk)
	}
	if n := len(accepted.requests()); n != 0 {
		t.Errorf("the redirect was followed %d times", n)
	}
	ds, err = st.ListWebhookDeliveries(t.Context(), w.owner.Stack.UID)
	if err != nil {
		t.Fatal(err)
	}
	if d := ds[1]; d.Attempts != 3 || d.FailedAt.IsZero() || !strings.Contains(d.LastError, "status 307") {
		t.Errorf("redirected delivery %+v", d)
	}
}

// TestDelay: the backoff doubles up to its bound.
func TestDelay(t *testing.T) {
	w := &webhook.Worker{Backoff: time.Second, MaxBackoff: 10 * time.Second}
	var got []time.Duration
	for a := 1; a <= 6; a++ {
		got = append(got, w.Delay(a))
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("delays (-want +got):\n%s", d)
	}
}

// TestErrorsHideURLCredentials: a failed send names the URL without its
// user info or query.
func TestErrorsHideURLCredentials(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(500) }))
	defer srv.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	for _, base := range []string{srv.URL, closed.URL} {
		u := strings.Replace(base, "http://", "http://user:hunter2@", 1) + "/hook?token=s3cret"
		s := &webhook.Sender{URL: u, Secret: secretKey, Client: webhook.NewClient(5 * time.Second)}
		err := s.Send(context.Background(), &stackgate.WebhookDelivery{UID: "d", Event: "e", Body: []byte("{}")})
		if err == nil {
			t.Fatalf("%s: no error", base)
		}
		if msg := err.Error(); strings.Contains(msg, "hunter2") || strings.Contains(msg, "s3cret") || strings.Contains(msg, "user") {
			t.Errorf("error names credentials: %s", msg)
		}
	}
}

// TestTwoNodes: two stores on one PostgreSQL database, each with a worker,
// drain the outbox concurrently; the receiver gets every event exactly once.
func TestTwoNodes(t *testing.T) {
	url := testdb.PostgresURL(t)
	a, b := testdb.OpenPostgres(t, url), testdb.OpenPostgres(t, url)
	w := newWorld(t, a)
	const tokens = 30
	for i := range tokens {
		w.managementToken(t, fmt.Sprint("node token ", i))
	}
	// One more, expiring in 3 days: both nodes enqueue its token.expiring
	// event at once; the store keeps one.
	name, yes := "expiring", true
	exp, _ := json.Marshal(time.Now().UTC().AddDate(0, 0, 3).Format("2006-01-02"))
	if _, err := w.svc.CreateManagementToken(t.Context(), w.owner, service.TokenInput{Name: &name, ExpiresOn: exp,
		Scope: []stackgate.ScopeEntry{{Module: stackgate.ModuleEntry, ACL: stackgate.ACL{Read: &yes}},
			{Module: stackgate.ModuleBranch, Branches: []string{"main"}, ACL: stackgate.ACL{Read: &yes}}}}); err != nil {
		t.Fatal(err)
	}
	var enq sync.WaitGroup
	enqueued := make([]int, 2)
	for i, st := range []stackgate.Store{a, b} {
		enq.Add(1)
		go func() {
			defer enq.Done()
			n, err := st.EnqueueExpiryWebhooks(t.Context(), time.Now())
			if err != nil {
				t.Error(err)
			}
			enqueued[i] = n
		}()
	}
	enq.Wait()
	if enqueued[0]+enqueued[1] != 1 {
		t.Fatalf("enqueued %v expiry events, want 1 in all", enqueued)
	}
	const events = tokens + 2
	rcv := &receiver{}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for _, st := range []stackgate.Store{a, b} {
		wk := &webhook.Worker{Store: st, Sender: &webhook.Sender{URL: srv.URL, Secret: secretKey}, Batch: 3,
			Log: slog.New(slog.DiscardHandler)}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n, err := wk.RunOnce(t.Context())
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				total += n
				done := total >= events
				mu.Unlock()
				if done || errors.Is(t.Context().Err(), context.Canceled) {
					return
				}
			}
		}()
	}
	wg.Wait()
	seen := map[string]int{}
	expiring := 0
	for _, r := range rcv.requests() {
		seen[r.delivery]++
		if r.event == stackgate.WebhookTokenExpiring {
			expiring++
		}
	}
	if expiring != 1 {
		t.Errorf("%d token.expiring deliveries, want 1", expiring)
	}
	if len(seen) != events {
		t.Errorf("%d distinct deliveries, want %d", len(seen), events)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("delivery %s received %d times", id, n)
		}
	}
}
