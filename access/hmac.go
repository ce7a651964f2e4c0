package access

import (
	"context"
	"crypto/sha256"

	"github.com/stackgate/stackgate"
)

// Several hmac keys (README, key rotation): a credential is hashed under the
// key file's first hmac key and looked up by that hash, so a ring of one key,
// and every credential hashed under the active key, costs nothing more. Only
// a credential not found under the active key is hashed under each older key
// and looked up again (snapshot or cache first, then the store): a value
// stored before the active key took over. Older keys that hashed nothing
// when the node started are not tried (secret.Keyring.UseOlderHMACKeys,
// from service.BindKeys); an older key's line leaves the key file once
// `stackgate rekey` says it hashes nothing (CheckKeys refuses to start
// without a key that still hashes live rows).
//
// A hash-only credential (a session, a management token) found under an
// older key moves to the active key at once: rehash, a compare-and-set in
// the store whose change makes every node drop what it cached under the old
// hash. After that it is found under the active key, with no store write.

// rehash moves the credential found by old to the active key's hash h. A
// failure is logged, never the request's: the credential works either way,
// and its next use tries again.
func (a *Checker) rehash(ctx context.Context, kind stackgate.HashKind, old, h [sha256.Size]byte) {
	if err := a.store.Rehash(ctx, kind, old[:], h[:], a.keys.HMACKeyID()); err != nil {
		a.log.Warn("moving a credential to the active hmac key", "kind", kind, "err", err)
	}
}
