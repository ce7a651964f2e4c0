package http_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/access"
	sghttp "github.com/stackgate/stackgate/http"
	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/secret"
	"github.com/stackgate/stackgate/service"
	"golang.org/x/crypto/argon2"
)

// fixture is a real router over a real store with one stack and a member
// of each kind, logged in.
type fixture struct {
	t        testing.TB
	svc      *service.Service
	acc      *access.Checker
	srv      *sghttp.Server
	store    stackgate.Store
	stack    *stackgate.Stack
	other    *stackgate.Stack // a second stack, owned by "outsider"
	tokens   map[cred]string  // member → authtoken: Owner, Admin, Developer, ContentManager, Outsider
	users    map[cred]*stackgate.User
	roleUIDs map[string]string // system role name → uid
}

var testKeys = func() *secret.Keyring {
	k, err := secret.ParseKeyFile(secret.GenerateKeyFile())
	if err != nil {
		panic(err)
	}
	return k
}()

// cheapPasswordHash is an argon2id PHC hash of password made with argon2's
// smallest parameters, once per password: every test makes the fixture's
// users, and hashing and verifying at the shipped cost (secret.HashPassword)
// was most of a fixture's time under -race. Login verifies with the
// parameters the stored hash names, so these users still sign in through the
// real path; users made by EnsureUser or the API get the shipped cost.
var cheapPasswordHash = func() func(string) string {
	var mu sync.Mutex
	memo := map[string]string{}
	return func(password string) string {
		mu.Lock()
		defer mu.Unlock()
		if h, ok := memo[password]; ok {
			return h
		}
		salt := []byte("fixture-salt-16b")
		key := argon2.IDKey([]byte(password), salt, 1, 8, 1, 32)
		b64 := base64.RawStdEncoding
		h := fmt.Sprintf("$argon2id$v=%d$m=8,t=1,p=1$%s$%s", argon2.Version, b64.EncodeToString(salt), b64.EncodeToString(key))
		memo[password] = h
		return h
	}
}()

// newServices wires the use cases and an access checker over st, as serve
// does. The checker reads the service's clock, which tests move.
func newServices(st stackgate.Store, cfg service.Config) (*service.Service, *access.Checker) {
	svc := service.New(st, testKeys, cfg, slog.New(slog.DiscardHandler))
	acc := access.New(st, testKeys, access.Config{}, nil)
	acc.Now = func() time.Time { return svc.Now() }
	return svc, acc
}

func newFixture(t testing.TB, open testdb.Opener) *fixture {
	t.Helper()
	ctx := context.Background()
	st := open(t)
	svc, acc := newServices(st, service.Config{})
	f := &fixture{t: t, svc: svc, acc: acc, srv: sghttp.NewServer(svc, acc, nil), store: st,
		tokens: map[cred]string{}, users: map[cred]*stackgate.User{}, roleUIDs: map[string]string{}}
	mustUser := func(who cred) *stackgate.User {
		email := who.email()
		name, _, _ := strings.Cut(email, "@")
		now := svc.Now()
		u := &stackgate.User{UID: stackgate.NewUID(), Email: email, Username: name, FirstName: name,
			OrgUID: "blt" + strings.Repeat("0", 13) + "org", PasswordHash: cheapPasswordHash(who.password()), CreatedAt: now, UpdatedAt: now}
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatalf("user %s: %v", who, err)
		}
		f.users[who] = u
		return u
	}
	owner := mustUser(Owner)
	var err error
	if f.stack, err = svc.CreateStack(ctx, owner, "Fixture Stack"); err != nil {
		t.Fatalf("stack: %v", err)
	}
	if f.other, err = svc.CreateStack(ctx, mustUser(Outsider), "Other Stack"); err != nil {
		t.Fatalf("other stack: %v", err)
	}
	for who, role := range map[cred]string{Admin: stackgate.RoleAdmin, Developer: stackgate.RoleDeveloper,
		ContentManager: stackgate.RoleContentManager} {
		u := mustUser(who)
		r, err := svc.RoleByName(ctx, f.stack.UID, role)
		if err != nil {
			t.Fatalf("role %s: %v", role, err)
		}
		f.roleUIDs[role] = r.UID
		if err := svc.AddMember(ctx, f.stack.UID, u.UID, []string{r.UID}); err != nil {
			t.Fatalf("member %s: %v", who, err)
		}
	}
	for who := range f.users {
		_, token, err := svc.Login(ctx, who.email(), who.password())
		if err != nil {
			t.Fatalf("login %s: %v", who, err)
		}
		f.tokens[who] = token
	}
	return f
}

// reply is a decoded response.
type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

// req describes one request; headers are set verbatim.
type req struct {
	method  string
	path    string
	headers map[string]string
	body    any // string is sent raw; anything else is JSON-encoded; nil sends nothing
}

func (f *fixture) do(r req) reply {
	f.t.Helper()
	var body io.Reader
	switch b := r.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			f.t.Fatal(err)
		}
		body = bytes.NewReader(data)
	}
	hr := httptest.NewRequest(r.method, r.path, body)
	for k, v := range r.headers {
		hr.Header.Set(k, v)
	}
	if r.body != nil && hr.Header.Get("Content-Type") == "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, hr)
	out := reply{status: w.Code, header: w.Header(), raw: w.Body.Bytes()}
	if len(out.raw) > 0 {
		if err := json.Unmarshal(out.raw, &out.body); err != nil {
			f.t.Fatalf("%s %s: response is not a JSON object: %v: %q", r.method, r.path, err, out.raw)
		}
	}
	return out
}

// cred is what a request authenticates with: nothing (NoHeaders), the
// session of one of the fixture's users (Owner … Ghost), or one of the
// broken credentials after them. f.headersFor turns it into headers.
type cred int

const (
	NoHeaders      cred = iota // nothing at all (the zero value: a row that names no credential sends none)
	Owner                      // owns the fixture stack
	Admin                      // member with the Admin role
	Developer                  // member with the Developer role
	ContentManager             // member with the Content Manager role
	Outsider                   // owns the other stack, not a member of the fixture stack
	Ghost                      // a user the fixture does not make: a test may sign one up (f.tokens[Ghost])

	NoCredential           // api_key only
	NoAPIKey               // the owner's authtoken without an api_key
	UnknownAPIKey          // the owner's authtoken with an unknown api_key
	BothCredentials        // an authtoken and an authorization
	BearerToken            // authorization: Bearer <no OAuth token>
	BadAuthtoken           // an authtoken that is no session
	UnknownManagementToken // an authorization no token has
)

var credNames = [...]string{Owner: "owner", Admin: "admin", Developer: "developer", ContentManager: "content_manager",
	Outsider: "outsider", Ghost: "ghost", NoCredential: "none", NoAPIKey: "nostack", UnknownAPIKey: "badstack", BothCredentials: "both",
	BearerToken: "bearer", BadAuthtoken: "bad", UnknownManagementToken: "badmgmt", NoHeaders: "no headers"}

func (c cred) String() string   { return credNames[c] }
func (c cred) email() string    { return c.String() + "@example.com" }
func (c cred) password() string { return c.String() + "-password" }

// as returns the headers of a user of the fixture on the fixture stack.
func (f *fixture) as(who cred) map[string]string {
	if who < Owner || who > Ghost {
		f.t.Fatalf("as(%v): not a user; use headersFor", who)
	}
	return map[string]string{"api_key": f.stack.APIKey, "authtoken": f.tokens[who]}
}

// withToken returns the headers of a management token on the fixture stack.
func (f *fixture) withToken(token string) map[string]string {
	return map[string]string{"api_key": f.stack.APIKey, "authorization": token}
}

// wantError checks the Contentstack error shape.
func wantError(t testing.TB, got reply, status, code int, field string) {
	t.Helper()
	if got.status != status {
		t.Fatalf("status = %d, want %d; body %s", got.status, status, got.raw)
	}
	if c, _ := got.body["error_code"].(float64); int(c) != code {
		t.Fatalf("error_code = %v, want %d; body %s", got.body["error_code"], code, got.raw)
	}
	if _, ok := got.body["error_message"].(string); !ok {
		t.Fatalf("error_message missing; body %s", got.raw)
	}
	errs, ok := got.body["errors"].(map[string]any)
	if !ok {
		t.Fatalf("errors is not an object; body %s", got.raw)
	}
	if field != "" {
		if _, ok := errs[field]; !ok {
			t.Fatalf("errors has no %q; body %s", field, got.raw)
		}
	}
}

// newFixtureWithLimits returns a fixture over the same store and stack as f
// whose service has the given token limits.
func newFixtureWithLimits(t testing.TB, f *fixture, delivery, management int) *fixture {
	svc, acc := newServices(f.store, service.Config{DeliveryTokenLimit: delivery, ManagementTokenLimit: management})
	g := *f
	g.svc, g.acc, g.srv = svc, acc, sghttp.NewServer(svc, acc, nil)
	return &g
}
