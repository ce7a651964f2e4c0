package access

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/authz"
	"github.com/stackgate/stackgate/http/wire/wiretest"
	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/secret"
	"github.com/stackgate/stackgate/service"
)

// bigStack is a stack filled to the default limits: 100 environments, 200
// locales, 100 branches, 100 aliases, 100 custom roles of 100 rules (100
// items each), 100 members holding 3 custom roles each, 100 delivery tokens
// and 10 management tokens.
type bigStack struct {
	svc   *service.Service
	chk   *Checker
	st    stackgate.Store
	owner stackgate.Actor
	stack *stackgate.Stack
	dtok  string
}

func newBigStack(b *testing.B) *bigStack {
	ctx := context.Background()
	keys, _ := secret.ParseKeyFile(secret.GenerateKeyFile())
	// The default limits, spelled out: the stack is filled to them.
	cfg := service.Config{DeliveryTokenLimit: 100, ManagementTokenLimit: 10, Limits: service.StackLimits{
		Environments: 100, Locales: 200, Branches: 100, BranchAliases: 100, CustomRoles: 100, RulesPerRole: 100, RoleItems: 100}}
	lim := cfg.Limits
	st := testdb.SQLite(b)
	svc, chk := service.New(st, keys, cfg, nil), New(st, keys, Config{}, nil)
	owner, _, err := svc.EnsureUser(ctx, "o@example.com", "password-1")
	must(b, err)
	stack, err := svc.CreateStack(ctx, owner, "Big")
	must(b, err)
	p := stackgate.Actor{Stack: stack, UID: owner.UID}
	for i := 1; i < lim.Environments; i++ {
		name := fmt.Sprint("env", i)
		_, err := svc.CreateEnvironment(ctx, p, service.EnvironmentInput{Name: &name, URLs: []stackgate.EnvironmentURL{{URL: "https://" + name + ".example.com", Locale: "en-us"}}})
		must(b, err)
	}
	for i := 1; i < lim.Locales; i++ {
		code, name := fmt.Sprint("x-", i), "X"
		_, err := svc.CreateLocale(ctx, p, service.LocaleInput{Code: &code, Name: &name})
		must(b, err)
	}
	for i := 1; i < lim.Branches; i++ {
		_, err := svc.CreateBranch(ctx, p, fmt.Sprint("b", i), "main")
		must(b, err)
	}
	for i := 0; i < lim.BranchAliases; i++ {
		_, err := svc.PutBranchAlias(ctx, p, fmt.Sprint("a", i), fmt.Sprint("b", i%(lim.Branches-1)+1))
		must(b, err)
	}
	var roles []string
	for i := 0; i < lim.CustomRoles; i++ {
		rules := []string{`{"module":"branch","branches":["main","b1","b2"],"acl":{"read":true}}`}
		for j := 1; j < lim.RulesPerRole; j++ {
			rules = append(rules, fmt.Sprintf(`{"module":"content_type","content_types":["ct%d"],"acl":{"read":true,"sub_acl":{"read":true,"create":true,"update":true}}}`, j))
		}
		name := fmt.Sprint("Role ", i)
		r, err := svc.CreateRole(ctx, p, wiretest.Role(service.RoleInput{Name: &name}, json.RawMessage("["+strings.Join(rules, ",")+"]")))
		must(b, err)
		roles = append(roles, r.UID)
	}
	for i := range 100 {
		u, _, err := svc.EnsureUser(ctx, fmt.Sprintf("m%d@example.com", i), "password-1")
		must(b, err)
		must(b, svc.AddMember(ctx, stack.UID, u.UID, []string{roles[i%len(roles)], roles[(i+1)%len(roles)], roles[(i+2)%len(roles)]}))
	}
	scope := json.RawMessage(`[{"module":"environment","environments":["production"]},{"module":"branch","branches":["main"]}]`)
	var dtok string
	for i := range cfg.DeliveryTokenLimit {
		name := fmt.Sprint("d", i)
		dt, err := svc.CreateDeliveryToken(ctx, p, wiretest.Delivery(service.TokenInput{Name: &name}, scope), true)
		must(b, err)
		dtok = dt.Token
	}
	for i := range cfg.ManagementTokenLimit {
		name := fmt.Sprint("m", i)
		_, err := svc.CreateManagementToken(ctx, p, wiretest.Management(service.TokenInput{Name: &name}, json.RawMessage(`[{"module":"$all","acl":{"read":true}},{"module":"branch","branches":["main"]}]`)))
		must(b, err)
	}
	return &bigStack{svc: svc, chk: chk, st: st, owner: p, stack: stack, dtok: dtok}
}

func must(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}

func (w *bigStack) request() GateRequest {
	return GateRequest{API: authz.CDA, Method: "GET", Path: "/v3/content_types/blog/entries", Environment: "production",
		Credentials: Credentials{APIKey: w.stack.APIKey, AccessToken: w.dtok}}
}

// write makes one small change to the stack (an environment's URL), which
// drops its snapshot.
func (w *bigStack) write(b *testing.B, i int) {
	url := fmt.Sprintf("https://env1-%d.example.com", i)
	if _, err := w.svc.UpdateEnvironment(context.Background(), w.owner, "env1", service.EnvironmentInput{URLs: []stackgate.EnvironmentURL{{URL: url, Locale: "en-us"}}}); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkFirstDecisionAfterWrite is the gate's first decision on the
// largest stack the default limits allow, right after a write, next to a
// decision on a warm cache and to the write itself (which rebuilds the
// snapshot before it returns).
//
//	go test ./access -run '^$' -bench FirstDecisionAfterWrite -benchtime 50x
func BenchmarkFirstDecisionAfterWrite(b *testing.B) {
	w := newBigStack(b)
	ctx := context.Background()
	req := w.request()
	b.Run("warm", func(b *testing.B) {
		for b.Loop() {
			if d, err := w.chk.Decide(ctx, req); err != nil || !d.Allowed {
				b.Fatal(err, d.Reason)
			}
		}
	})
	b.Run("write", func(b *testing.B) { // the write itself, which rebuilds the snapshot
		i := 0
		for b.Loop() {
			w.write(b, i)
			i++
		}
	})
	b.Run("after-write", func(b *testing.B) {
		i := 0
		for b.Loop() {
			b.StopTimer()
			w.write(b, i)
			i++
			b.StartTimer()
			if d, err := w.chk.Decide(ctx, req); err != nil || !d.Allowed {
				b.Fatal(err, d.Reason)
			}
		}
	})
}

// BenchmarkLoadStack is the store's read of the largest stack the default
// limits allow, uncached: what the access cache pays after each write to it.
//
//	go test ./access -run '^$' -bench LoadStack -benchmem
func BenchmarkLoadStack(b *testing.B) {
	w := newBigStack(b)
	ctx := context.Background()
	cpu := testdb.ReportCPU(b)
	for b.Loop() {
		if _, err := w.st.LoadStack(ctx, w.stack.APIKey); err != nil {
			b.Fatal(err)
		}
	}
	cpu()
}

// BenchmarkDecideUnderWrites: 4 goroutines decide on the largest stack, idle
// and then while one writer loops writes to it; reports each run's p50 and
// p99 decision latency.
//
//	go test ./access -run '^$' -bench DecideUnderWrites -benchtime 20000x
func BenchmarkDecideUnderWrites(b *testing.B) {
	w := newBigStack(b)
	ctx := context.Background()
	req := w.request()
	for _, writing := range []bool{false, true} {
		name := "idle"
		if writing {
			name = "one-writer"
		}
		b.Run(name, func(b *testing.B) {
			stop := make(chan struct{})
			var writer sync.WaitGroup
			if writing {
				writer.Go(func() {
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						w.write(b, i)
					}
				})
			}
			const workers = 4
			lat := make([][]time.Duration, workers)
			var wg sync.WaitGroup
			per := max(1, b.N/workers)
			b.ResetTimer()
			for g := range workers {
				wg.Go(func() {
					l := make([]time.Duration, 0, per)
					for range per {
						t0 := time.Now()
						if d, err := w.chk.Decide(ctx, req); err != nil || !d.Allowed {
							b.Error(err, d.Reason)
							return
						}
						l = append(l, time.Since(t0))
					}
					lat[g] = l
				})
			}
			wg.Wait()
			b.StopTimer()
			close(stop)
			writer.Wait()
			all := slices.Concat(lat...)
			slices.Sort(all)
			if len(all) > 0 {
				b.ReportMetric(float64(all[len(all)/2].Nanoseconds()), "p50-ns")
				b.ReportMetric(float64(all[len(all)*99/100].Nanoseconds()), "p99-ns")
			}
		})
	}
}
