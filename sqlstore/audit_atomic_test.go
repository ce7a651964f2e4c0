package sqlstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/sqlstore"
)

// TestAuditEntryInChangeTransaction: the audit entry is written in the
// transaction of its change. Failing the entry's INSERT (the last statement,
// after the change itself) must leave neither the change nor the entry, and
// announce nothing; the same write without the failure leaves both.
func TestAuditEntryInChangeTransaction(t *testing.T) {
	for _, tc := range []struct {
		name string
		op   func(ctx context.Context, st stackgate.Store, w *world) error
	}{
		{"DeleteRole", func(ctx context.Context, st stackgate.Store, w *world) error {
			return st.DeleteRole(ctx, w.seed.Stack.UID, w.roles[1].UID)
		}},
		{"SetMemberRoles", func(ctx context.Context, st stackgate.Store, w *world) error {
			return st.SetMemberRoles(ctx, w.seed.Stack.UID, map[string][]string{w.alice.UID: {w.roles[0].UID}}, 0)
		}},
		{"Login", func(ctx context.Context, st stackgate.Store, w *world) error {
			return st.CreateSession(ctx, &stackgate.Session{TokenHash: []byte("s"), UserUID: w.alice.UID, CreatedAt: at}, 0)
		}},
		{"Logout", func(ctx context.Context, st stackgate.Store, w *world) error {
			return st.DeleteSession(ctx, w.alice.UID, []byte("old"))
		}},
		{"Share", func(ctx context.Context, st stackgate.Store, w *world) error {
			return st.PutStackInvitations(ctx, []*stackgate.StackInvitation{{UID: "bltinvitedave0000", StackUID: w.seed.Stack.UID,
				Email: "dave@example.com", RoleUIDs: []string{w.roles[0].UID}, InvitedBy: w.owner.UID, CreatedAt: at}}, 0, 0)
		}},
		{"AcceptStackInvitation", func(ctx context.Context, st stackgate.Store, w *world) error {
			_, err := st.AcceptStackInvitation(ctx, "bltinvitecarol0000", w.carol.Email, w.carol.UID, 0)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { failInsert(t, "audit_logs", tc.op, "audit_logs") })
	}
	// A stack's token webhook, made with its entry or not at all.
	t.Run("CreateTokenWebhook", func(t *testing.T) {
		failInsert(t, "audit_logs", func(ctx context.Context, st stackgate.Store, w *world) error {
			return st.CreateTokenWebhook(ctx, &stackgate.TokenWebhook{StackUID: w.seed.Stack.UID, URL: "https://hooks.example.com",
				Events: []string{"created"}, Secret: stackgate.Sealed{Hash: []byte("h"), Ciphertext: []byte("c"), KeyID: "k1"},
				CreatedAt: at, UpdatedAt: at})
		}, "audit_logs", "token_webhooks")
	})
}

// failInsert runs op on both stores twice: first with the INSERT INTO
// table of its transaction failing (nothing may be left or announced),
// then without (each of the grown tables has one row more).
func failInsert(t *testing.T, table string, op func(ctx context.Context, st stackgate.Store, w *world) error, grown ...string) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		st := open(t)
		ctx := stackgate.WithAudit(t.Context(), stackgate.AuditContext{By: "bltactor", RequestID: "r1", RemoteAddr: "192.0.2.1"})
		w := newWorld(t, st)
		must(t, st.CreateSession(ctx, &stackgate.Session{TokenHash: []byte("old"), UserUID: w.alice.UID, CreatedAt: at}, 0))
		sq := sqlStore(t, st)
		heard := 0
		st.OnCommit(func(stackgate.Change) { heard++ })
		before, err := sqlstore.Dump(ctx, sq)
		must(t, err)
		failed := false
		sqlstore.SetFault(sq, func(q string) string {
			if strings.HasPrefix(strings.TrimSpace(q), "INSERT INTO "+table) {
				failed = true
				return injected
			}
			return q
		})
		err = op(ctx, st, w)
		sqlstore.SetFault(sq, nil)
		if !failed || err == nil {
			t.Fatalf("the insert into %s failed: %v, the write returned %v; want both", table, failed, err)
		}
		after, derr := sqlstore.Dump(ctx, sq)
		must(t, derr)
		if d := cmp.Diff(before, after); d != "" {
			t.Fatalf("the insert into %s failed and the change stayed (-before +after):\n%s", table, d)
		}
		if heard != 0 {
			t.Fatalf("a write whose insert into %s failed announced %d changes", table, heard)
		}
		must(t, op(ctx, st, w))
		after, derr = sqlstore.Dump(ctx, sq)
		must(t, derr)
		for _, g := range grown {
			if got, want := len(after[g]), len(before[g])+1; got != want {
				t.Errorf("after the write: %d rows of %s, want %d", got, g, want)
			}
		}
	})
}
