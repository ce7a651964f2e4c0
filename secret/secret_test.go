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
		"empty":        "",
		"no enc":       "hmac " + strings.Repeat("00", 32),
		"short hmac":   "hmac 00\nenc k1 " + strings.Repeat("00", 32),
		"bad hex":      "hmac zz\nenc k1 " + strings.Repeat("00", 32),
		"short enc":    "hmac " + strings.Repeat("00", 32) + "\nenc k1 00",
		"garbage line": "hello",
	} {
		if _, err := secret.ParseKeyFile([]byte(data)); err == nil {
			t.Errorf("%s: parsed", name)
		}
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
