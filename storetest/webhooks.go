package storetest

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stackgate/stackgate"
)

// testWebhooks: each token event is an outbox row written by the write
// itself (a refused write leaves none), its body names the token but holds
// no value, and claims hand each row to one claimer at a time.
func testWebhooks(t *testing.T, s stackgate.Store) {
	f := newFixture(t, s)
	other := newFixture(t, s)
	type body struct {
		Event string `json:"event"`
		Stack struct {
			APIKey string `json:"api_key"`
		} `json:"stack"`
		Token struct {
			UID, Name, Type string
		} `json:"token"`
		At         time.Time `json:"at"`
		DeliveryID string    `json:"delivery_id"`
	}
	list := func(t *testing.T, stack string) []*stackgate.WebhookDelivery {
		t.Helper()
		ds, err := s.ListWebhookDeliveries(ctx(t), stack)
		must(t, err)
		return ds
	}
	// events renders the stack's rows as "event type name", checking each
	// body against its row.
	events := func(t *testing.T, stack, apiKey string) []string {
		t.Helper()
		var out []string
		for _, d := range list(t, stack) {
			var b body
			if err := json.Unmarshal(d.Body, &b); err != nil {
				t.Fatalf("body %s: %v", d.Body, err)
			}
			if b.Event != d.Event || b.DeliveryID != d.UID || b.Stack.APIKey != apiKey || b.At.IsZero() {
				t.Errorf("body %s of row %+v", d.Body, d)
			}
			out = append(out, fmt.Sprintf("%s %s %s", b.Event, b.Token.Type, b.Token.Name))
		}
		return out
	}
	secrets := []string{}
	dt := f.newDeliveryToken("site")
	dt.Preview = sealed("preview")
	secrets = append(secrets, string(dt.Secret.Ciphertext), string(dt.Preview.Ciphertext))
	mt := f.newManagementToken("ci")

	sub(t, "TokenEvents", func(t *testing.T) {
		must(t, s.CreateDeliveryToken(ctx(t), dt, nil, 0))
		must(t, s.CreateManagementToken(ctx(t), mt, nil, 0))
		dt.Name = "site renamed"
		must(t, s.UpdateDeliveryToken(ctx(t), dt, nil)) // not a token event
		next := sealed("next")
		must(t, s.RotateDeliveryToken(ctx(t), f.stack, dt.UID, next, time.Time{}, "bltrotator", now()))
		must(t, s.RotateManagementToken(ctx(t), f.stack, mt.UID, sealed("mnext").Hash, "h1", time.Time{}, "bltrotator", now()))
		must(t, s.SetPreviewToken(ctx(t), f.stack, dt.UID, stackgate.Sealed{}, "bltx", now()))
		must(t, s.DeleteManagementToken(ctx(t), f.stack, mt.UID))
		must(t, s.DeleteDeliveryToken(ctx(t), f.stack, dt.UID))
		diff(t, "events", []string{
			"token.created delivery site",
			"token.created management ci",
			"token.rotated delivery site renamed",
			"token.rotated management ci",
			"token.revoked preview site renamed",
			"token.revoked management ci",
			"token.revoked delivery site renamed",
		}, events(t, f.stack, f.seed.Stack.APIKey))
		for _, d := range list(t, f.stack) {
			for _, v := range append(secrets, string(next.Ciphertext)) {
				if v != "" && strings.Contains(string(d.Body), v) {
					t.Errorf("body %s holds a token value", d.Body)
				}
			}
		}
		if got := list(t, other.stack); len(got) != 0 {
			t.Errorf("other stack's outbox: %v", got)
		}
	})
	sub(t, "RefusedWriteWritesNone", func(t *testing.T) {
		before := len(list(t, f.stack))
		dup := f.newManagementToken("dup")
		must(t, s.CreateManagementToken(ctx(t), dup, nil, 0))
		again := f.newManagementToken("dup")
		if err := s.CreateManagementToken(ctx(t), again, nil, 0); err == nil {
			t.Fatal("a second token with the name was created")
		}
		if err := s.RotateDeliveryToken(ctx(t), f.stack, "bltunknown", sealed("x"), time.Time{}, "u", now()); err == nil {
			t.Fatal("rotated an unknown token")
		}
		if err := s.DeleteDeliveryToken(ctx(t), f.stack, "bltunknown"); err == nil {
			t.Fatal("deleted an unknown token")
		}
		if got := len(list(t, f.stack)); got != before+1 {
			t.Errorf("rows = %d, want %d (only the first create)", got, before+1)
		}
	})

	t0 := time.Date(2031, 3, 1, 9, 0, 0, 0, time.UTC)
	const lease = time.Minute
	sub(t, "ClaimSendRelease", func(t *testing.T) {
		all, err := s.ClaimWebhookDeliveries(ctx(t), "c1", t0, lease, 1000)
		must(t, err)
		if len(all) == 0 {
			t.Fatal("nothing to claim")
		}
		for _, d := range all {
			if d.Claim != "c1" || d.Attempts != 1 || !d.LeaseUntil.Equal(t0.Add(lease)) {
				t.Errorf("claimed %+v", d)
			}
		}
		none, err := s.ClaimWebhookDeliveries(ctx(t), "c2", t0.Add(lease-time.Millisecond), lease, 1000)
		must(t, err)
		diff(t, "claimed while leased", 0, len(none))

		first := all[0]
		must(t, s.MarkWebhookSent(ctx(t), first.UID, t0.Add(time.Second)))
		// A release by a claim that lost its lease does nothing.
		must(t, s.ReleaseWebhookDelivery(ctx(t), all[1].UID, "c9", t0, "stale", false))
		must(t, s.ReleaseWebhookDelivery(ctx(t), all[1].UID, "c1", t0.Add(10*time.Second), "status 500", false))
		must(t, s.ReleaseWebhookDelivery(ctx(t), all[2].UID, "c1", t0, "status 500", true))

		// After the lease: the released row (at its retry time) and the
		// rest (lease lapsed), never the sent or the failed one.
		again, err := s.ClaimWebhookDeliveries(ctx(t), "c3", t0.Add(lease), lease, 1000)
		must(t, err)
		got := map[string]*stackgate.WebhookDelivery{}
		for _, d := range again {
			got[d.UID] = d
		}
		diff(t, "reclaimed", len(all)-2, len(again))
		if got[first.UID] != nil || got[all[2].UID] != nil {
			t.Error("a sent or failed delivery was claimed again")
		}
		if d := got[all[1].UID]; d == nil || d.Attempts != 2 || d.LastError != "status 500" {
			t.Errorf("released delivery: %+v", d)
		}
		for _, d := range list(t, f.stack) {
			switch d.UID {
			case first.UID:
				if !d.SentAt.Equal(t0.Add(time.Second)) || d.Claim != "" {
					t.Errorf("sent delivery: %+v", d)
				}
			case all[2].UID:
				if d.FailedAt.IsZero() || d.LastError != "status 500" {
					t.Errorf("failed delivery: %+v", d)
				}
			}
		}
		err = s.MarkWebhookSent(ctx(t), "bltunknown", t0)
		if code := stackgate.ErrorCode(err); code != stackgate.ENOTFOUND {
			t.Errorf("mark unknown: %v", err)
		}
	})
	sub(t, "ConcurrentClaims", func(t *testing.T) {
		g := newFixture(t, s)
		for i := range 5 {
			must(t, s.CreateManagementToken(ctx(t), g.newManagementToken(fmt.Sprint("c", i)), nil, 0))
		}
		t1 := t0.Add(time.Hour)
		var mu sync.Mutex
		owner := map[string]string{}
		var wg sync.WaitGroup
		for c := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ds, err := s.ClaimWebhookDeliveries(ctx(t), fmt.Sprint("claim", c), t1, lease, 1000)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				for _, d := range ds {
					if prev, ok := owner[d.UID]; ok {
						t.Errorf("%s claimed by %s and %s", d.UID, prev, d.Claim)
					}
					owner[d.UID] = d.Claim
				}
			}()
		}
		wg.Wait()
		for _, d := range list(t, g.stack) {
			if owner[d.UID] == "" {
				t.Errorf("%s claimed by nobody", d.UID)
			}
		}
	})
	sub(t, "ExpiryEvents", func(t *testing.T) {
		g := newFixture(t, s)
		// mt stops working at 2032-05-11T00:00Z, dt at 2032-05-13T00:00Z.
		mtDate, dtDate := time.Date(2032, 5, 10, 0, 0, 0, 0, time.UTC), time.Date(2032, 5, 12, 0, 0, 0, 0, time.UTC)
		mt := g.newManagementToken("expiring mt")
		mt.ExpiresOn, mt.EmailNotification = &mtDate, false // webhooks do not depend on e-mail notification
		must(t, s.CreateManagementToken(ctx(t), mt, nil, 0))
		dt := g.newDeliveryToken("expiring dt")
		dt.ExpiresOn = &dtDate
		must(t, s.CreateDeliveryToken(ctx(t), dt, nil, 0))
		never := g.newManagementToken("never")
		never.ExpiresOn = nil
		must(t, s.CreateManagementToken(ctx(t), never, nil, 0))
		seen := len(list(t, g.stack)) // the creations
		// step enqueues at t and returns the stack's new rows as
		// "event within type name expires_at".
		step := func(t *testing.T, at time.Time) []string {
			t.Helper()
			for range 2 { // a second run (another node) adds nothing
				_, err := s.EnqueueExpiryWebhooks(ctx(t), at)
				must(t, err)
			}
			ds := list(t, g.stack)
			var out []string
			for _, d := range ds[seen:] {
				var b struct {
					Event, Within string
					ExpiresAt     string `json:"expires_at"`
					Token         struct{ Name, Type string }
				}
				if err := json.Unmarshal(d.Body, &b); err != nil {
					t.Fatal(err)
				}
				out = append(out, strings.Join([]string{b.Event, b.Within, b.Token.Type, b.Token.Name, b.ExpiresAt}, " "))
			}
			seen = len(ds)
			return out
		}
		const mtAt, dtAt = "2032-05-11T00:00:00Z", "2032-05-13T00:00:00Z"
		for _, c := range []struct {
			at   time.Time
			want []string
		}{
			{time.Date(2032, 5, 3, 23, 0, 0, 0, time.UTC), nil}, // mt: 7 d 1 h left
			{time.Date(2032, 5, 4, 0, 0, 0, 0, time.UTC), []string{"token.expiring 7d management expiring mt " + mtAt}},
			{time.Date(2032, 5, 6, 12, 0, 0, 0, time.UTC), []string{"token.expiring 7d delivery expiring dt " + dtAt}},
			{time.Date(2032, 5, 10, 1, 0, 0, 0, time.UTC), []string{"token.expiring 1d management expiring mt " + mtAt}},
			{time.Date(2032, 5, 11, 0, 0, 0, 0, time.UTC), []string{"token.expired  management expiring mt " + mtAt}},
			{time.Date(2032, 5, 13, 1, 0, 0, 0, time.UTC), []string{"token.expired  delivery expiring dt " + dtAt}},
			{time.Date(2032, 5, 20, 0, 0, 0, 0, time.UTC), nil},
		} {
			if d := cmp.Diff(c.want, step(t, c.at)); d != "" {
				t.Errorf("at %v (-want +got):\n%s", c.at, d)
			}
		}
		// A later expiry date makes new events; the old ones stay once.
		later := time.Date(2032, 6, 1, 0, 0, 0, 0, time.UTC)
		mt.ExpiresOn = &later
		must(t, s.UpdateManagementToken(ctx(t), mt, nil))
		diff(t, "after a new date", []string{"token.expiring 7d management expiring mt 2032-06-02T00:00:00Z"},
			step(t, time.Date(2032, 5, 27, 0, 0, 0, 0, time.UTC)))
	})
	sub(t, "Prune", func(t *testing.T) {
		n, err := s.PruneWebhookDeliveries(ctx(t), time.Now().Add(time.Hour))
		must(t, err)
		if n == 0 || len(list(t, f.stack)) != 0 {
			t.Errorf("pruned %d, left %d", n, len(list(t, f.stack)))
		}
	})
}
