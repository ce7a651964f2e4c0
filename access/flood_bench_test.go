package access_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/access"
	"github.com/stackgate/stackgate/authz"
	"github.com/stackgate/stackgate/http/wire/wiretest"
	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/secret"
	"github.com/stackgate/stackgate/service"
)

// BenchmarkDecideRandomTokens compares the gate's decision for valid
// delivery tokens with one for random ones (a credential-stuffing flood)
// and reports the store reads per request after warm-up (goal: 0).
//
//	go test ./access -run '^$' -bench DecideRandomTokens -benchtime 200000x
func BenchmarkDecideRandomTokens(b *testing.B) {
	ctx := context.Background()
	counted := &readCounter{Store: testdb.SQLite(b)}
	keys, _ := secret.ParseKeyFile(secret.GenerateKeyFile())
	s := newNode(counted, keys, access.Config{})
	owner, _, _ := s.EnsureUser(ctx, "o@example.com", "password-1")
	stack, err := s.CreateStack(ctx, owner, "S")
	if err != nil {
		b.Fatal(err)
	}
	p := stackgate.Actor{Stack: stack, UID: owner.UID}
	scope := json.RawMessage(`[{"module":"environment","environments":["production"]},{"module":"branch","branches":["main"]}]`)
	var valid []string
	for i := range 100 {
		name := "t" + strconv.Itoa(i)
		dt, err := s.CreateDeliveryToken(ctx, p, wiretest.Delivery(service.TokenInput{Name: &name}, scope), false)
		if err != nil {
			b.Fatal(err)
		}
		valid = append(valid, dt.Token)
	}
	random := make([]string, 1<<16)
	for i := range random {
		random[i] = stackgate.NewTokenValue()
	}
	req := access.GateRequest{API: authz.CDA, Method: "GET", Path: "/v3/content_types/blog/entries", Environment: "production"}
	for _, bc := range []struct {
		name   string
		tokens []string
	}{{"valid", valid}, {"random", random}} {
		b.Run(bc.name, func(b *testing.B) {
			r := req
			r.Credentials = access.Credentials{APIKey: stack.APIKey, AccessToken: bc.tokens[0]}
			s.Decide(ctx, r) // warm: the snapshot is loaded
			reads := counted.tokens.Load() + counted.stacks.Load()
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				r.Credentials.AccessToken = bc.tokens[i%len(bc.tokens)]
				i++
				s.Decide(ctx, r)
			}
			b.ReportMetric(float64(counted.tokens.Load()+counted.stacks.Load()-reads)/float64(b.N), "store-reads/op")
		})
	}
}
