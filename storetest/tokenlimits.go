package storetest

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stackgate/stackgate"
)

// testTokenLimits: rate_limit and ip_allow of delivery and management
// tokens are stored as given by create and update, and read back by every
// read (find, by hash, list, LoadStack).
func testTokenLimits(t *testing.T, s stackgate.Store) {
	f := newFixture(t, s)
	limits := stackgate.TokenLimits{Rate: stackgate.RateLimit{Read: 7, Write: 3},
		IPAllow: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8::1/128")}}
	same := cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })
	check := func(t *testing.T, what string, want, got stackgate.TokenLimits) {
		t.Helper()
		if d := cmp.Diff(want, got, same); d != "" {
			t.Errorf("%s limits (-want +got):\n%s", what, d)
		}
	}
	dt := f.newDeliveryToken("limited")
	dt.Limits = stackgate.TokenLimits{Rate: stackgate.RateLimit{Read: 7}, IPAllow: limits.IPAllow}
	must(t, s.CreateDeliveryToken(ctx(t), dt, nil, 0))
	mt := f.newManagementToken("limited")
	mt.Limits = limits
	must(t, s.CreateManagementToken(ctx(t), mt, nil, 0))

	sub(t, "Reads", func(t *testing.T) {
		gd, err := s.FindDeliveryToken(ctx(t), f.stack, dt.UID)
		must(t, err)
		check(t, "delivery find", dt.Limits, gd.Limits)
		gd, err = s.FindDeliveryTokenByHash(ctx(t), dt.Secret.Hash, false)
		must(t, err)
		check(t, "delivery by hash", dt.Limits, gd.Limits)
		gm, err := s.FindManagementTokenByHash(ctx(t), mt.TokenHash)
		must(t, err)
		check(t, "management by hash", limits, gm.Limits)
		ms, err := s.ListManagementTokens(ctx(t), f.stack)
		must(t, err)
		check(t, "management list", limits, ms[len(ms)-1].Limits)
	})
	sub(t, "Update", func(t *testing.T) {
		dt.Limits = stackgate.TokenLimits{}
		must(t, s.UpdateDeliveryToken(ctx(t), dt, nil))
		mt.Limits = stackgate.TokenLimits{Rate: stackgate.RateLimit{Write: 1}, IPAllow: limits.IPAllow[:1]}
		must(t, s.UpdateManagementToken(ctx(t), mt, nil))
		gd, err := s.FindDeliveryToken(ctx(t), f.stack, dt.UID)
		must(t, err)
		check(t, "delivery cleared", stackgate.TokenLimits{}, gd.Limits)
		gm, err := s.FindManagementToken(ctx(t), f.stack, mt.UID)
		must(t, err)
		check(t, "management updated", mt.Limits, gm.Limits)
	})
}
