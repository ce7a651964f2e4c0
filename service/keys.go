package service

import (
	"context"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/secret"
)

// BindKeys checks that keys belong to the data in st and records their
// fingerprints (the first node to open a database with a key records it).
// A mismatch is an error naming the fix: a node must never start with keys
// that would refuse every credential.
func BindKeys(ctx context.Context, st stackgate.KeyStore, keys *secret.Keyring) error {
	have := keys.Fingerprints()
	b, err := st.KeyBinding(ctx)
	if err != nil {
		return err
	}
	if err := b.CheckKeys(have); err != nil {
		return err
	}
	if err := st.RecordKeys(ctx, have); err != nil {
		return err
	}
	// Another node may have recorded a different key between the read and
	// the insert (two nodes first started together): check what won.
	if b, err = st.KeyBinding(ctx); err != nil {
		return err
	}
	return b.CheckKeys(have)
}

// Rekey re-seals every delivery and preview token, then every stack's
// token webhook secret, under the active key, in batches of batch values of
// one stack each, each batch one transaction under that stack's lock. Live writers and other nodes carry on meanwhile:
// lookup hashes never change (the hmac key does not rotate), and every
// batch announces its stack's change through the store's commit path, so
// every node reloads the snapshot. progress, if not nil, hears each batch.
// It returns the number of values re-sealed.
func (s *Service) Rekey(ctx context.Context, batch int, progress func(n int)) (int, error) {
	if batch <= 0 {
		batch = 100
	}
	total := 0
	for _, rekey := range []func(context.Context, string, int, func(stackgate.Sealed) (stackgate.Sealed, error)) (int, error){
		s.store.RekeyDeliveryTokens, s.store.RekeyTokenWebhooks,
	} {
		for {
			n, err := rekey(ctx, s.keys.ActiveKeyID(), batch, s.keys.Reseal)
			if err != nil {
				return total, err
			}
			if n == 0 {
				break
			}
			total += n
			if progress != nil {
				progress(n)
			}
		}
	}
	return total, nil
}

// KeyUse reports how many sealed values each encryption key id seals, so
// that an operator knows when an old key may be removed.
func (s *Service) KeyUse(ctx context.Context) (map[string]int, error) {
	b, err := s.store.KeyBinding(ctx)
	if err != nil {
		return nil, err
	}
	return b.SealedBy, nil
}
