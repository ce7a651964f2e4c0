package access_test

import (
	"context"
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

// loadCounter counts snapshot loads and passes Listen through.
type loadCounter struct {
	stackgate.Store
	loads atomic.Int64
}

func (c *loadCounter) LoadStack(ctx context.Context, apiKey string) (*stackgate.StackContents, error) {
	c.loads.Add(1)
	return c.Store.LoadStack(ctx, apiKey)
}

func (c *loadCounter) Listen(ctx context.Context, onChange func(stackgate.Change), onReset func(bool)) error {
	return c.Store.(stackgate.ChangeListener).Listen(ctx, onChange, onReset)
}

// TestOwnWriteRebuildsOnce: each write of a use case reaches the cache once,
// through the store's commit hook, before it returns: a created token is
// accepted and a deleted one refused at once, with one snapshot load per
// write. The write's echo (PostgreSQL's notification of it, SQLite's
// data_version) does not drop the rebuilt snapshot: no further load follows.
func TestOwnWriteRebuildsOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		ctx := t.Context()
		st := &loadCounter{Store: open(t)}
		keys, _ := secret.ParseKeyFile(secret.GenerateKeyFile())
		s := newNode(st, keys, access.Config{})
		go s.Listen(ctx)
		owner, _, err := s.EnsureUser(ctx, "o@example.com", "password-1")
		if err != nil {
			t.Fatal(err)
		}
		stack, err := s.CreateStack(ctx, owner, "S")
		if err != nil {
			t.Fatal(err)
		}
		p := stackgate.Actor{Stack: stack, UID: owner.UID}
		decide := func(token string) error {
			_, err := s.Decide(ctx, access.GateRequest{API: authz.CDA, Method: "GET", Path: "/v3/content_types", Environment: "production",
				Credentials: access.Credentials{APIKey: stack.APIKey, AccessToken: token}})
			return err
		}
		if err := decide("cs0"); !stackgate.IsCode(err, stackgate.EUNAUTHORIZED) { // caches the stack
			t.Fatalf("unknown token: %v", err)
		}
		time.Sleep(500 * time.Millisecond) // the listener is up (and the SQLite poll has read its first version)

		name := "t"
		scope := []byte(`[{"module":"environment","environments":["production"]},{"module":"branch","branches":["main"]}]`)
		for _, step := range []struct {
			name  string
			write func() (token string, err error)
			want  stackgate.Code // "" = allowed
		}{
			{"create", func() (string, error) {
				tok, err := s.CreateDeliveryToken(ctx, p, wiretest.Delivery(service.TokenInput{Name: &name}, scope), false)
				if err != nil {
					return "", err
				}
				name = tok.UID // the next step deletes it
				return tok.Token, nil
			}, ""},
			{"delete", func() (string, error) {
				tok, err := s.DeliveryToken(ctx, p, name)
				if err != nil {
					return "", err
				}
				return tok.Token, s.DeleteDeliveryToken(ctx, p, name)
			}, stackgate.EUNAUTHORIZED},
		} {
			before, reconnects := st.loads.Load(), s.ListenerStats().Reconnects
			token, err := step.write()
			if err != nil {
				t.Fatalf("%s: %v", step.name, err)
			}
			if n := st.loads.Load() - before; n != 1 {
				t.Errorf("%s: the write loaded the snapshot %d times, want 1 (its rebuild)", step.name, n)
			}
			for _, when := range []string{"as the write returned", "after its echo"} {
				err := decide(token)
				if step.want == "" && err != nil || step.want != "" && !stackgate.IsCode(err, step.want) {
					t.Fatalf("%s, %s: %v, want %q", step.name, when, err, step.want)
				}
				time.Sleep(3 * 200 * time.Millisecond) // PostgreSQL's notification arrives; SQLite polls
			}
			// A listener that lost its connection drops every snapshot when
			// it listens again (what it missed is unknown): a load more, which
			// is not the echo's doing. The shared test server drops
			// connections on a busy machine.
			if n := st.loads.Load() - before; n != 1 && s.ListenerStats().Reconnects == reconnects {
				t.Errorf("%s: %d snapshot loads in all, want 1: the write's echo dropped the rebuilt snapshot", step.name, n)
			}
		}
	})
}
