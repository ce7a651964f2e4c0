// Package secret keeps stackgate's secrets unusable at rest: keyed hashes
// (HMAC-SHA-256) for lookup of tokens, AES-256-GCM for the tokens the API
// must show again (delivery and preview tokens), argon2id for passwords.
package secret

import (
	"bufio"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"os"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"github.com/stackgate/stackgate"
	"golang.org/x/crypto/argon2"
)

// Keyring holds the server's keys: one or more HMAC keys by id, the first of
// which hashes new lookup values while all of them find stored ones, and one
// or more encryption keys by id, the first of which encrypts while all of
// them decrypt.
type Keyring struct {
	hmacs  []*hmacKey // the first is active
	older  []*hmacKey // the older ones lookups try (UseOlderHMACKeys)
	encIDs []string
	aeads  map[string]cipher.AEAD
	fps    []stackgate.KeyFingerprint // Fingerprints
}

// hmacKey is one HMAC key with a pool of its MAC states.
type hmacKey struct {
	id   string
	macs sync.Pool
}

// LegacyHMACID is the id of a key file line "hmac <hex>" without one
// (stackgate.LegacyHMACKeyID); "hmac h0 <hex>" is the same key.
const LegacyHMACID = stackgate.LegacyHMACKeyID

// The key file is text: one or more lines "hmac <id> <64 hex>" (or the
// legacy "hmac <64 hex>", id h0) and one or more lines "enc <id> <64 hex>";
// of each kind the first line is the active one. Lines starting with # are
// comments. To rotate either kind, put a new line first and keep the old
// until `stackgate rekey` says nothing uses it.

// NewKeyring builds a keyring from raw keys: hmacKeys and encKeys are
// (id, key) in order, the first of each active.
func NewKeyring(hmacIDs []string, hmacKeys [][]byte, encIDs []string, encKeys [][]byte) (*Keyring, error) {
	if len(hmacIDs) == 0 || len(hmacIDs) != len(hmacKeys) {
		return nil, errors.New("secret: at least one hmac key is required")
	}
	if len(encIDs) == 0 || len(encIDs) != len(encKeys) {
		return nil, errors.New("secret: at least one encryption key is required")
	}
	k := &Keyring{aeads: map[string]cipher.AEAD{}}
	for i, id := range hmacIDs {
		if len(hmacKeys[i]) < 32 {
			return nil, fmt.Errorf("secret: hmac key %q must be at least 32 bytes", id)
		}
		if !validID(id) {
			return nil, fmt.Errorf("secret: hmac key id %q: use letters, digits, '-' or '_'", id)
		}
		for _, h := range k.hmacs {
			if h.id == id {
				return nil, fmt.Errorf("secret: duplicate hmac key id %q", id)
			}
		}
		key := bytes.Clone(hmacKeys[i])
		h := &hmacKey{id: id}
		h.macs.New = func() any {
			return &macState{h: hmac.New(sha256.New, key), sum: make([]byte, 0, sha256.Size)}
		}
		k.hmacs = append(k.hmacs, h)
		// The legacy key keeps the fingerprint recorded before ids existed.
		label := "hmac"
		if id != LegacyHMACID {
			label = "hmac " + id
		}
		k.fps = append(k.fps, stackgate.KeyFingerprint{Kind: "hmac", ID: id, Fingerprint: fingerprint(key, label)})
	}
	k.older = k.hmacs[1:]
	for i, id := range encIDs {
		if len(encKeys[i]) != 32 {
			return nil, fmt.Errorf("secret: encryption key %q must be 32 bytes", id)
		}
		block, err := aes.NewCipher(encKeys[i])
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		if _, dup := k.aeads[id]; dup {
			return nil, fmt.Errorf("secret: duplicate key id %q", id)
		}
		k.aeads[id] = aead
		k.encIDs = append(k.encIDs, id)
		k.fps = append(k.fps, stackgate.KeyFingerprint{Kind: "enc", ID: id, Fingerprint: fingerprint(encKeys[i], "enc "+id)})
	}
	return k, nil
}

// validID: key ids are words, so that a key file line and a CLI flag can
// name them.
func validID(id string) bool {
	if id == "" {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// fingerprint is a one-way digest of key, under a label of its own so that
// it can never equal a lookup hash or any other value derived from the key.
func fingerprint(key []byte, what string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("stackgate key fingerprint v1: " + what))
	return m.Sum(nil)[:16]
}

// Fingerprints names every key of the ring by a digest (the hmac keys
// first, then the encryption keys, each in order), which the store records so that a key
// file cannot be used with data it did not write.
func (k *Keyring) Fingerprints() []stackgate.KeyFingerprint { return slices.Clone(k.fps) }

// ActiveKeyID is the id of the encryption key that seals new values.
func (k *Keyring) ActiveKeyID() string { return k.encIDs[0] }

// HMACKeyID is the id of the hmac key that hashes new values.
func (k *Keyring) HMACKeyID() string { return k.hmacs[0].id }

// HMACKeyIDs are the ids of the hmac keys, the active one first.
func (k *Keyring) HMACKeyIDs() []string {
	ids := make([]string, len(k.hmacs))
	for i, h := range k.hmacs {
		ids[i] = h.id
	}
	return ids
}

// Reseal opens s and seals its value again under the active keys: the
// encryption key and the hmac key, so that its lookup hash moves to the
// active hmac key when it was made with an older one.
func (k *Keyring) Reseal(s stackgate.Sealed) (stackgate.Sealed, error) {
	v, err := k.Open(s)
	if err != nil {
		return stackgate.Sealed{}, err
	}
	return k.Seal(v)
}

// ParseKeyFile reads a key file's contents.
func ParseKeyFile(data []byte) (*Keyring, error) {
	var hmacIDs, ids []string
	var hmacKeys, keys [][]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		switch {
		case f[0] == "hmac" && (len(f) == 2 || len(f) == 3):
			id := LegacyHMACID
			if len(f) == 3 {
				id = f[1]
			}
			b, err := hex.DecodeString(f[len(f)-1])
			if err != nil {
				return nil, fmt.Errorf("secret: key file line %d: %v", n, err)
			}
			hmacIDs, hmacKeys = append(hmacIDs, id), append(hmacKeys, b)
		case f[0] == "enc" && len(f) == 3:
			b, err := hex.DecodeString(f[2])
			if err != nil {
				return nil, fmt.Errorf("secret: key file line %d: %v", n, err)
			}
			ids, keys = append(ids, f[1]), append(keys, b)
		default:
			return nil, fmt.Errorf("secret: key file line %d: expected \"hmac ID HEX\", \"hmac HEX\" or \"enc ID HEX\"", n)
		}
	}
	return NewKeyring(hmacIDs, hmacKeys, ids, keys)
}

// GenerateKeyFile returns the contents of a new key file.
func GenerateKeyFile() []byte {
	h, e := make([]byte, 32), make([]byte, 32)
	if _, err := rand.Read(h); err != nil {
		panic(err)
	}
	if _, err := rand.Read(e); err != nil {
		panic(err)
	}
	return fmt.Appendf(nil, "# stackgate secret keys: keep private, share between nodes; to rotate, add a new line first (README, key rotation)\nhmac h1 %x\nenc k1 %x\n", h, e)
}

// CreateKeyFile writes a new key file at path, mode 0600, and returns its
// contents. It never replaces a file: an existing one is an error, since
// overwriting a key file destroys every secret sealed under it.
func CreateKeyFile(path string) ([]byte, error) {
	data := GenerateKeyFile()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("secret: create key file: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("secret: write key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("secret: write key file: %w", err)
	}
	return data, nil
}

// LoadKeyFile reads the key file at path. When create is true and the file
// does not exist, it writes a new one with mode 0600 and reports created.
func LoadKeyFile(path string, create bool) (k *Keyring, created bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && create {
		if data, err = CreateKeyFile(path); err != nil {
			return nil, false, err
		}
		created = true
	} else if err != nil {
		return nil, false, fmt.Errorf("secret: read key file: %w", err)
	}
	k, err = ParseKeyFile(data)
	return k, created, err
}

// Hash returns HMAC-SHA-256(active hmac key, value), made with the key
// HMACKeyID names. It allocates only the result.
func (k *Keyring) Hash(value string) []byte {
	var sum [sha256.Size]byte
	k.HashInto(&sum, value)
	return sum[:]
}

// HashInto writes HMAC-SHA-256(active hmac key, value) into dst without
// allocating; the hot path of every request uses it to look credentials up
// in caches.
func (k *Keyring) HashInto(dst *[sha256.Size]byte, value string) { k.hmacs[0].hashInto(dst, value) }

// UseOlderHMACKeys keeps, of the older hmac keys, only those live says
// still hash stored values for lookups to try (OlderHMACKeys, Hashes): a key
// left in the key file after it was retired costs nothing. Hashes are
// never made under an older key, so the set can only shrink while the
// process runs (a node whose key file still has the older key first could
// write under it: roll the new key file out to every node first, README).
// Call it once, before the ring is used.
func (k *Keyring) UseOlderHMACKeys(live func(id string) bool) {
	var older []*hmacKey
	for _, h := range k.hmacs[1:] {
		if live(h.id) {
			older = append(older, h)
		}
	}
	k.older = older
}

// OlderHMACKeys is how many older hmac keys lookups try after the active
// one (0 for a ring of one key).
func (k *Keyring) OlderHMACKeys() int { return len(k.older) }

// HashIntoOlder is HashInto under the i-th older hmac key (0 ≤ i <
// OlderHMACKeys()), whose id it returns: a value not found under the active
// key may have been stored before it became active.
func (k *Keyring) HashIntoOlder(dst *[sha256.Size]byte, i int, value string) string {
	h := k.older[i]
	h.hashInto(dst, value)
	return h.id
}

// Hashes returns value's hash under the active hmac key and each older one
// lookups try, the active one first, with the key ids: the lookups off the
// hot path (a refresh token, a code, a logout) try each.
func (k *Keyring) Hashes(value string) (hashes [][]byte, ids []string) {
	for _, h := range append([]*hmacKey{k.hmacs[0]}, k.older...) {
		var sum [sha256.Size]byte
		h.hashInto(&sum, value)
		hashes, ids = append(hashes, sum[:]), append(ids, h.id)
	}
	return hashes, ids
}

// HashWith returns value's hash under the hmac key id; false when the ring
// lacks it.
func (k *Keyring) HashWith(id, value string) ([]byte, bool) {
	for _, h := range k.hmacs {
		if h.id == id {
			var sum [sha256.Size]byte
			h.hashInto(&sum, value)
			return sum[:], true
		}
	}
	return nil, false
}

func (h *hmacKey) hashInto(dst *[sha256.Size]byte, value string) {
	m := h.macs.Get().(*macState)
	m.h.Reset()
	// The string's bytes are passed without a copy: Write only reads them
	// and keeps no reference, and a copy would escape to the heap. For the
	// same reason the sum goes into the pooled buffer, not into dst.
	m.h.Write(unsafe.Slice(unsafe.StringData(value), len(value)))
	m.sum = m.h.Sum(m.sum[:0])
	copy(dst[:], m.sum)
	h.macs.Put(m)
}

// macState is a pooled HMAC with a buffer for its sum.
type macState struct {
	h   hash.Hash
	sum []byte
}

// Seal encrypts value under the active key and hashes it for lookup.
func (k *Keyring) Seal(value string) (stackgate.Sealed, error) {
	id := k.encIDs[0]
	aead := k.aeads[id]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(value)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return stackgate.Sealed{}, err
	}
	ct := aead.Seal(nonce, nonce, []byte(value), []byte(id))
	return stackgate.Sealed{Hash: k.Hash(value), HashKey: k.HMACKeyID(), Ciphertext: ct, KeyID: id}, nil
}

// Open decrypts a sealed value and checks it against its hash.
func (k *Keyring) Open(s stackgate.Sealed) (string, error) {
	aead, ok := k.aeads[s.KeyID]
	if !ok {
		return "", fmt.Errorf("secret: unknown key id %q (was a key removed from the key file?)", s.KeyID)
	}
	if len(s.Ciphertext) < aead.NonceSize() {
		return "", errors.New("secret: ciphertext too short")
	}
	nonce, ct := s.Ciphertext[:aead.NonceSize()], s.Ciphertext[aead.NonceSize():]
	pt, err := aead.Open(nil, nonce, ct, []byte(s.KeyID))
	if err != nil {
		return "", fmt.Errorf("secret: decrypt: %w", err)
	}
	hashKey := stackgate.HMACKeyOf(s.HashKey)
	h, ok := k.HashWith(hashKey, string(pt))
	if !ok {
		return "", fmt.Errorf("secret: unknown hmac key id %q (was a key removed from the key file?)", hashKey)
	}
	if subtle.ConstantTimeCompare(h, s.Hash) != 1 {
		return "", errors.New("secret: plaintext does not match its hash (wrong hmac key?)")
	}
	return string(pt), nil
}

// Password hashing: argon2id with OWASP's minimum (19 MiB, 2 passes, 1 lane).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns an argon2id PHC string for password.
func HashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches the PHC string, in constant time.
func VerifyPassword(phc, password string) bool {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}
