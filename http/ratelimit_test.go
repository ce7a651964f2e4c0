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

// TestLimiterRetryAfter: a refused client is told when its next token comes,
// at least a second (Retry-After's unit), however slow the configured rate.
func TestLimiterRetryAfter(t *testing.T) {
	now := time.Unix(1000, 0)
	for _, tc := range []struct {
		rate, burst float64
		want        time.Duration
	}{
		{5, 3, time.Second},        // the login limiter: 200 ms, said as 1 s
		{1, 10, time.Second},       // --gate-refusal-rate 1
		{0.2, 10, 5 * time.Second}, // --gate-refusal-rate 0.2: a token every 5 s
	} {
		l := newLimiter(tc.rate, tc.burst)
		for l.allow("a", now) {
		}
		if got := l.retryAfter("a", now); got != tc.want {
			t.Errorf("rate %v: retryAfter = %v, want %v", tc.rate, got, tc.want)
		}
		if got := l.retryAfter("b", now); got != time.Second {
			t.Errorf("rate %v: an unseen client waits %v, want 1s", tc.rate, got)
		}
	}
}
