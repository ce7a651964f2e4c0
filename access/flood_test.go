package access_test

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/access"
	"github.com/stackgate/stackgate/authz"
	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/secret"
)

// readCounter counts the store reads a flood of unknown credentials could
// cause.
type readCounter struct {
	stackgate.Store
	stacks, tokens atomic.Int64
}

func (c *readCounter) LoadStack(ctx context.Context, k string) (*stackgate.StackContents, error) {
	c.stacks.Add(1)
	return c.Store.LoadStack(ctx, k)
}

func (c *readCounter) FindDeliveryTokenByHash(ctx context.Context, h []byte, preview bool) (*stackgate.DeliveryToken, error) {
	c.tokens.Add(1)
	return c.Store.FindDeliveryTokenByHash(ctx, h, preview)
}

func (c *readCounter) FindManagementTokenByHash(ctx context.Context, h []byte) (*stackgate.ManagementToken, error) {
	c.tokens.Add(1)
	return c.Store.FindManagementTokenByHash(ctx, h)
}

// Listen passes through, so the wrapper keeps the store's change feed.
func (c *readCounter) Listen(ctx context.Context, onChange func(stackgate.Change), onReset func(bool)) error {
	return c.Store.(stackgate.ChangeListener).Listen(ctx, onChange, onReset)
}

// TestUnknownAPIKeyRemembered: a repeated unknown api_key costs one store
// read; any new stack, here or on another
// node (a second handle on the same database, heard through the store's
// change feed), makes the node ask the store again, so the new stack is
// served within the propagation bound.
func TestUnknownAPIKeyRemembered(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(t *testing.T) (a, b stackgate.Store)
	}{
		{"sqlite", func(t *testing.T) (stackgate.Store, stackgate.Store) {
			path := filepath.Join(t.TempDir(), "sg.db")
			return testdb.OpenSQLite(t, path), testdb.OpenSQLite(t, path)
		}},
		{"postgres", func(t *testing.T) (stackgate.Store, stackgate.Store) {
			url := testdb.PostgresURL(t)
			return testdb.OpenPostgres(t, url), testdb.OpenPostgres(t, url)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			sa, sb := tc.open(t)
			keys, _ := secret.ParseKeyFile(secret.GenerateKeyFile())
			a := newNode(sa, keys, access.Config{})
			counted := &readCounter{Store: sb}
			b := newNode(counted, keys, access.Config{})
			go b.Listen(ctx)
			time.Sleep(300 * time.Millisecond) // b listens (sqlite: its first data_version read)

			owner, _, err := a.EnsureUser(ctx, "o@example.com", "password-1")
			if err != nil {
				t.Fatal(err)
			}
			first, err := a.CreateStack(ctx, owner, "First")
			if err != nil {
				t.Fatal(err)
			}
			// b learns of first (reset or change), then caches it.
			deadline := time.Now().Add(5 * time.Second)
			for {
				if _, err := b.AuthenticateFor(ctx, authz.CDA, access.Credentials{APIKey: first.APIKey, AccessToken: "cs0"}); stackgate.IsCode(err, stackgate.EUNAUTHORIZED) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("b never served the first stack")
				}
				time.Sleep(10 * time.Millisecond)
			}
			// b's first sight of the stack may have come from a store
			// lookup before its change listener (sqlite: the data_version
			// poll, every 200 ms) saw a's writes; let that land first, or its
			// reset would forget the unknown api_key mid-count.
			time.Sleep(500 * time.Millisecond)
			before := counted.stacks.Load()
			const unknown = "bltunknownapikey00"
			for range 1000 {
				if _, err := b.AuthenticateFor(ctx, authz.CDA, access.Credentials{APIKey: unknown, AccessToken: "cs0"}); !stackgate.IsCode(err, stackgate.ENOSTACK) {
					t.Fatalf("unknown api_key: %v", err)
				}
			}
			if n := counted.stacks.Load() - before; n != 1 {
				t.Fatalf("1000 requests with one unknown api_key read the store %d times, want 1", n)
			}
			second, err := a.CreateStack(ctx, owner, "Second")
			if err != nil {
				t.Fatal(err)
			}
			deadline = time.Now().Add(5 * time.Second)
			for {
				_, err := b.AuthenticateFor(ctx, authz.CDA, access.Credentials{APIKey: second.APIKey, AccessToken: "cs0"})
				if stackgate.IsCode(err, stackgate.EUNAUTHORIZED) {
					break // the stack is known: only the token is refused
				}
				if !stackgate.IsCode(err, stackgate.ENOSTACK) || time.Now().After(deadline) {
					t.Fatalf("a stack created on a is still unknown to b: %v", err)
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}

// TestRandomTokenFlood: once warm, a flood of random delivery tokens (which
// never repeat) is answered from memory: the store is asked at most at the
// rationed rate, whatever the number of requests.
func TestRandomTokenFlood(t *testing.T) {
	ctx := context.Background()
	counted := &readCounter{Store: testdb.SQLite(t)}
	keys, _ := secret.ParseKeyFile(secret.GenerateKeyFile())
	s := newNode(counted, keys, access.Config{})
	owner, _, _ := s.EnsureUser(ctx, "o@example.com", "password-1")
	stack, err := s.CreateStack(ctx, owner, "S")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	const n = 20000
	for range n {
		_, err := s.AuthenticateFor(ctx, authz.CDA, access.Credentials{APIKey: stack.APIKey, AccessToken: stackgate.NewTokenValue()})
		if !stackgate.IsCode(err, stackgate.EUNAUTHORIZED) {
			t.Fatalf("random token: %v", err)
		}
	}
	// At most a burst of 20 plus 20 a second: far fewer than one per request.
	limit := 20 + int64(20*time.Since(start).Seconds()) + 1
	if got := counted.tokens.Load(); got > limit || got >= n/10 {
		t.Fatalf("%d random tokens read the store %d times, want at most %d", n, got, limit)
	}
}
