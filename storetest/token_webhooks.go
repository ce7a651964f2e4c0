package storetest

import (
	"bytes"
	"testing"

	"github.com/stackgate/stackgate"
)

func (f *fixture) newTokenWebhook(url string) *stackgate.TokenWebhook {
	at := now()
	return &stackgate.TokenWebhook{StackUID: f.stack, URL: url, Events: []string{"created", "revoked"},
		Secret: sealed("webhook"), SecretHint: "abcd", CreatedBy: f.owner.UID, UpdatedBy: f.owner.UID, CreatedAt: at, UpdatedAt: at}
}

// testTokenWebhooks: a stack's token webhook round-trips (its sealed
// secret too), is one per stack, is updated with or without a new secret,
// deleted, never seen from another stack, audited in its write's
// transaction without announcing a change, counted by the key binding and
// re-sealed by RekeyTokenWebhooks.
func testTokenWebhooks(t *testing.T, s stackgate.Store) {
	f, other := newFixture(t, s), newFixture(t, s)
	w := f.newTokenWebhook("https://hooks.example.com/a")
	sub(t, "Missing", func(t *testing.T) {
		_, err := s.FindTokenWebhook(ctx(t), f.stack)
		wantCode(t, err, stackgate.ENOTFOUND, "")
		wantCode(t, s.DeleteTokenWebhook(ctx(t), f.stack), stackgate.ENOTFOUND, "")
		wantCode(t, s.UpdateTokenWebhook(ctx(t), f.newTokenWebhook("https://x.example.com")), stackgate.ENOTFOUND, "")
	})
	sub(t, "CreateFind", func(t *testing.T) {
		rec := record(s)
		must(t, s.CreateTokenWebhook(ctx(t), w))
		got, err := s.FindTokenWebhook(ctx(t), f.stack)
		must(t, err)
		diff(t, "webhook", w, got)
		wantCode(t, s.CreateTokenWebhook(ctx(t), f.newTokenWebhook("https://hooks.example.com/b")), stackgate.ECONFLICT, "token_webhook")
		_, err = s.FindTokenWebhook(ctx(t), other.stack)
		wantCode(t, err, stackgate.ENOTFOUND, "")
		diff(t, "changes", []stackgate.Change{}, rec.take())
	})
	sub(t, "Update", func(t *testing.T) {
		u := *w
		u.URL, u.Events, u.UpdatedAt, u.Secret, u.SecretHint = "https://hooks.example.com/c", []string{"expired"}, now(), stackgate.Sealed{}, ""
		must(t, s.UpdateTokenWebhook(ctx(t), &u))
		got, err := s.FindTokenWebhook(ctx(t), f.stack)
		must(t, err)
		want := *w
		want.URL, want.Events, want.UpdatedAt = u.URL, u.Events, u.UpdatedAt
		diff(t, "updated, secret kept", &want, got)

		u.Secret, u.SecretHint = sealed("rotated"), "wxyz"
		must(t, s.UpdateTokenWebhook(ctx(t), &u))
		got, err = s.FindTokenWebhook(ctx(t), f.stack)
		must(t, err)
		want.Secret, want.SecretHint = u.Secret, u.SecretHint
		diff(t, "rotated", &want, got)
		w = got
	})
	sub(t, "Audited", func(t *testing.T) {
		logs, err := s.ListAuditLogs(ctx(t), f.stack)
		must(t, err)
		var got []string
		for _, e := range logs {
			if e.Module == stackgate.AuditTokenWebhook {
				got = append(got, e.EventType+" "+e.ObjectUID)
			}
		}
		diff(t, "entries", []string{"create " + f.stack, "update " + f.stack, "rotate " + f.stack}, got)
	})
	sub(t, "KeysAndRekey", func(t *testing.T) {
		o := other.newTokenWebhook("https://hooks.example.com/other")
		o.Secret.KeyID = "k0"
		must(t, s.CreateTokenWebhook(ctx(t), o))
		b, err := s.KeyBinding(ctx(t))
		must(t, err)
		diff(t, "sealed by", map[string]int{"k1": 1, "k0": 1}, b.SealedBy)
		if !b.HasData {
			t.Error("HasData false")
		}
		n, err := s.RekeyTokenWebhooks(ctx(t), "k2", "h0", 10, func(v stackgate.Sealed) (stackgate.Sealed, error) {
			v.Hash = []byte("moved")
			return v, nil
		})
		if err == nil || n != 0 {
			t.Fatalf("rekey that moved a hash: n=%d err=%v", n, err)
		}
		rec := record(s)
		var batches []int
		for range 5 {
			n, err := s.RekeyTokenWebhooks(ctx(t), "k2", "h0", 1, func(v stackgate.Sealed) (stackgate.Sealed, error) {
				return stackgate.Sealed{Hash: v.Hash, Ciphertext: append([]byte("k2:"), v.Ciphertext...), KeyID: "k2"}, nil
			})
			must(t, err)
			if n == 0 {
				break
			}
			batches = append(batches, n)
		}
		diff(t, "batches", []int{1, 1}, batches)
		diff(t, "changes", []stackgate.Change{}, rec.take())
		b, err = s.KeyBinding(ctx(t))
		must(t, err)
		diff(t, "sealed by after rekey", map[string]int{"k2": 2}, b.SealedBy)
		for _, want := range []*stackgate.TokenWebhook{w, o} {
			got, err := s.FindTokenWebhook(ctx(t), want.StackUID)
			must(t, err)
			if got.Secret.KeyID != "k2" || !bytes.Equal(got.Secret.Hash, want.Secret.Hash) ||
				!bytes.Equal(got.Secret.Ciphertext, append([]byte("k2:"), want.Secret.Ciphertext...)) || got.URL != want.URL {
				t.Errorf("re-sealed %+v, was %+v", got, want)
			}
		}
	})
	sub(t, "Delete", func(t *testing.T) {
		must(t, s.DeleteTokenWebhook(ctx(t), f.stack))
		_, err := s.FindTokenWebhook(ctx(t), f.stack)
		wantCode(t, err, stackgate.ENOTFOUND, "")
		if _, err := s.FindTokenWebhook(ctx(t), other.stack); err != nil {
			t.Errorf("the other stack's webhook: %v", err)
		}
	})
}
