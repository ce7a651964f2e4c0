package stackgate

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
)

// LegacyHMACKeyID is the id of the one hmac key of a key file from before
// hmac keys had ids (a line "hmac <hex>"): every hash stored before then
// was made with it, and a hash stored without an id is one of its.
const LegacyHMACKeyID = "h0"

// HMACKeyOf is the hmac key id of a stored hash: one stored without an id
// ("") is the legacy key's.
func HMACKeyOf(id string) string {
	if id == "" {
		return LegacyHMACKeyID
	}
	return id
}

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
	// HashedBy counts the live lookup hashes of each hmac key id, by kind
	// (HashSession, …): what `stackgate rekey` reports and what a key file
	// must still hold the key of.
	HashedBy map[string]map[HashKind]int
	HasData  bool
}

// HashKind names what a lookup hash finds.
type HashKind string

const (
	HashSession         HashKind = "session"          // an authtoken
	HashManagementToken HashKind = "management_token" //
	HashDeliveryToken   HashKind = "delivery_token"   // sealed: rekey re-hashes it
	HashPreviewToken    HashKind = "preview_token"    // sealed: rekey re-hashes it
	HashOAuthAppSecret  HashKind = "oauth_app_secret" // a confidential app's client secret
	HashOAuthCode       HashKind = "oauth_code"       // an authorization code not redeemed yet (minutes)
	HashOAuthToken      HashKind = "oauth_token"      // an access token still live or with its refresh token
	HashOAuthSpent      HashKind = "oauth_spent"      // a redeemed code or rotated-out refresh token, remembered to detect its replay
	HashTokenWebhook    HashKind = "token_webhook"    // sealed (a stack's token webhook secret): rekey re-hashes it
)

// Hashed is one credential still hashed under a retired hmac key, named
// (never its value) in what RetireHMACKey reports.
type Hashed struct {
	Kind     HashKind
	StackUID string // management tokens
	UserUID  string // sessions, OAuth tokens and codes
	AppUID   string // OAuth (HashOAuthSpent: the app whose replay memory was forgotten)
	UID      string // a management token's uid
	Name     string // a management token's name
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
	//
	// A value whose hash was made with another hmac key than hmacID is
	// re-sealed too, and reseal then moves its hash to hmacID (Sealed.HashKey):
	// the stack's change makes every node reload its snapshot, indexed by
	// the new hashes (a node still on the old hash finds the token under its
	// older key meanwhile).
	RekeyDeliveryTokens(ctx context.Context, activeID, hmacID string, limit int, reseal func(Sealed) (Sealed, error)) (int, error)
	// Rehash moves one hash-only credential (HashSession,
	// HashManagementToken, HashOAuthAppSecret) found by oldHash to newHash,
	// made with hmac key newKey: a compare-and-set on oldHash, so that
	// nodes racing to move it all succeed (nil when newHash is already
	// there) and the credential keeps working throughout. ENOTFOUND when
	// neither hash is stored; EINVALID for another kind. Changes: a
	// management token's stack, a session's user; an app secret is cached
	// nowhere.
	Rehash(ctx context.Context, kind HashKind, oldHash, newHash []byte, newKey string) error
	// RetireHMACKey revokes every credential whose hash was made with hmac
	// key id and that cannot be moved without its value: sessions,
	// management tokens, OAuth tokens and codes, each through its own
	// delete (audited, announced), and forgets the OAuth replay memory
	// under id (HashOAuthSpent, one entry per app; audited). It refuses
	// (EINVALID on "hmac_key", nothing changed) while delivery or preview
	// tokens, token webhook secrets or app secrets remain under id: rekey
	// moves the former two, an app's next token request the latter. It
	// returns what it revoked.
	RetireHMACKey(ctx context.Context, id string) ([]Hashed, error)
}

// Hashed is how many live hashes hmac key id still makes.
func (b *KeyBinding) Hashed(id string) int {
	n := 0
	for _, c := range b.HashedBy[id] {
		n += c
	}
	return n
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
			problems = append(problems, fmt.Sprintf("its hmac key %q is not the key %q this database was written with", r.ID, r.ID))
		case ok && !bytes.Equal(fp, r.Fingerprint):
			problems = append(problems, fmt.Sprintf("its encryption key %q is not the key %q this database was written with", r.ID, r.ID))
		}
	}
	hmacIDs := make([]string, 0, len(b.HashedBy))
	for id := range b.HashedBy {
		hmacIDs = append(hmacIDs, id)
	}
	sort.Strings(hmacIDs)
	for _, id := range hmacIDs {
		if n := b.Hashed(id); n > 0 {
			if _, ok := haveByID["hmac "+id]; !ok {
				problems = append(problems, fmt.Sprintf("it lacks hmac key %q, which still hashes %d credential(s) "+
					"(put the key back, run `stackgate rekey`, then `stackgate rekey --retire-hmac %s` for what is left, then remove it)", id, n, id))
			}
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
