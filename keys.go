package stackgate

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
)

// KeyFingerprint names one key of the key file by a one-way digest of it,
// never by its bytes: Kind "hmac" (ID empty) or "enc" with its key id.
type KeyFingerprint struct {
	Kind        string
	ID          string
	Fingerprint []byte
}

// KeyBinding is what a store knows of the keys its data was written with:
// the fingerprints recorded by the nodes that opened it, how many sealed
// values each encryption key id still seals, and whether it holds any data
// at all (an empty database may be given a new key file; one with users may
// not).
type KeyBinding struct {
	Recorded []KeyFingerprint
	SealedBy map[string]int // encryption key id → sealed values under it
	HasData  bool
}

// KeyStore binds the key file to the data it protects, so that a node with
// the wrong keys refuses to start instead of refusing every credential.
type KeyStore interface {
	// KeyBinding reads the recorded fingerprints and the use of each key id.
	KeyBinding(ctx context.Context) (*KeyBinding, error)
	// RecordKeys records the fingerprints not recorded yet (one kind and id
	// is recorded once: the first node to record it wins, and a later check
	// compares against it). It changes no credential.
	RecordKeys(ctx context.Context, fps []KeyFingerprint) error
	// RekeyDeliveryTokens re-seals, with reseal, up to limit delivery and
	// preview tokens of one stack that are not sealed under activeID, in one
	// transaction under that stack's lock, and returns how many it re-sealed
	// (0: none is left). reseal must keep the lookup hash. Changes: the
	// stack (its snapshot holds the sealed values).
	RekeyDeliveryTokens(ctx context.Context, activeID string, limit int, reseal func(Sealed) (Sealed, error)) (int, error)
}

// CheckKeys says whether a node holding the keys have may open data bound
// as b: nil, or an error naming what does not match and how to fix it.
func (b *KeyBinding) CheckKeys(have []KeyFingerprint) error {
	var problems []string
	haveByID := map[string][]byte{}
	for _, h := range have {
		haveByID[h.Kind+" "+h.ID] = h.Fingerprint
	}
	for _, r := range b.Recorded {
		fp, ok := haveByID[r.Kind+" "+r.ID]
		switch {
		case ok && !bytes.Equal(fp, r.Fingerprint) && r.Kind == "hmac":
			problems = append(problems, "its hmac key is not the one this database was written with")
		case ok && !bytes.Equal(fp, r.Fingerprint):
			problems = append(problems, fmt.Sprintf("its encryption key %q is not the key %q this database was written with", r.ID, r.ID))
		}
	}
	ids := make([]string, 0, len(b.SealedBy))
	for id := range b.SealedBy {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if _, ok := haveByID["enc "+id]; !ok && b.SealedBy[id] > 0 {
			problems = append(problems, fmt.Sprintf("it lacks encryption key %q, which still seals %d secret(s) (put the key back, run `stackgate rekey`, then remove it)", id, b.SealedBy[id]))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("the key file does not belong to this database: %s. "+
		"Use the key file that was made with this database (a backup restores both), or restore the database that belongs to this key file",
		strings.Join(problems, "; "))
}
