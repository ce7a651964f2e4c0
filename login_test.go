package stackgate_test

import (
	"testing"
	"time"

	"github.com/stackgate/stackgate"
)

func TestLoginPolicyDelay(t *testing.T) {
	p := stackgate.LoginPolicy{Free: 3, Base: time.Second, Max: 10 * time.Second}
	for failures, want := range []time.Duration{0, 0, 0, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second} {
		if got := p.Delay(failures); got != want {
			t.Errorf("Delay(%d) = %v, want %v", failures, got, want)
		}
	}
	// No overflow however many failures.
	if got := p.Delay(1 << 20); got != p.Max {
		t.Errorf("Delay(1<<20) = %v, want %v", got, p.Max)
	}
}

func TestLoginPolicyReserve(t *testing.T) {
	p := stackgate.LoginPolicy{Free: 2, Base: time.Second, Max: time.Minute, Forget: time.Hour}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name         string
		failures     int
		next, now    time.Time
		allowed      bool
		wantFailures int
		wantNext     time.Time
	}{
		{"fresh", 0, time.Time{}, t0, true, 1, t0},
		{"last free attempt starts the delay", 1, t0, t0, true, 2, t0.Add(time.Second)},
		{"during the delay: refused, not counted", 2, t0.Add(time.Second), t0, false, 2, t0.Add(time.Second)},
		{"after the delay: counted, delay doubles", 2, t0.Add(time.Second), t0.Add(time.Second), true, 3, t0.Add(3 * time.Second)},
		{"quiet for Forget: restarts", 9, t0, t0.Add(time.Hour), true, 1, t0.Add(time.Hour)},
		{"just short of Forget: keeps counting", 9, t0, t0.Add(time.Hour - time.Millisecond), true, 10, t0.Add(time.Hour - time.Millisecond + time.Minute)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, f, next := p.Reserve(tc.failures, tc.next, tc.now)
			if a.Allowed != tc.allowed || f != tc.wantFailures || !next.Equal(tc.wantNext) {
				t.Errorf("Reserve = %v, %d, %v; want allowed %v, %d, %v", a, f, next, tc.allowed, tc.wantFailures, tc.wantNext)
			}
			if !a.Allowed && !a.RetryAt.Equal(tc.next) {
				t.Errorf("RetryAt = %v, want %v", a.RetryAt, tc.next)
			}
		})
	}
}
