package secret_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stackgate/stackgate/secret"
)

func mustKeyring(t *testing.T, data []byte) *secret.Keyring {
	t.Helper()
	k, err := secret.ParseKeyFile(data)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	k := mustKeyring(t, secret.GenerateKeyFile())
	s, err := k.Seal("cs0123456789abcdef01234567")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(s.Ciphertext, []byte("cs0123456789abcdef01234567")) {
		t.Fatal("ciphertext contains the plaintext")
	}
	got, err := k.Open(s)
	if err != nil || got != "cs0123456789abcdef01234567" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if !bytes.Equal(s.Hash, k.Hash("cs0123456789abcdef01234567")) {
		t.Fatal("hash of the sealed value differs from Hash")
	}
	s2, _ := k.Seal("cs0123456789abcdef01234567")
	if bytes.Equal(s.Ciphertext, s2.Ciphertext) {
		t.Fatal("two seals of one value share a ciphertext (nonce reuse)")
	}
	tampered := s
	tampered.Ciphertext = bytes.Clone(s.Ciphertext)
	tampered.Ciphertext[len(tampered.Ciphertext)-1] ^= 1
	if _, err := k.Open(tampered); err == nil {
		t.Fatal("tampered ciphertext opened")
	}
	wrongID := s
	wrongID.KeyID = "k9"
	if _, err := k.Open(wrongID); err == nil {
		t.Fatal("unknown key id opened")
	}
}

// TestRotation: a new active key encrypts, the old one still decrypts, and
// hashes (lookup keys) do not change.
func TestRotation(t *testing.T) {
	old := secret.GenerateKeyFile()
	k1 := mustKeyring(t, old)
	sealed, _ := k1.Seal("csabc")
	lines := strings.Split(strings.TrimSpace(string(old)), "\n")
	rotated := strings.Join([]string{lines[0], lines[1], "enc k2 " + strings.Repeat("ab", 32), lines[2]}, "\n")
	k2 := mustKeyring(t, []byte(rotated))
	if got, err := k2.Open(sealed); err != nil || got != "csabc" {
		t.Fatalf("old ciphertext after rotation: %q, %v", got, err)
	}
	fresh, _ := k2.Seal("csabc")
	if fresh.KeyID != "k2" {
		t.Fatalf("active key = %s, want k2", fresh.KeyID)
	}
	if !bytes.Equal(k1.Hash("csabc"), k2.Hash("csabc")) {
		t.Fatal("hash changed across rotation")
	}
}

func TestParseKeyFileErrors(t *testing.T) {
	for name, data := range map[string]string{
		"empty":             "",
		"no enc":            "hmac " + strings.Repeat("00", 32),
		"short hmac":        "hmac 00\nenc k1 " + strings.Repeat("00", 32),
		"bad hex":           "hmac zz\nenc k1 " + strings.Repeat("00", 32),
		"short enc":         "hmac " + strings.Repeat("00", 32) + "\nenc k1 00",
		"garbage line":      "hello",
		"duplicate hmac id": "hmac h2 " + strings.Repeat("01", 32) + "\nhmac h2 " + strings.Repeat("02", 32) + "\nenc k1 " + strings.Repeat("00", 32),
		// A line without an id is key h0.
		"duplicate legacy id": "hmac h0 " + strings.Repeat("01", 32) + "\nhmac " + strings.Repeat("02", 32) + "\nenc k1 " + strings.Repeat("00", 32),
		"bad hmac id":         "hmac h/2 " + strings.Repeat("01", 32) + "\nenc k1 " + strings.Repeat("00", 32),
		"hmac id, no key":     "hmac h2 \nenc k1 " + strings.Repeat("00", 32),
	} {
		if _, err := secret.ParseKeyFile([]byte(data)); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

// TestHMACKeyIDs: the key file's hmac lines, old form and new; the first
// hashes, every one finds; the legacy line keeps its fingerprint.
func TestHMACKeyIDs(t *testing.T) {
	oldHex, newHex, encHex := strings.Repeat("11", 32), strings.Repeat("22", 32), strings.Repeat("33", 32)
	old := mustKeyring(t, []byte("hmac "+oldHex+"\nenc k1 "+encHex+"\n"))
	explicit := mustKeyring(t, []byte("hmac h0 "+oldHex+"\nenc k1 "+encHex+"\n"))
	both := mustKeyring(t, []byte("# rotated\nhmac h2 "+newHex+"\nhmac "+oldHex+"\nenc k1 "+encHex+"\n"))
	for name, k := range map[string]*secret.Keyring{"legacy line": old, "h0 line": explicit} {
		if got := k.HMACKeyIDs(); len(got) != 1 || got[0] != "h0" || k.HMACKeyID() != "h0" || k.OlderHMACKeys() != 0 {
			t.Errorf("%s: ids %v active %q", name, got, k.HMACKeyID())
		}
	}
	if !bytes.Equal(old.Fingerprints()[0].Fingerprint, explicit.Fingerprints()[0].Fingerprint) || old.Fingerprints()[0].ID != "h0" {
		t.Errorf("legacy and explicit h0 fingerprints differ: %+v %+v", old.Fingerprints()[0], explicit.Fingerprints()[0])
	}
	if got := both.HMACKeyIDs(); len(got) != 2 || got[0] != "h2" || got[1] != "h0" {
		t.Fatalf("ids %v", got)
	}
	fps := both.Fingerprints()
	if fps[0].ID != "h2" || fps[1].ID != "h0" || !bytes.Equal(fps[1].Fingerprint, old.Fingerprints()[0].Fingerprint) {
		t.Errorf("fingerprints %+v", fps)
	}
	// New values hash under h2; a value hashed under h0 is found under it.
	v := "csvalue0123456789"
	if h2, _ := both.HashWith("h2", v); !bytes.Equal(both.Hash(v), h2) || bytes.Equal(both.Hash(v), old.Hash(v)) {
		t.Error("Hash is not the h2 hash")
	}
	var h [32]byte
	if id := both.HashIntoOlder(&h, 0, v); id != "h0" || !bytes.Equal(h[:], old.Hash(v)) {
		t.Errorf("older hash %q", id)
	}
	hashes, ids := both.Hashes(v)
	if len(hashes) != 2 || ids[0] != "h2" || !bytes.Equal(hashes[1], old.Hash(v)) {
		t.Errorf("Hashes %v", ids)
	}
	// A retired older key (nothing hashed under it) is not tried; it still
	// opens what names it.
	both.UseOlderHMACKeys(func(string) bool { return false })
	if hashes, _ := both.Hashes(v); both.OlderHMACKeys() != 0 || len(hashes) != 1 {
		t.Errorf("after UseOlderHMACKeys: %d older, %d hashes", both.OlderHMACKeys(), len(hashes))
	}
	if _, ok := both.HashWith("h0", v); !ok {
		t.Error("HashWith lost h0")
	}
	both.UseOlderHMACKeys(func(id string) bool { return id == "h0" })
	if _, ok := both.HashWith("h9", v); ok {
		t.Error("HashWith an unknown id")
	}
	// A value sealed by the old ring opens with the new one, and re-sealing
	// moves its hash to h2.
	s, err := old.Seal(v)
	if err != nil || s.HashKey != "h0" {
		t.Fatalf("seal: %+v %v", s, err)
	}
	r, err := both.Reseal(s)
	if err != nil || r.HashKey != "h2" || !bytes.Equal(r.Hash, both.Hash(v)) {
		t.Fatalf("reseal: %+v %v", r, err)
	}
	if got, err := both.Open(s); err != nil || got != v {
		t.Fatalf("open under h0: %q %v", got, err)
	}
	if _, err := old.Open(r); err == nil || !strings.Contains(err.Error(), `"h2"`) {
		t.Fatalf("open under a missing hmac key: %v", err)
	}
	// A Sealed without an id (stored before ids) is an h0 hash.
	s.HashKey = ""
	if got, err := both.Open(s); err != nil || got != v {
		t.Fatalf("open without id: %q %v", got, err)
	}
	// New key files name their hmac key.
	if k := mustKeyring(t, secret.GenerateKeyFile()); k.HMACKeyID() != "h1" {
		t.Errorf("generated key file's hmac id %q", k.HMACKeyID())
	}
}

func TestLoadKeyFileCreates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k")
	if _, _, err := secret.LoadKeyFile(path, false); err == nil {
		t.Fatal("missing file loaded without create")
	}
	_, created, err := secret.LoadKeyFile(path, true)
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
	_, created, err = secret.LoadKeyFile(path, true)
	if err != nil || created {
		t.Fatalf("second load: created=%v err=%v", created, err)
	}
}

func TestPassword(t *testing.T) {
	h, err := secret.HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$") {
		t.Fatalf("hash %q is not argon2id", h)
	}
	if !secret.VerifyPassword(h, "correct horse") || secret.VerifyPassword(h, "wrong") || secret.VerifyPassword("garbage", "x") {
		t.Fatal("VerifyPassword wrong")
	}
}

func BenchmarkHashInto(b *testing.B) {
	k := mustKeyring(&testing.T{}, secret.GenerateKeyFile())
	var dst [32]byte
	b.ReportAllocs()
	for b.Loop() {
		k.HashInto(&dst, "cs0123456789abcdef01234567")
	}
}
