// Package stackgate holds the domain of the stackgate server: the types that
// the Contentstack Content Management API speaks about (stacks, users, roles,
// environments, locales, branches, delivery and management tokens), the error
// codes every layer shares, and the storage interfaces that adapters
// (sqlite, postgres) implement. It performs no I/O.
package stackgate

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// TimeFormat is how every timestamp goes on the wire: RFC 3339, milliseconds, UTC.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// FormatTime renders t in TimeFormat.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// Now returns the current time truncated to the millisecond precision that the
// stores keep, so a value read back equals the value written.
func Now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// NewUID returns a Contentstack-style object uid: "blt" + 16 lowercase hex
// characters from a CSPRNG.
func NewUID() string { return "blt" + randomHex(8) }

// NewTokenValue returns a fresh secret token value as spec §4 describes:
// "cs" + 24 lowercase hex characters from a CSPRNG.
func NewTokenValue() string { return "cs" + randomHex(12) }

// NewAuthtoken returns a fresh session authtoken: "blt" + 32 hex characters
// (128 bits from a CSPRNG).
func NewAuthtoken() string { return "blt" + randomHex(16) }

// NewMetadataUID returns the uid given to each scope entry's _metadata.
func NewMetadataUID() string { return "cs" + randomHex(8) }

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("stackgate: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}
