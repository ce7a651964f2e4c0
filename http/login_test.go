package http_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sghttp "github.com/stackgate/stackgate/http"
	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/service"
)

// loginFixture is a fixture whose service runs on a clock the test moves and
// whose server trusts httptest's peer (192.0.2.1) as a proxy, so that each
// request names its client in X-Forwarded-For.
type loginFixture struct {
	*fixture
	mu  sync.Mutex
	now time.Time
}

func newLoginFixture(t *testing.T, open testdb.Opener, cfg service.Config) *loginFixture {
	f := newFixture(t, open)
	if cfg.PasswordQueueWait == 0 {
		cfg.PasswordQueueWait = time.Minute // never 503 here, however slow argon2 runs under -race
	}
	svc, acc := newServices(f.store, cfg)
	lf := &loginFixture{now: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}
	svc.Now = func() time.Time { lf.mu.Lock(); defer lf.mu.Unlock(); return lf.now }
	g := *f
	g.svc, g.acc, g.srv = svc, acc, sghttp.NewServer(svc, acc, nil)
	g.srv.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
	lf.fixture = &g
	return lf
}

func (f *loginFixture) advance(d time.Duration) { f.mu.Lock(); f.now = f.now.Add(d); f.mu.Unlock() }

func (f *loginFixture) login(email, password, client string) reply {
	f.t.Helper()
	return f.do(req{method: "POST", path: "/v3/user-session", headers: map[string]string{"X-Forwarded-For": client},
		body: map[string]any{"user": map[string]string{"email": email, "password": password}}})
}

// answer is what a client can observe of a login reply.
type answer struct {
	Status     int
	Body       string
	RetryAfter string
}

func answerOf(r reply) answer {
	return answer{r.status, string(r.raw), r.header.Get("Retry-After")}
}

// TestLoginSameAnswers: an email with an account and one without get the
// same status, body and Retry-After at every step of the same sequence of
// wrong attempts: free attempts, the per-client backoff, the per-account
// backoff from many clients, and after waiting.
func TestLoginSameAnswers(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		run := func(email string) []answer {
			f := newLoginFixture(t, open, service.Config{})
			var out []answer
			// One client: 3 free attempts, then 1 s, 2 s… apart.
			for range 5 {
				out = append(out, answerOf(f.login(email, "wrong-password", "198.51.100.1")))
			}
			f.advance(time.Second)
			out = append(out, answerOf(f.login(email, "wrong-password", "198.51.100.1")))
			out = append(out, answerOf(f.login(email, "wrong-password", "198.51.100.1")))
			// Many clients, one attempt each: the account's 10 free attempts
			// (4 already used), then 1 s apart, 2 s…
			for i := range 10 {
				out = append(out, answerOf(f.login(email, "wrong-password", "203.0.113."+strconv.Itoa(i+1))))
			}
			f.advance(time.Second)
			out = append(out, answerOf(f.login(email, "wrong-password", "203.0.113.100")))
			out = append(out, answerOf(f.login(email, "wrong-password", "203.0.113.101")))
			return out
		}
		known, unknown := run("admin@example.com"), run("nobody@example.com")
		for i := range known {
			if known[i] != unknown[i] {
				t.Errorf("step %d: account %+v, no account %+v", i, known[i], unknown[i])
			}
		}
		// And the sequence is the intended one.
		statuses := make([]int, len(known))
		for i, a := range known {
			statuses[i] = a.Status
		}
		want := []int{422, 422, 422, 429, 429, 422, 429, 422, 422, 422, 422, 422, 422, 429, 429, 429, 429, 422, 429}
		if !slicesEqual(statuses, want) {
			t.Errorf("statuses %v, want %v", statuses, want)
		}
		if known[3].RetryAfter != "1" || !strings.Contains(known[3].Body, `"error_code":429`) {
			t.Errorf("client backoff answer %+v", known[3])
		}
	})
}

func slicesEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestLoginOwnerNotLockedOut: however many wrong passwords others send, the
// owner of an account, from their own address, waits at most the account
// policy's Max (60 s) and then logs in; open sessions keep working.
func TestLoginOwnerNotLockedOut(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newLoginFixture(t, open, service.Config{})
		// 40 attempts from 40 addresses, each waiting its turn.
		refusedRight := false
		for i := range 40 {
			r := f.login("admin@example.com", "wrong-password", "203.0.113."+strconv.Itoa(i+1))
			if r.status == 429 {
				ra, _ := strconv.Atoi(r.header.Get("Retry-After"))
				if ra < 1 || ra > 60 {
					t.Fatalf("Retry-After %q, want 1..60", r.header.Get("Retry-After"))
				}
				f.advance(time.Duration(ra) * time.Second)
				r = f.login("admin@example.com", "wrong-password", "203.0.113."+strconv.Itoa(i+1))
			}
			if r.status != 422 {
				t.Fatalf("attempt %d after waiting: %d %s", i, r.status, r.raw)
			}
			if i == 39 {
				// Right after a counted attempt the account is delayed, for
				// the right password too.
				got := f.login("admin@example.com", "admin-password", "198.51.100.7")
				wantError(t, got, 429, 429, "")
				refusedRight = true
			}
		}
		if !refusedRight {
			t.Fatal("never tried the right password during a delay")
		}
		f.advance(time.Minute)
		if got := f.login("admin@example.com", "admin-password", "198.51.100.7"); got.status != 200 {
			t.Fatalf("owner after 60 s: %d %s", got.status, got.raw)
		}
		if r := f.do(req{method: "GET", path: "/v3/environments", headers: f.as(Admin)}); r.status != 200 {
			t.Fatalf("an open session stopped working: %d", r.status)
		}
	})
}

// TestLoginConcurrentGuesses: 50 wrong passwords at once, from 50 addresses,
// on one account: exactly the account's free attempts are verified (422),
// every other one is refused (429) before its password is looked at.
func TestLoginConcurrentGuesses(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newLoginFixture(t, open, service.Config{})
		const n = 50
		var verified, refused atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				hr := httptest.NewRequest("POST", "/v3/user-session",
					strings.NewReader(`{"user":{"email":"developer@example.com","password":"wrong-password"}}`))
				hr.Header.Set("Content-Type", "application/json")
				hr.Header.Set("X-Forwarded-For", "203.0.113."+strconv.Itoa(i+1))
				w := httptest.NewRecorder()
				<-start
				f.srv.ServeHTTP(w, hr)
				switch w.Code {
				case 422:
					verified.Add(1)
				case 429:
					refused.Add(1)
				default:
					t.Errorf("status %d: %s", w.Code, w.Body)
				}
			})
		}
		close(start)
		wg.Wait()
		if verified.Load() != 10 || refused.Load() != n-10 {
			t.Errorf("%d verified, %d refused; want exactly 10 and %d", verified.Load(), refused.Load(), n-10)
		}
	})
}

// TestLoginBusy: with every argon2id slot taken, a login waits at most
// PasswordQueueWait and then gets 503 with Retry-After, in the
// Contentstack shape.
func TestLoginBusy(t *testing.T) {
	f := newLoginFixture(t, testdb.SQLite, service.Config{PasswordConcurrency: 1, PasswordQueueWait: time.Millisecond})
	release := f.svc.HoldPasswordSlots()
	defer release()
	got := f.login("admin@example.com", "admin-password", "198.51.100.9")
	wantError(t, got, http.StatusServiceUnavailable, 503, "")
	if got.header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After %q, want 1", got.header.Get("Retry-After"))
	}
	release()
	if got := f.login("admin@example.com", "admin-password", "198.51.100.9"); got.status != 200 {
		t.Fatalf("after the slots freed: %d %s", got.status, got.raw)
	}
}

// TestSessionsPerUser: the 21st session ends the oldest. The fixture's
// login is the first; twenty more through the API (the login limiter's
// burst, so none waits for it) make 21.
func TestSessionsPerUser(t *testing.T) {
	f := newFixture(t, testdb.SQLite)
	var tokens []string
	for i := 0; i < 20; i++ {
		r := f.do(req{method: "POST", path: "/v3/user-session",
			body: map[string]any{"user": map[string]string{"email": "developer@example.com", "password": "developer-password"}}})
		if r.status != 200 {
			t.Fatalf("login %d: %d", i, r.status)
		}
		tokens = append(tokens, r.body["user"].(map[string]any)["authtoken"].(string))
	}
	old := f.do(req{method: "GET", path: "/v3/user", headers: map[string]string{"authtoken": f.tokens[Developer]}})
	wantError(t, old, 401, 105, "authtoken")
	for _, tok := range []string{tokens[0], tokens[19]} {
		if r := f.do(req{method: "GET", path: "/v3/user", headers: map[string]string{"authtoken": tok}}); r.status != 200 {
			t.Fatalf("a recent session was ended: %d", r.status)
		}
	}
}
