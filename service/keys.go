package service

import (
	"context"
	"fmt"
	"slices"
	"strings"

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
	if err := b.CheckKeys(have); err != nil {
		return err
	}
	// Lookups try an older hmac key only while it hashes something.
	keys.UseOlderHMACKeys(func(id string) bool { return b.Hashed(id) > 0 })
	return nil
}

// Rekey re-seals every delivery and preview token, then every stack's
// token webhook secret, under the active encryption key and re-hashes it
// under the active hmac key, in batches of batch values of one stack each,
// each batch one transaction under that stack's lock. Live writers and
// other nodes carry on meanwhile: every batch announces its stack's change
// through the store's commit path, so every node reloads the snapshot
// (indexed by the new hashes), and until then a node finds a token under
// its older hmac key. Hash-only credentials move on their next use
// (access, secretMatches). progress, if not nil, hears each batch. It
// returns the number of values re-sealed.
func (s *Service) Rekey(ctx context.Context, batch int, progress func(n int)) (int, error) {
	if batch <= 0 {
		batch = 100
	}
	total := 0
	for _, rekey := range []func(context.Context, string, string, int, func(stackgate.Sealed) (stackgate.Sealed, error)) (int, error){
		s.store.RekeyDeliveryTokens, s.store.RekeyTokenWebhooks,
	} {
		for {
			n, err := rekey(ctx, s.keys.ActiveKeyID(), s.keys.HMACKeyID(), batch, s.keys.Reseal)
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

// KeyUse reports how many sealed values each encryption key id seals and
// how many live hashes each hmac key id makes, by kind, so that an operator
// knows when an old key may be removed.
func (s *Service) KeyUse(ctx context.Context) (*stackgate.KeyBinding, error) {
	return s.store.KeyBinding(ctx)
}

// RetireHMACKey revokes what the older hmac key id still hashes and cannot
// move (README, key rotation), after which it may leave the key file. The
// active key, or one the key file lacks, is refused (EINVALID on
// "hmac_key"), nothing changed.
func (s *Service) RetireHMACKey(ctx context.Context, id string) ([]stackgate.Hashed, error) {
	if err := s.CheckRetireHMACKey(id); err != nil {
		return nil, err
	}
	return s.store.RetireHMACKey(ctx, id)
}

// CheckRetireHMACKey says whether id names an older hmac key of the ring.
func (s *Service) CheckRetireHMACKey(id string) error {
	switch {
	case id == s.keys.HMACKeyID():
		return stackgate.FieldError(stackgate.EINVALID, "hmac_key",
			fmt.Sprintf("%q is the active hmac key (the key file's first hmac line): put the new key first.", id))
	case !slices.Contains(s.keys.HMACKeyIDs(), id):
		return stackgate.FieldError(stackgate.EINVALID, "hmac_key",
			fmt.Sprintf("the key file has no hmac key %q (it has %s).", id, strings.Join(s.keys.HMACKeyIDs(), ", ")))
	}
	return nil
}

// findByHash looks value up under each hmac key, the active one first: a
// value stored before the active key took over is found under its own.
func findByHash[T any](keys *secret.Keyring, value string, find func(hash []byte) (T, error)) (T, error) {
	hashes, _ := keys.Hashes(value)
	var t T
	var err error
	for _, h := range hashes {
		if t, err = find(h); !stackgate.IsCode(err, stackgate.ENOTFOUND) {
			return t, err
		}
	}
	return t, err
}
