package access

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/authz"
	"github.com/stackgate/stackgate/http/wire/wiretest"
	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/secret"
	"github.com/stackgate/stackgate/service"
)

// benchWorld is a stack with one credential of each kind.
type benchWorld struct {
	chk                         *Checker
	apiKey                      string
	authtoken, mgmt, dtok, ptok string
	bearer                      string // the developer's OAuth access token
	svc                         *service.Service
	owner                       stackgate.Actor
}

func newBenchWorld(b *testing.B) *benchWorld {
	ctx := context.Background()
	keys, _ := secret.ParseKeyFile(secret.GenerateKeyFile())
	st := testdb.SQLite(b)
	svc, chk := service.New(st, keys, service.Config{}, nil), New(st, keys, Config{}, nil)
	owner, _, err := svc.EnsureUser(ctx, "o@example.com", "password-1")
	if err != nil {
		b.Fatal(err)
	}
	stack, err := svc.CreateStack(ctx, owner, "S")
	if err != nil {
		b.Fatal(err)
	}
	p := stackgate.Actor{Stack: stack, UID: owner.UID}
	dev, _, _ := svc.EnsureUser(ctx, "d@example.com", "password-1")
	role, _ := svc.RoleByName(ctx, stack.UID, "Developer")
	if err := svc.AddMember(ctx, stack.UID, dev.UID, []string{role.UID}); err != nil {
		b.Fatal(err)
	}
	_, authtoken, err := svc.Login(ctx, "d@example.com", "password-1")
	if err != nil {
		b.Fatal(err)
	}
	n1, n2 := "m", "d"
	mt, err := svc.CreateManagementToken(ctx, p, wiretest.Management(service.TokenInput{Name: &n1}, json.RawMessage(`[{"module":"$all","acl":{"read":true,"write":true}},{"module":"branch","branches":["main"]}]`)))
	if err != nil {
		b.Fatal(err)
	}
	dt, err := svc.CreateDeliveryToken(ctx, p, wiretest.Delivery(service.TokenInput{Name: &n2}, json.RawMessage(`[{"module":"environment","environments":["production"]},{"module":"branch","branches":["main"]}]`)), true)
	if err != nil {
		b.Fatal(err)
	}
	app, secret, err := svc.AddApp(ctx, service.AppSpec{Name: "app", RedirectURIs: []string{"http://localhost:8184"}, Secret: true})
	if err != nil {
		b.Fatal(err)
	}
	to, err := svc.Authorize(ctx, dev.UID, service.Consent{AppUID: app.UID, ClientID: app.ClientID})
	if err != nil {
		b.Fatal(err)
	}
	u, _ := url.Parse(to)
	g, err := svc.Token(ctx, service.TokenRequest{GrantType: "authorization_code", ClientID: app.ClientID, ClientSecret: secret, Code: u.Query().Get("code")})
	if err != nil {
		b.Fatal(err)
	}
	return &benchWorld{chk: chk, apiKey: stack.APIKey, authtoken: authtoken, mgmt: mt.Token, dtok: dt.Token, ptok: dt.PreviewToken,
		bearer: "Bearer " + g.AccessToken, svc: svc, owner: p}
}

// BenchmarkAuthenticateManagementToken compares authenticating a request
// with a management token from the cache and from the store (the cache
// emptied before every request, as after a write to the stack).
func BenchmarkAuthenticateManagementToken(b *testing.B) {
	w := newBenchWorld(b)
	ctx := context.Background()
	c := Credentials{APIKey: w.apiKey, Authorization: w.mgmt}
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := w.chk.Authenticate(ctx, c); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("uncached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			w.chk.cache.reset(true)
			if _, err := w.chk.Authenticate(ctx, c); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDecide is the gate's whole decision on a cache hit, per
// credential kind: authenticate, match the route, resolve the branch, decide.
func BenchmarkDecide(b *testing.B) {
	w := newBenchWorld(b)
	ctx := context.Background()
	cda := GateRequest{API: authz.CDA, Method: "GET", Path: "/v3/content_types/blog/entries", Environment: "production"}
	preview := GateRequest{API: authz.Preview, Method: "GET", Path: "/v3/content_types/blog/entries", Environment: "production"}
	cma := GateRequest{API: authz.CMA, Method: "PUT", Path: "/v3/content_types/blog/entries/bltentry"}
	for _, k := range []struct {
		name string
		req  GateRequest
		cred Credentials
	}{
		{"delivery_token", cda, Credentials{APIKey: w.apiKey, AccessToken: w.dtok}},
		{"preview_token", preview, Credentials{APIKey: w.apiKey, PreviewToken: w.ptok}},
		{"management_token", cma, Credentials{APIKey: w.apiKey, Authorization: w.mgmt}},
		{"authtoken", cma, Credentials{APIKey: w.apiKey, Authtoken: w.authtoken}},
		{"oauth_user", cma, Credentials{APIKey: w.apiKey, Authorization: w.bearer}},
	} {
		b.Run(k.name, func(b *testing.B) {
			req := k.req
			req.Credentials = k.cred
			if d, err := w.chk.Decide(ctx, req); err != nil || !d.Allowed {
				b.Fatalf("not allowed: %+v %v", d, err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if d, _ := w.chk.Decide(ctx, req); !d.Allowed {
					b.Fatal("denied")
				}
			}
		})
	}
}
