package service

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stackgate/stackgate"
)

// FuzzParseExpiry: expires_on decoding never panics. (The scope's decoding,
// fuzzed here before, is fuzzed where it lives: http/wire's FuzzDecodeScope.)
func FuzzParseExpiry(f *testing.F) {
	for _, seed := range []string{
		`"2030-01-31"`, `"2030-01-31T23:59:59Z"`, `"2030-01-31T23:59:59+14:00"`, `"2001-01-01"`,
		`""`, `null`, `"tomorrow"`, `31`, `{}`, `"2030-02-30"`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		parseExpiry(stackgate.Validation{}, json.RawMessage(data), time.Now())
	})
}
