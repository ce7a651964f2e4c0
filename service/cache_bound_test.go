package service_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stackgate/stackgate"
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
	s := service.New(testdb.SQLite(t), keys, service.Config{CacheMaxStacks: 3}, nil)
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
			if _, err := s.AuthenticateAny(ctx, service.Credentials{APIKey: st.APIKey, AccessToken: "cs0"}); !stackgate.IsCode(err, stackgate.EUNAUTHORIZED) {
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

// blockingStore holds the first stack lookup until released.
type blockingStore struct {
	stackgate.Store
	loads   atomic.Int64
	release chan struct{}
}

func (b *blockingStore) FindStackByAPIKey(ctx context.Context, k string) (*stackgate.Stack, error) {
	b.loads.Add(1)
	<-b.release
	return b.Store.FindStackByAPIKey(ctx, k)
}

// TestCacheLoadsCoalesced: many requests for a stack that is not cached
// (after a write, or a cold start) share one load.
func TestCacheLoadsCoalesced(t *testing.T) {
	ctx := context.Background()
	keys, _ := secret.ParseKeyFile(secret.GenerateKeyFile())
	st := &blockingStore{Store: testdb.SQLite(t), release: make(chan struct{})}
	close(st.release)
	s := service.New(st, keys, service.Config{}, nil)
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
			if _, err := s.AuthenticateAny(ctx, service.Credentials{APIKey: stack.APIKey, AccessToken: "cs0"}); !stackgate.IsCode(err, stackgate.EUNAUTHORIZED) {
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
