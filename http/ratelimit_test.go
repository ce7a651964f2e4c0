package http

import (
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	l := newLimiter(5, 3)
	now := time.Unix(1000, 0)
	for i := 0; i < 3; i++ {
		if !l.allow("a", now) {
			t.Fatalf("request %d of the burst refused", i)
		}
	}
	if l.allow("a", now) {
		t.Fatal("request beyond the burst allowed")
	}
	if !l.allow("b", now) {
		t.Fatal("another client shares the bucket")
	}
	if !l.allow("a", now.Add(200*time.Millisecond)) {
		t.Fatal("bucket did not refill at 5/s")
	}
	if l.allow("a", now.Add(200*time.Millisecond)) {
		t.Fatal("refill gave more than one token in 200ms")
	}
}
