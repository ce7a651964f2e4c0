package http_test

import (
	"testing"
	"time"

	"github.com/stackgate/stackgate/internal/testdb"
)

// TestDeliveryTokenExpiry: expires_on on a delivery token has the
// management tokens' rule: it and its preview token work through that UTC
// date and are refused from 00:00 UTC of the next, at the gate and on the
// proxy listeners; a past date is 422; an update sets or clears it.
func TestDeliveryTokenExpiry(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		w := newProxyWorld(t, open, 0)
		clock := time.Date(2031, 5, 10, 12, 0, 0, 0, time.UTC)
		w.svc.Now = func() time.Time { return clock }
		body := deliveryTokenBody("expiring", standardDeliveryScope()...)
		body["token"].(map[string]any)["expires_on"] = "2031-05-10T08:00:00Z" // counts for its UTC date
		r := mustDo(t, w.fixture, w.as(Owner), "POST", deliveryTokensPath+"?create_with_preview_token=true", body, 201)
		tok := jobj(t, r.body["token"])
		if tok["expires_on"] != "2031-05-10" {
			t.Fatalf("expires_on = %v, want 2031-05-10", tok["expires_on"])
		}
		if got := jobj(t, mustDo(t, w.fixture, w.as(Owner), "GET", deliveryTokensPath+"/"+tok["uid"].(string), nil, 200).body["token"])["expires_on"]; got != "2031-05-10" {
			t.Errorf("fetch: expires_on = %v", got)
		}
		delivery, preview := tok["token"].(string), tok["preview_token"].(string)
		prod := "/v3/content_types/blog/entries?environment=production"
		statuses := func() []int {
			cdaGate := gateStatus(t, w.fixture, map[string]string{"api_key": w.key, "access_token": delivery}, "GET", prod)
			previewGate := gateStatus(t, w.fixture, map[string]string{"api_key": w.key, "preview_token": preview}, "GET", prod)
			cdaProxy, _, _ := send(t, "GET", w.cdaURL+prod, h("api_key", w.key, "access_token", delivery), nil)
			previewProxy, _, _ := send(t, "GET", w.previewURL+prod, h("api_key", w.key, "preview_token", preview), nil)
			return []int{cdaGate, previewGate, cdaProxy, previewProxy}
		}
		for _, tc := range []struct {
			at   time.Time
			want int
		}{
			{time.Date(2031, 5, 10, 23, 59, 59, 0, time.UTC), 200},
			{time.Date(2031, 5, 11, 0, 0, 0, 0, time.UTC), 401},
		} {
			clock = tc.at
			want := []int{tc.want, tc.want, tc.want, tc.want}
			if d := cmpDiff(want, statuses()); d != "" {
				t.Errorf("at %v: [gate cda, gate preview, cda proxy, preview proxy] (-want +got):\n%s", tc.at, d)
			}
		}
		// An update clears it (null); the token works again.
		upd := mustDo(t, w.fixture, w.as(Owner), "PUT", deliveryTokensPath+"/"+tok["uid"].(string),
			map[string]any{"token": map[string]any{"expires_on": nil}}, 200)
		if _, has := jobj(t, upd.body["token"])["expires_on"]; has {
			t.Errorf("cleared expires_on still rendered: %s", upd.raw)
		}
		if d := cmpDiff([]int{200, 200, 200, 200}, statuses()); d != "" {
			t.Errorf("after clearing (-want +got):\n%s", d)
		}
		// A date already past is refused, at create and update.
		past := deliveryTokenBody("past", standardDeliveryScope()...)
		past["token"].(map[string]any)["expires_on"] = "2031-05-10"
		wantError(t, w.do(req{"POST", deliveryTokensPath, w.as(Owner), past}), 422, 141, "expires_on")
		wantError(t, w.do(req{"PUT", deliveryTokensPath + "/" + tok["uid"].(string), w.as(Owner),
			map[string]any{"token": map[string]any{"expires_on": "yesterday"}}}), 422, 141, "expires_on")
	})
}
