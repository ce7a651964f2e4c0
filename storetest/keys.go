package storetest

import (
	"bytes"
	"errors"
	"testing"

	"github.com/stackgate/stackgate"
)

// testKeys: the key binding (recorded fingerprints, first writer wins, use
// of each key id) and the batched re-sealing of delivery and preview tokens.
func testKeys(t *testing.T, s stackgate.Store) {
	sub(t, "Empty", func(t *testing.T) {
		b, err := s.KeyBinding(ctx(t))
		must(t, err)
		diff(t, "binding", &stackgate.KeyBinding{Recorded: []stackgate.KeyFingerprint{}, SealedBy: map[string]int{},
			HashedBy: map[string]map[stackgate.HashKind]int{}}, b)
	})
	sub(t, "FirstRecordWins", func(t *testing.T) {
		first := []stackgate.KeyFingerprint{{Kind: "hmac", Fingerprint: []byte("h1")}, {Kind: "enc", ID: "k1", Fingerprint: []byte("e1")}}
		must(t, s.RecordKeys(ctx(t), first))
		must(t, s.RecordKeys(ctx(t), []stackgate.KeyFingerprint{{Kind: "hmac", Fingerprint: []byte("h2")},
			{Kind: "enc", ID: "k2", Fingerprint: []byte("e2")}}))
		b, err := s.KeyBinding(ctx(t))
		must(t, err)
		diff(t, "recorded", []stackgate.KeyFingerprint{{Kind: "enc", ID: "k1", Fingerprint: []byte("e1")},
			{Kind: "enc", ID: "k2", Fingerprint: []byte("e2")}, {Kind: "hmac", Fingerprint: []byte("h1")}}, b.Recorded)
	})

	f := newFixture(t, s)
	other := newFixture(t, s)
	var tokens []*stackgate.DeliveryToken
	for i, fx := range []*fixture{f, f, f, other} {
		dt := fx.newDeliveryToken("t" + string(rune('a'+i)))
		if i == 1 {
			dt.Preview = sealed("preview")
			dt.Preview.KeyID = "k0"
		}
		must(t, s.CreateDeliveryToken(ctx(t), dt, nil, 0))
		tokens = append(tokens, dt)
	}
	sub(t, "SealedBy", func(t *testing.T) {
		b, err := s.KeyBinding(ctx(t))
		must(t, err)
		diff(t, "sealed by", map[string]int{"k1": 4, "k0": 1}, b.SealedBy)
		if !b.HasData {
			t.Fatal("HasData false with users and tokens")
		}
	})
	sub(t, "ResealMustKeepHash", func(t *testing.T) {
		n, err := s.RekeyDeliveryTokens(ctx(t), "k2", "h0", 10, func(v stackgate.Sealed) (stackgate.Sealed, error) {
			v.Hash = append([]byte("moved-"), v.Hash...)
			return v, nil
		})
		if err == nil || n != 0 {
			t.Fatalf("rekey that moved a hash: n=%d err=%v", n, err)
		}
		boom := errors.New("boom")
		if _, err := s.RekeyDeliveryTokens(ctx(t), "k2", "h0", 10, func(stackgate.Sealed) (stackgate.Sealed, error) {
			return stackgate.Sealed{}, boom
		}); !errors.Is(err, boom) {
			t.Fatalf("err = %v, want the reseal error", err)
		}
		b, err := s.KeyBinding(ctx(t))
		must(t, err)
		diff(t, "sealed by after refused rekeys", map[string]int{"k1": 4, "k0": 1}, b.SealedBy)
	})
	sub(t, "Batches", func(t *testing.T) {
		rec := record(s)
		reseal := func(v stackgate.Sealed) (stackgate.Sealed, error) {
			return stackgate.Sealed{Hash: v.Hash, Ciphertext: append([]byte("k2:"), v.Ciphertext...), KeyID: "k2"}, nil
		}
		var batches []int
		for range 10 {
			n, err := s.RekeyDeliveryTokens(ctx(t), "k2", "h0", 2, reseal)
			must(t, err)
			if n == 0 {
				break
			}
			batches = append(batches, n)
		}
		// Batches of at most 2, one stack each: f's three, then other's one.
		diff(t, "batches", []int{2, 1, 1}, batches)
		diff(t, "changes", []stackgate.Change{{StackUID: f.stack}, {StackUID: f.stack}, {StackUID: other.stack}}, rec.take())
		b, err := s.KeyBinding(ctx(t))
		must(t, err)
		diff(t, "sealed by", map[string]int{"k2": 5}, b.SealedBy)
		for _, want := range tokens {
			got, err := s.FindDeliveryToken(ctx(t), want.StackUID, want.UID)
			must(t, err)
			if !bytes.Equal(got.Secret.Hash, want.Secret.Hash) || got.Secret.KeyID != "k2" ||
				!bytes.Equal(got.Secret.Ciphertext, append([]byte("k2:"), want.Secret.Ciphertext...)) {
				t.Errorf("%s: secret %+v", want.Name, got.Secret)
			}
			if !want.Preview.IsZero() && (got.Preview.KeyID != "k2" || !bytes.Equal(got.Preview.Hash, want.Preview.Hash)) {
				t.Errorf("%s: preview %+v", want.Name, got.Preview)
			}
			// Still found by its unchanged lookup hash.
			if _, err := s.FindDeliveryTokenByHash(ctx(t), want.Secret.Hash, false); err != nil {
				t.Errorf("%s by hash: %v", want.Name, err)
			}
		}
	})
}
