package stackgate

import (
	"strings"
	"testing"
)

func TestCheckKeys(t *testing.T) {
	hmac := KeyFingerprint{Kind: "hmac", ID: "h0", Fingerprint: []byte("h")}
	h2 := KeyFingerprint{Kind: "hmac", ID: "h2", Fingerprint: []byte("h2")}
	k1 := KeyFingerprint{Kind: "enc", ID: "k1", Fingerprint: []byte("1")}
	k2 := KeyFingerprint{Kind: "enc", ID: "k2", Fingerprint: []byte("2")}
	other := func(fp KeyFingerprint) KeyFingerprint { fp.Fingerprint = []byte("other"); return fp }
	for _, c := range []struct {
		name    string
		b       KeyBinding
		have    []KeyFingerprint
		wantErr string // "" = accepted
	}{
		{"fresh database", KeyBinding{}, []KeyFingerprint{hmac, k1}, ""},
		{"same keys", KeyBinding{Recorded: []KeyFingerprint{hmac, k1}, SealedBy: map[string]int{"k1": 3}}, []KeyFingerprint{hmac, k1}, ""},
		{"a new key added first", KeyBinding{Recorded: []KeyFingerprint{hmac, k1}, SealedBy: map[string]int{"k1": 3}}, []KeyFingerprint{hmac, k2, k1}, ""},
		{"old key removed after rekey", KeyBinding{Recorded: []KeyFingerprint{hmac, k1, k2}, SealedBy: map[string]int{"k2": 3}}, []KeyFingerprint{hmac, k2}, ""},
		{"other hmac key", KeyBinding{Recorded: []KeyFingerprint{hmac, k1}}, []KeyFingerprint{other(hmac), k1}, `hmac key "h0" is not the key "h0"`},
		{"same id, other key", KeyBinding{Recorded: []KeyFingerprint{hmac, k1}}, []KeyFingerprint{hmac, other(k1)}, `encryption key "k1" is not the key`},
		{"key still in use removed", KeyBinding{Recorded: []KeyFingerprint{hmac, k1, k2}, SealedBy: map[string]int{"k1": 2, "k2": 1}}, []KeyFingerprint{hmac, k2},
			`lacks encryption key "k1", which still seals 2 secret(s)`},
		{"a new hmac key added first", KeyBinding{Recorded: []KeyFingerprint{hmac, k1}, HashedBy: map[string]map[HashKind]int{"h0": {HashSession: 2}}},
			[]KeyFingerprint{h2, hmac, k1}, ""},
		{"hmac key still hashing removed", KeyBinding{Recorded: []KeyFingerprint{hmac, h2, k1}, HashedBy: map[string]map[HashKind]int{"h0": {HashSession: 2, HashManagementToken: 1}}},
			[]KeyFingerprint{h2, k1}, `lacks hmac key "h0", which still hashes 3 credential(s)`},
		{"hmac key still hashing a webhook secret removed", KeyBinding{Recorded: []KeyFingerprint{hmac, h2, k1}, HashedBy: map[string]map[HashKind]int{"h0": {HashTokenWebhook: 1}}},
			[]KeyFingerprint{h2, k1}, `lacks hmac key "h0", which still hashes 1 credential(s)`},
		{"hmac key still remembering spent OAuth values removed", KeyBinding{Recorded: []KeyFingerprint{hmac, h2, k1}, HashedBy: map[string]map[HashKind]int{"h0": {HashOAuthSpent: 3}}},
			[]KeyFingerprint{h2, k1}, `lacks hmac key "h0", which still hashes 3 credential(s)`},
		{"retired hmac key removed", KeyBinding{Recorded: []KeyFingerprint{hmac, h2, k1}, HashedBy: map[string]map[HashKind]int{"h2": {HashSession: 2}}},
			[]KeyFingerprint{h2, k1}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.b.CheckKeys(c.have)
			switch {
			case c.wantErr == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Fatalf("err = %v, want one containing %q", err, c.wantErr)
			case c.wantErr != "" && !strings.Contains(err.Error(), "Use the key file that was made with this database"):
				t.Fatalf("err = %v names no fix", err)
			}
		})
	}
}
