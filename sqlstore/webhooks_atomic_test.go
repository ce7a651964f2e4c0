package sqlstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/sqlstore"
)

// TestWebhookOutboxInChangeTransaction: a token event's outbox row is
// written in the change's transaction. Failing its INSERT leaves neither
// the change, its audit entry nor the row, and announces nothing; the same
// write without the failure leaves one of each.
func TestWebhookOutboxInChangeTransaction(t *testing.T) {
	for _, tc := range []struct {
		name string
		op   func(ctx context.Context, st stackgate.Store, w *world) error
	}{
		{"CreateManagementToken", func(ctx context.Context, st stackgate.Store, w *world) error {
			return st.CreateManagementToken(ctx, &stackgate.ManagementToken{UID: "bltmt000000000001", StackUID: w.seed.Stack.UID,
				Name: "ci", TokenHash: []byte("mt-hash"), Scope: []stackgate.ScopeEntry{}, CreatedAt: at, UpdatedAt: at}, nil, 0)
		}},
		{"RotateDeliveryToken", func(ctx context.Context, st stackgate.Store, w *world) error {
			return st.RotateDeliveryToken(ctx, w.seed.Stack.UID, "bltrekeyme00000",
				stackgate.Sealed{Hash: []byte("next-hash"), Ciphertext: []byte("next"), KeyID: "k1"}, at.Add(time.Hour), "bltactor", at)
		}},
		{"DeleteDeliveryToken", func(ctx context.Context, st stackgate.Store, w *world) error {
			return st.DeleteDeliveryToken(ctx, w.seed.Stack.UID, "bltrekeyme00000")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, open testdb.Opener) {
				st := open(t)
				ctx := stackgate.WithAudit(t.Context(), stackgate.AuditContext{By: "bltactor", RequestID: "r1", RemoteAddr: "192.0.2.1"})
				w := newWorld(t, st)
				sq := sqlStore(t, st)
				heard := 0
				st.OnCommit(func(stackgate.Change) { heard++ })
				before, err := sqlstore.Dump(ctx, sq)
				must(t, err)
				failed := false
				sqlstore.SetFault(sq, func(q string) string {
					if strings.HasPrefix(strings.TrimSpace(q), "INSERT INTO webhook_deliveries") {
						failed = true
						return injected
					}
					return q
				})
				err = tc.op(ctx, st, w)
				sqlstore.SetFault(sq, nil)
				if !failed || err == nil {
					t.Fatalf("the outbox insert failed: %v, the write returned %v; want both", failed, err)
				}
				after, derr := sqlstore.Dump(ctx, sq)
				must(t, derr)
				if d := cmp.Diff(before, after); d != "" {
					t.Fatalf("the outbox row failed and the change stayed (-before +after):\n%s", d)
				}
				if heard != 0 {
					t.Fatalf("a write whose outbox row failed announced %d changes", heard)
				}
				must(t, tc.op(ctx, st, w))
				after, derr = sqlstore.Dump(ctx, sq)
				must(t, derr)
				for _, table := range []string{"webhook_deliveries", "audit_logs"} {
					if got, want := len(after[table]), len(before[table])+1; got != want {
						t.Errorf("after the write: %d rows of %s, want %d", got, table, want)
					}
				}
			})
		})
	}
}
