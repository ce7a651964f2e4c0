package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stackgate/stackgate"
)

// testExpiryNotices checks the claim / send / release protocol that makes an
// expiry notice go out once across restarts and nodes.
func testExpiryNotices(t *testing.T, s stackgate.Store) {
	f := newFixture(t, s)
	day := func(d int) time.Time { return time.Date(2031, 3, d, 0, 0, 0, 0, time.UTC) }
	t0 := time.Date(2031, 3, 1, 9, 0, 0, 0, time.UTC)
	const lease = 5 * time.Minute
	token := func(t *testing.T, name string, expires time.Time, notify bool) *stackgate.ManagementToken {
		t.Helper()
		mt := f.newManagementToken(name)
		mt.ExpiresOn, mt.EmailNotification = &expires, notify
		must(t, s.CreateManagementToken(ctx(t), mt, nil, 0))
		return mt
	}
	keyOf := func(mt *stackgate.ManagementToken, kind stackgate.NoticeKind) stackgate.NoticeKey {
		return stackgate.NoticeKey{TokenUID: mt.UID, ExpiresOn: *mt.ExpiresOn, Generation: mt.NotifyGeneration, Kind: kind}
	}
	claim := func(t *testing.T, k stackgate.NoticeKey, id string, at time.Time) bool {
		t.Helper()
		won, err := s.ClaimExpiryNotice(ctx(t), k, id, at, lease)
		must(t, err)
		return won
	}

	sub(t, "List", func(t *testing.T) {
		soon := token(t, "list soon", day(5), true)
		sooner := token(t, "list sooner", day(3), true)
		token(t, "list off", day(4), false)
		token(t, "list later", day(20), true)
		never := f.newManagementToken("list never")
		never.ExpiresOn = nil
		must(t, s.CreateManagementToken(ctx(t), never, nil, 0))
		other := newFixture(t, s)
		elsewhere := other.newManagementToken("list elsewhere")
		d := day(4)
		elsewhere.ExpiresOn = &d
		must(t, s.CreateManagementToken(ctx(t), elsewhere, nil, 0))

		got, err := s.ListNotifiableManagementTokens(ctx(t), day(3), day(5))
		must(t, err)
		diff(t, "tokens", []string{sooner.UID, elsewhere.UID, soon.UID},
			uids(got, func(m *stackgate.ManagementToken) string { return m.UID }))
		if got[0].NotifyGeneration != 1 || got[0].Name != "list sooner" {
			t.Errorf("token %+v", got[0])
		}
		none, err := s.ListNotifiableManagementTokens(ctx(t), day(6), day(19))
		must(t, err)
		if none == nil || len(none) != 0 {
			t.Errorf("list = %v, want empty and non-nil", none)
		}
	})
	sub(t, "ClaimSendOnce", func(t *testing.T) {
		mt := token(t, "once", day(6), true)
		k := keyOf(mt, stackgate.NoticeWeek)
		if !claim(t, k, "a", t0) {
			t.Fatal("first claim lost")
		}
		if claim(t, k, "b", t0.Add(time.Minute)) {
			t.Fatal("a claim in flight was taken over")
		}
		n, err := s.FindExpiryNotice(ctx(t), k)
		must(t, err)
		if n.Claim != "a" || n.Attempts != 1 || n.Sent() || n.StackUID != f.stack || !n.LeaseUntil.Equal(t0.Add(lease)) {
			t.Errorf("claimed notice %+v", n)
		}
		must(t, s.MarkExpiryNoticeSent(ctx(t), k, t0.Add(time.Second)))
		for _, at := range []time.Time{t0.Add(2 * time.Minute), t0.Add(lease), t0.Add(48 * time.Hour)} {
			if claim(t, k, "c", at) {
				t.Fatalf("a sent notice was claimed again at %s", at)
			}
		}
		n, err = s.FindExpiryNotice(ctx(t), k)
		must(t, err)
		if !n.SentAt.Equal(t0.Add(time.Second)) {
			t.Errorf("sent at %s", n.SentAt)
		}
		// The other kind of notice is a notice of its own.
		if !claim(t, keyOf(mt, stackgate.NoticeDay), "d", t0) {
			t.Error("the 1-day notice could not be claimed")
		}
		wantCode(t, s.MarkExpiryNoticeSent(ctx(t), stackgate.NoticeKey{TokenUID: "nope", ExpiresOn: day(6), Generation: 1, Kind: stackgate.NoticeWeek}, t0), stackgate.ENOTFOUND, "")
	})
	sub(t, "LapsedLease", func(t *testing.T) {
		mt := token(t, "crashed", day(7), true)
		k := keyOf(mt, stackgate.NoticeWeek)
		if !claim(t, k, "crashed-node", t0) {
			t.Fatal("first claim lost")
		}
		if claim(t, k, "b", t0.Add(lease-time.Millisecond)) {
			t.Fatal("taken over before the lease lapsed")
		}
		if !claim(t, k, "b", t0.Add(lease)) {
			t.Fatal("a lapsed claim was not taken over")
		}
		// The crashed node's late release does not undo b's claim.
		must(t, s.ReleaseExpiryNotice(ctx(t), k, "crashed-node", t0, "late"))
		n, err := s.FindExpiryNotice(ctx(t), k)
		must(t, err)
		if n.Claim != "b" || n.Attempts != 2 || n.LastError != "" {
			t.Errorf("notice %+v", n)
		}
	})
	sub(t, "FailedSendRetried", func(t *testing.T) {
		mt := token(t, "failing", day(8), true)
		k := keyOf(mt, stackgate.NoticeWeek)
		if !claim(t, k, "a", t0) {
			t.Fatal("first claim lost")
		}
		retry := t0.Add(2 * time.Minute)
		must(t, s.ReleaseExpiryNotice(ctx(t), k, "a", retry, "smtp: 451 try later"))
		n, err := s.FindExpiryNotice(ctx(t), k)
		must(t, err)
		if n.Sent() || n.Claim != "" || n.LastError != "smtp: 451 try later" || !n.LeaseUntil.Equal(retry) {
			t.Errorf("released notice %+v", n)
		}
		if claim(t, k, "b", retry.Add(-time.Millisecond)) {
			t.Fatal("claimed during its backoff")
		}
		if !claim(t, k, "b", retry) {
			t.Fatal("not claimable after its backoff")
		}
		must(t, s.MarkExpiryNoticeSent(ctx(t), k, retry))
		n, err = s.FindExpiryNotice(ctx(t), k)
		must(t, err)
		if !n.Sent() || n.Attempts != 2 || n.LastError != "" {
			t.Errorf("sent notice %+v", n)
		}
	})
	sub(t, "Eligibility", func(t *testing.T) {
		// Deleted: nothing to claim, and its notices go with it.
		gone := token(t, "gone", day(9), true)
		sent := keyOf(gone, stackgate.NoticeWeek)
		if !claim(t, sent, "a", t0) {
			t.Fatal("claim lost")
		}
		must(t, s.DeleteManagementToken(ctx(t), f.stack, gone.UID))
		if claim(t, keyOf(gone, stackgate.NoticeDay), "a", t0) {
			t.Error("a deleted token's notice was claimed")
		}
		_, err := s.FindExpiryNotice(ctx(t), sent)
		wantCode(t, err, stackgate.ENOTFOUND, "")

		// Flag off: nothing; turned on again: a new generation, a new notice.
		mt := token(t, "toggled", day(10), true)
		first := keyOf(mt, stackgate.NoticeWeek)
		if !claim(t, first, "a", t0) {
			t.Fatal("claim lost")
		}
		must(t, s.MarkExpiryNoticeSent(ctx(t), first, t0))
		mt.EmailNotification = false
		must(t, s.UpdateManagementToken(ctx(t), mt, nil))
		if mt.NotifyGeneration != 1 {
			t.Errorf("generation %d after turning off", mt.NotifyGeneration)
		}
		if claim(t, first, "b", t0.Add(time.Hour)) {
			t.Error("claimed with the flag off")
		}
		mt.EmailNotification = true
		must(t, s.UpdateManagementToken(ctx(t), mt, nil))
		if mt.NotifyGeneration != 2 {
			t.Errorf("generation %d after turning on again, want 2", mt.NotifyGeneration)
		}
		got, err := s.FindManagementToken(ctx(t), f.stack, mt.UID)
		must(t, err)
		if got.NotifyGeneration != 2 {
			t.Errorf("stored generation %d, want 2", got.NotifyGeneration)
		}
		if claim(t, first, "b", t0.Add(time.Hour)) {
			t.Error("the old generation's key was claimed")
		}
		if !claim(t, keyOf(mt, stackgate.NoticeWeek), "b", t0.Add(time.Hour)) {
			t.Error("a re-enabled flag earned no new notice")
		}
		// An update that leaves the flag on keeps the generation.
		mt.Description = "still on"
		must(t, s.UpdateManagementToken(ctx(t), mt, nil))
		if mt.NotifyGeneration != 2 {
			t.Errorf("generation %d after an update with the flag on, want 2", mt.NotifyGeneration)
		}

		// A changed expiry: the old date's key is dead, the new one claimable.
		moved := token(t, "moved", day(11), true)
		old := keyOf(moved, stackgate.NoticeWeek)
		d := day(12)
		moved.ExpiresOn = &d
		must(t, s.UpdateManagementToken(ctx(t), moved, nil))
		if claim(t, old, "a", t0) {
			t.Error("the old expiry's notice was claimed")
		}
		if !claim(t, keyOf(moved, stackgate.NoticeWeek), "a", t0) {
			t.Error("the new expiry earned no notice")
		}
	})
	sub(t, "ConcurrentClaims", func(t *testing.T) {
		for round := range 3 {
			mt := token(t, fmt.Sprintf("contended %d", round), day(13+round), true)
			k := keyOf(mt, stackgate.NoticeWeek)
			at := t0
			if round == 2 {
				// Contend for a lapsed claim rather than a new one.
				if !claim(t, k, "crashed", t0) {
					t.Fatal("claim lost")
				}
				at = t0.Add(lease)
			}
			const n = 8
			won := make([]bool, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() { won[i], errs[i] = s.ClaimExpiryNotice(t.Context(), k, fmt.Sprintf("node%d", i), at, lease) })
			}
			wg.Wait()
			winners := 0
			for i := range n {
				must(t, errs[i])
				if won[i] {
					winners++
				}
			}
			if winners != 1 {
				t.Errorf("round %d: %d claims won, want exactly 1", round, winners)
			}
		}
	})
}
