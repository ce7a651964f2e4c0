package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/stackgate/stackgate"
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
		t.Run(tc.name, func(t *testing.T) { failInsert(t, "webhook_deliveries", tc.op, "webhook_deliveries", "audit_logs") })
	}
}
