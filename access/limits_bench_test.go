package access

import (
	"context"
	"encoding/json"
	"net/netip"
	"testing"
	"time"

	"github.com/stackgate/stackgate/authz"
	"github.com/stackgate/stackgate/http/wire/wiretest"
	"github.com/stackgate/stackgate/service"
)

// BenchmarkDecideLimited is the gate's decision on a cache hit for a
// delivery token with a rate limit and an allow list, then Admit: both
// must allocate nothing (the limits are compiled at snapshot build).
func BenchmarkDecideLimited(b *testing.B) {
	w := newBenchWorld(b)
	chk, ctx := w.chk, context.Background()
	name := "limited"
	in := wiretest.Delivery(service.TokenInput{Name: &name}, json.RawMessage(`[{"module":"environment","environments":["production"]},{"module":"branch","branches":["main"]}]`))
	in.RateLimit, in.IPAllow = json.RawMessage(`100`), json.RawMessage(`["10.0.0.0/8","192.0.2.0/24","2001:db8::/32"]`)
	dt, err := w.svc.CreateDeliveryToken(ctx, w.owner, in, false)
	if err != nil {
		b.Fatal(err)
	}
	// A clock that moves 10 ms a call: the bucket (100/s) never runs dry.
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	chk.Now = func() time.Time { now = now.Add(10 * time.Millisecond); return now }
	req := GateRequest{API: authz.CDA, Method: "GET", Path: "/v3/content_types/blog/entries", Environment: "production",
		Credentials: Credentials{APIKey: w.apiKey, AccessToken: dt.Token}}
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
