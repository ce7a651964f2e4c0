package access_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/access"
	"github.com/stackgate/stackgate/authz"
	"github.com/stackgate/stackgate/http/wire/wiretest"
	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/secret"
	"github.com/stackgate/stackgate/service"
)

// countingStore counts the lookups of delivery tokens by hash.
type countingStore struct {
	stackgate.Store
	byHash atomic.Int64
}

func (c *countingStore) FindDeliveryTokenByHash(ctx context.Context, h []byte, preview bool) (*stackgate.DeliveryToken, error) {
	c.byHash.Add(1)
	return c.Store.FindDeliveryTokenByHash(ctx, h, preview)
}

// deaf hides the store's commits from the checker over it, as if it ran on
// another node whose notifications are late.
type deaf struct{ stackgate.Store }

func (deaf) OnCommit(func(stackgate.Change)) {}

// TestCacheMissFallsBackToStore: node B, whose cached snapshot predates a
// token created through node A (and whose notification has not arrived),
// finds the token in the store; an unknown token costs one store lookup per
// snapshot, not one per request.
func TestCacheMissFallsBackToStore(t *testing.T) {
	ctx := context.Background()
	st := &countingStore{Store: testdb.SQLite(t)}
	keys, _ := secret.ParseKeyFile(secret.GenerateKeyFile())
	a := newNode(st, keys, access.Config{})
	b := newNode(deaf{st}, keys, access.Config{}) // no hook, no listener: it hears nothing from a
	owner, _, _ := a.EnsureUser(ctx, "o@example.com", "password-1")
	stack, err := a.CreateStack(ctx, owner, "S")
	if err != nil {
		t.Fatal(err)
	}
	p := stackgate.Actor{Stack: stack, UID: owner.UID}
	name := "t"
	scope := json.RawMessage(`[{"module":"environment","environments":["production"]},{"module":"branch","branches":["main"]}]`)

	unknown := access.Credentials{APIKey: stack.APIKey, AccessToken: "cs000000000000000000000000"}
	for i := 0; i < 3; i++ { // b caches the stack, and the miss
		if _, err := b.AuthenticateFor(ctx, authz.CDA, unknown); !stackgate.IsCode(err, stackgate.EUNAUTHORIZED) {
			t.Fatalf("unknown token: %v", err)
		}
	}
	if n := st.byHash.Load(); n != 1 {
		t.Fatalf("an unknown token cost %d store lookups, want 1", n)
	}
	tok, err := a.CreateDeliveryToken(ctx, p, wiretest.Delivery(service.TokenInput{Name: &name}, scope), true)
	if err != nil {
		t.Fatal(err)
	}
	for api, c := range map[authz.API]access.Credentials{
		authz.CDA:     {APIKey: stack.APIKey, AccessToken: tok.Token},
		authz.Preview: {APIKey: stack.APIKey, PreviewToken: tok.PreviewToken},
	} {
		got, err := b.AuthenticateFor(ctx, api, c)
		if err != nil || got.UID != tok.UID {
			t.Fatalf("b does not see a's new token: %v", err)
		}
	}
	other, _ := a.CreateStack(ctx, owner, "Other")
	if _, err := b.AuthenticateFor(ctx, authz.CDA, access.Credentials{APIKey: other.APIKey, AccessToken: tok.Token}); !stackgate.IsCode(err, stackgate.EUNAUTHORIZED) {
		t.Fatalf("a token was accepted on another stack: %v", err)
	}
}
