package http_test

import (
	"testing"
	"time"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/internal/testdb"
)

// clock sets the service's clock to now, until the test ends; at(d) moves
// it to d after that.
func (f *fixture) clock() (at func(d time.Duration)) {
	t0 := stackgate.Now()
	f.t.Cleanup(func() { f.svc.Now = stackgate.Now })
	return func(d time.Duration) { f.svc.Now = func() time.Time { return t0.Add(d) } }
}

// TestOAuthRefreshLifetime: a refresh token works until the deadline of the
// grant it descends from (service.DefaultOAuthRefreshTTL after the code
// exchange; rotation keeps that deadline, it does not start a fresh one),
// and only while it is used at least every DefaultOAuthRefreshIdle. Past
// either edge it is invalid_grant and nothing is issued. The clock is the
// service's, moved by the test.
func TestOAuthRefreshLifetime(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		o := f.oauthApps()
		at := f.clock()
		exchange := func() string {
			at(0)
			got := f.token("", form("grant_type", "authorization_code", "code", f.pkceCode(Developer, o.public), "redirect_uri", testRedirect,
				"client_id", o.public.ClientID, "code_verifier", testVerifier), nil)
			if got.status != 200 {
				t.Fatalf("exchange: %d %s", got.status, got.raw)
			}
			return got.body["refresh_token"].(string)
		}
		refresh := func(rt string, d time.Duration) reply {
			at(d)
			return f.token("", form("grant_type", "refresh_token", "refresh_token", rt, "client_id", o.public.ClientID), nil)
		}
		ttl, idle, ms := 90*24*time.Hour, 30*24*time.Hour, time.Millisecond

		// Used every 29 days, the family lives until the exchange's deadline, not one day more.
		rt := exchange()
		for _, d := range []time.Duration{29 * 24 * time.Hour, 58 * 24 * time.Hour, 87 * 24 * time.Hour, ttl - ms} {
			got := refresh(rt, d)
			if got.status != 200 {
				t.Fatalf("refresh at %v: %d %s", d, got.status, got.raw)
			}
			rt = got.body["refresh_token"].(string)
		}
		wantOAuthError(t, refresh(rt, ttl), 400, "invalid_grant")
		wantOAuthError(t, refresh(rt, ttl+time.Hour), 400, "invalid_grant")

		// Idle: unused for 30 days, it is spent; a millisecond before, it works.
		rt = exchange()
		if got := refresh(rt, idle-ms); got.status != 200 {
			t.Fatalf("refresh just before the idle limit: %d %s", got.status, got.raw)
		}
		rt = exchange()
		wantOAuthError(t, refresh(rt, idle), 400, "invalid_grant")
		// The refusal issued nothing, and the token is no better later.
		wantOAuthError(t, refresh(rt, idle+time.Second), 400, "invalid_grant")
	})
}
