package service

import (
	"crypto/sha256"
	"strconv"
	"testing"
	"time"

	"github.com/stackgate/stackgate"
)

// TestAttemptTrackerBounded: however many keys are tried, the tracker holds
// at most its max, and a release undoes only its own reservation.
func TestAttemptTrackerBounded(t *testing.T) {
	p := stackgate.LoginPolicy{Free: 2, Base: time.Second, Max: time.Minute, Forget: time.Hour}
	tr := newAttemptTracker(p, 100)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 1000 {
		tr.reserve(sha256.Sum256([]byte(strconv.Itoa(i))), now)
		if n := tr.len(); n > 100 {
			t.Fatalf("%d keys tracked after %d, want at most 100", n, i+1)
		}
	}
	k := sha256.Sum256([]byte("k"))
	_, r1 := tr.reserve(k, now)
	_, r2 := tr.reserve(k, now) // the 2nd: the delay starts
	if a, _ := tr.reserve(k, now); a.Allowed {
		t.Fatal("third attempt allowed during the delay")
	}
	tr.release(r1) // superseded by r2: no effect
	if a, _ := tr.reserve(k, now); a.Allowed {
		t.Fatal("a stale release undid a later reservation")
	}
	tr.release(r2)
	if a, _ := tr.reserve(k, now); !a.Allowed || a.Failures != 2 {
		t.Fatalf("after releasing the 2nd: %+v, want allowed as the 2nd again", a)
	}
}
