package access_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/access"
	"github.com/stackgate/stackgate/authz"
	"github.com/stackgate/stackgate/http/wire/wiretest"
	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/secret"
	"github.com/stackgate/stackgate/service"
)

// TestCacheBounded: with CacheMaxStacks 3, touching 10 stacks keeps at most
// 3 cached, counts the evictions, and an evicted stack is simply loaded
// again when next asked for.
func TestCacheBounded(t *testing.T) {
	ctx := context.Background()
	keys, _ := secret.ParseKeyFile(secret.GenerateKeyFile())
	s := newNode(testdb.SQLite(t), keys, access.Config{CacheMaxStacks: 3})
	owner, _, _ := s.EnsureUser(ctx, "o@example.com", "password-1")
	var stacks []*stackgate.Stack
	for i := range 10 {
		st, err := s.CreateStack(ctx, owner, fmt.Sprint("S", i))
		if err != nil {
			t.Fatal(err)
		}
		stacks = append(stacks, st)
	}
	for round := range 2 {
		for _, st := range stacks {
			if _, err := s.AuthenticateFor(ctx, authz.CDA, access.Credentials{APIKey: st.APIKey, AccessToken: "cs0"}); !stackgate.IsCode(err, stackgate.EUNAUTHORIZED) {
				t.Fatalf("round %d, stack %s: %v", round, st.Name, err)
			}
			if n := s.CacheStats().Stacks; n > 3 {
				t.Fatalf("%d stacks cached, want at most 3", n)
			}
		}
	}
	if ev := s.CacheStats().Evictions; ev < 17 {
		t.Errorf("%d evictions after touching 10 stacks twice with room for 3, want at least 17", ev)
	}
}

// blockingStore holds the first stack load until released.
type blockingStore struct {
	stackgate.Store
	loads   atomic.Int64
	release chan struct{}
}

func (b *blockingStore) LoadStack(ctx context.Context, k string) (*stackgate.StackContents, error) {
	b.loads.Add(1)
	<-b.release
	return b.Store.LoadStack(ctx, k)
}

// TestCacheLoadsCoalesced: many requests for a stack that is not cached
// (after a write, or a cold start) share one load.
func TestCacheLoadsCoalesced(t *testing.T) {
	ctx := context.Background()
	keys, _ := secret.ParseKeyFile(secret.GenerateKeyFile())
	st := &blockingStore{Store: testdb.SQLite(t), release: make(chan struct{})}
	close(st.release)
	s := newNode(st, keys, access.Config{})
	owner, _, _ := s.EnsureUser(ctx, "o@example.com", "password-1")
	stack, err := s.CreateStack(ctx, owner, "S")
	if err != nil {
		t.Fatal(err)
	}
	st.release = make(chan struct{})
	st.loads.Store(0)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := s.AuthenticateFor(ctx, authz.CDA, access.Credentials{APIKey: stack.APIKey, AccessToken: "cs0"}); !stackgate.IsCode(err, stackgate.EUNAUTHORIZED) {
				t.Error(err)
			}
		})
	}
	time.Sleep(100 * time.Millisecond) // let them queue up behind the first load (not a timing assertion)
	close(st.release)
	wg.Wait()
	if n := st.loads.Load(); n != 1 {
		t.Errorf("20 concurrent requests made %d loads, want 1", n)
	}
}

// gatedStore holds snapshot loads while gate is set, until released.
type gatedStore struct {
	stackgate.Store
	mu      sync.Mutex
	gate    chan struct{}
	waiting chan struct{}
}

func (g *gatedStore) LoadStack(ctx context.Context, apiKey string) (*stackgate.StackContents, error) {
	g.mu.Lock()
	gate, waiting := g.gate, g.waiting
	g.mu.Unlock()
	if gate != nil {
		waiting <- struct{}{}
		<-gate
	}
	return g.Store.LoadStack(ctx, apiKey)
}

// TestWriteDoesNotStallDecisions: while a write rebuilds its stack's
// snapshot (held here), decisions on that stack are answered from the
// previous snapshot at once; when the write returns, its effect is seen
// (a deleted token is refused).
func TestWriteDoesNotStallDecisions(t *testing.T) {
	ctx := context.Background()
	keys, _ := secret.ParseKeyFile(secret.GenerateKeyFile())
	st := &gatedStore{Store: testdb.SQLite(t)}
	s := newNode(st, keys, access.Config{})
	owner, _, _ := s.EnsureUser(ctx, "o@example.com", "password-1")
	stack, err := s.CreateStack(ctx, owner, "S")
	if err != nil {
		t.Fatal(err)
	}
	p := stackgate.Actor{Stack: stack, UID: owner.UID}
	name := "t"
	tok, err := s.CreateDeliveryToken(ctx, p, wiretest.Delivery(service.TokenInput{Name: &name},
		[]byte(`[{"module":"environment","environments":["production"]},{"module":"branch","branches":["main"]}]`)), false)
	if err != nil {
		t.Fatal(err)
	}
	req := access.GateRequest{API: authz.CDA, Method: "GET", Path: "/v3/content_types/blog/entries", Environment: "production",
		Credentials: access.Credentials{APIKey: stack.APIKey, AccessToken: tok.Token}}
	if d, err := s.Decide(ctx, req); err != nil || !d.Allowed {
		t.Fatalf("before: %v %v", d, err)
	}
	st.mu.Lock()
	st.gate, st.waiting = make(chan struct{}), make(chan struct{}, 1)
	gate, waiting := st.gate, st.waiting
	st.mu.Unlock()
	done := make(chan error, 1)
	go func() { done <- s.DeleteDeliveryToken(ctx, p, tok.UID) }()
	<-waiting // the write is rebuilding the snapshot
	decided := make(chan bool, 1)
	go func() {
		d, err := s.Decide(ctx, req)
		decided <- err == nil && d.Allowed
	}()
	select {
	case allowed := <-decided:
		if !allowed {
			t.Error("during the rebuild the previous snapshot should still decide")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a decision waited for the write's rebuild")
	}
	st.mu.Lock()
	st.gate = nil
	st.mu.Unlock()
	close(gate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := s.Decide(ctx, req); !stackgate.IsCode(err, stackgate.EUNAUTHORIZED) {
		t.Fatalf("after the delete returned: %v, want 401", err)
	}
}
