package access

import (
	"context"
	"encoding/json"
	"net/netip"
	"testing"
	"time"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/authz"
	"github.com/stackgate/stackgate/http/wire/wiretest"
	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/secret"
	"github.com/stackgate/stackgate/service"
)

// BenchmarkDecideLimited is the gate's decision on a cache hit for a
// delivery token with a rate limit and an allow list, then Admit: both
// must allocate nothing (the limits are compiled at snapshot build).
func BenchmarkDecideLimited(b *testing.B) {
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
	name := "d"
	in := wiretest.Delivery(service.TokenInput{Name: &name}, json.RawMessage(`[{"module":"environment","environments":["production"]},{"module":"branch","branches":["main"]}]`))
	in.RateLimit, in.IPAllow = json.RawMessage(`100`), json.RawMessage(`["10.0.0.0/8","192.0.2.0/24","2001:db8::/32"]`)
	dt, err := svc.CreateDeliveryToken(ctx, stackgate.Actor{Stack: stack, UID: owner.UID}, in, false)
	if err != nil {
		b.Fatal(err)
	}
	// A clock that moves 10 ms a call: the bucket (100/s) never runs dry.
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	chk.Now = func() time.Time { now = now.Add(10 * time.Millisecond); return now }
	req := GateRequest{API: authz.CDA, Method: "GET", Path: "/v3/content_types/blog/entries", Environment: "production",
		Credentials: Credentials{APIKey: stack.APIKey, AccessToken: dt.Token}}
	client := netip.MustParseAddr("192.0.2.7")
	if d, err := chk.Decide(ctx, req); err != nil || !d.Allowed || !d.Principal.Limited() {
		b.Fatalf("not allowed or not limited: %+v %v", d, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		d, _ := chk.Decide(ctx, req)
		if _, err := chk.Admit(d.Principal, client, false, true); !d.Allowed || err != nil {
			b.Fatal("refused", err)
		}
	}
}
