package http_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/internal/testdb"
)

// TestRotation: each kind of token rotates; during the grace window both
// values work, after it only the new one, by the gate's clock; without
// grace the old value dies at once; deleting the token kills both; the
// rotation is an audit entry.
func TestRotation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		clock := stackgate.Now()
		f.svc.Now = func() time.Time { return clock }
		dt := jobj(t, mustDo(t, f, f.as(Owner), "POST", deliveryTokensPath+"?create_with_preview_token=true",
			deliveryTokenBody("site", standardDeliveryScope()...), 201).body["token"])
		uid := dt["uid"].(string)
		oldDelivery, oldPreview := dt["token"].(string), dt["preview_token"].(string)
		mt := mgmtAll(t, f, "ci")
		mtUID := ""
		for _, tok := range mustDo(t, f, f.as(Owner), "GET", managementTokensPath, nil, 200).body["tokens"].([]any) {
			mtUID = jobj(t, tok)["uid"].(string)
		}
		cda := func(value string) int {
			return gateStatus(t, f, map[string]string{"api_key": f.stack.APIKey, "access_token": value}, "GET", entriesURI+"production")
		}
		preview := func(value string) int {
			return gateStatus(t, f, map[string]string{"api_key": f.stack.APIKey, "preview_token": value}, "GET", entriesURI+"production")
		}
		cma := func(value string) int { return f.do(req{"GET", "/v3/environments", f.withToken(value), nil}).status }

		// Delivery token, 1 h of grace.
		r := mustDo(t, f, f.as(Developer), "POST", deliveryTokensPath+"/"+uid+"/rotate", map[string]any{"grace_period_seconds": 3600}, 200)
		newDelivery := jobj(t, r.body["token"])["token"].(string)
		if newDelivery == oldDelivery || r.body["notice"] != "Delivery Token rotated successfully." {
			t.Fatalf("rotate reply: %s", r.raw)
		}
		if got, want := r.body["previous_token_expires_at"], stackgate.FormatTime(clock.Add(time.Hour)); got != want {
			t.Errorf("previous_token_expires_at = %v, want %s", got, want)
		}
		if jobj(t, r.body["token"])["preview_token"] != oldPreview {
			t.Error("rotating the delivery token changed the preview token")
		}
		// Preview token, no grace.
		r = mustDo(t, f, f.as(Owner), "POST", deliveryTokensPath+"/"+uid+"/preview_token/rotate", nil, 200)
		newPreview := jobj(t, r.body["token"])["preview_token"].(string)
		if r.body["previous_token_expires_at"] != nil || newPreview == oldPreview {
			t.Errorf("preview rotate without grace: %s", r.raw)
		}
		// Management token, 10 minutes of grace; the new value shown this once.
		r = mustDo(t, f, f.as(Owner), "POST", managementTokensPath+"/"+mtUID+"/rotate", map[string]any{"grace_period_seconds": 600}, 200)
		newMgmt := jobj(t, r.body["token"])["token"].(string)
		if newMgmt == mt || r.body["notice"] != "Management Token rotated successfully." {
			t.Fatalf("management rotate reply: %s", r.raw)
		}
		if _, shown := jobj(t, mustDo(t, f, f.as(Owner), "GET", managementTokensPath+"/"+mtUID, nil, 200).body["token"])["token"]; shown {
			t.Error("a fetch shows the rotated management token's value")
		}

		for _, tc := range []struct {
			at                         time.Duration
			oldDT, newDT, oldPV, newPV int
			oldMT, newMT               int
		}{
			{0, 200, 200, 401, 200, 200, 200},
			{9 * time.Minute, 200, 200, 401, 200, 200, 200},
			{10 * time.Minute, 200, 200, 401, 200, 401, 200},
			{time.Hour, 401, 200, 401, 200, 401, 200},
		} {
			clock = clock.Add(tc.at)
			got := []int{cda(oldDelivery), cda(newDelivery), preview(oldPreview), preview(newPreview), cma(mt), cma(newMgmt)}
			want := []int{tc.oldDT, tc.newDT, tc.oldPV, tc.newPV, tc.oldMT, tc.newMT}
			if d := cmpDiff(want, got); d != "" {
				t.Errorf("at +%v: [old dt, new dt, old preview, new preview, old mt, new mt] (-want +got):\n%s", tc.at, d)
			}
			clock = clock.Add(-tc.at)
		}

		// The rotations are audit entries, and hold no value.
		logs := mustDo(t, f, f.as(Owner), "GET", auditLogsPath+"?limit=3", nil, 200)
		var events []string
		for _, l := range logs.body["logs"].([]any) {
			e := jobj(t, l)
			events = append(events, e["module"].(string)+" "+e["event_type"].(string))
		}
		if d := cmpDiff([]string{"management_token rotate", "preview_token rotate", "delivery_token rotate"}, events); d != "" {
			t.Errorf("audit entries (-want +got):\n%s", d)
		}
		for _, v := range []string{newDelivery, newPreview, newMgmt, oldDelivery} {
			if contains(logs.raw, v) {
				t.Error("the audit log holds a token value")
			}
		}

		// Rotate again with grace, then delete: both values die at once.
		r = mustDo(t, f, f.as(Owner), "POST", deliveryTokensPath+"/"+uid+"/rotate", map[string]any{"grace_period_seconds": 3600}, 200)
		newest := jobj(t, r.body["token"])["token"].(string)
		if cda(newDelivery) != 200 || cda(newest) != 200 {
			t.Fatal("in the window both values work")
		}
		mustDo(t, f, f.as(Owner), "DELETE", deliveryTokensPath+"/"+uid, nil, 200)
		if cda(newDelivery) != 401 || cda(newest) != 401 {
			t.Error("a deleted token's values still work")
		}
	})
}

// TestRotationBadInput: an unknown or another stack's token, a negative or
// oversized grace: 422 with errors, nothing changed.
func TestRotationBadInput(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		dt := jobj(t, mustDo(t, f, f.as(Owner), "POST", deliveryTokensPath, deliveryTokenBody("site", standardDeliveryScope()...), 201).body["token"])
		uid := dt["uid"].(string)
		theirs := jobj(t, mustDo(t, f, map[string]string{"api_key": f.other.APIKey, "authtoken": f.tokens[Outsider]}, "POST", deliveryTokensPath,
			deliveryTokenBody("theirs", standardDeliveryScope()...), 201).body["token"])
		for _, tc := range []struct {
			name, path string
			body       any
			field      string
		}{
			{"unknown token", deliveryTokensPath + "/bltmissing/rotate", nil, ""},
			{"another stack's token", deliveryTokensPath + "/" + theirs["uid"].(string) + "/rotate", nil, ""},
			{"no preview token", deliveryTokensPath + "/" + uid + "/preview_token/rotate", nil, ""},
			{"unknown management token", managementTokensPath + "/bltmissing/rotate", nil, ""},
			{"negative grace", deliveryTokensPath + "/" + uid + "/rotate", map[string]any{"grace_period_seconds": -1}, "grace_period_seconds"},
			{"oversized grace", deliveryTokensPath + "/" + uid + "/rotate", map[string]any{"grace_period_seconds": 31 * 86400}, "grace_period_seconds"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantError(t, f.do(req{"POST", tc.path, f.as(Owner), tc.body}), 422, 141, tc.field)
			})
		}
		after := jobj(t, mustDo(t, f, f.as(Owner), "GET", deliveryTokensPath+"/"+uid, nil, 200).body["token"])
		if after["token"] != dt["token"] {
			t.Error("a refused rotation changed the token")
		}
		if gateStatus(t, f, map[string]string{"api_key": f.other.APIKey, "access_token": theirs["token"].(string)}, "GET", entriesURI+"production") != 200 {
			t.Error("the other stack's token stopped working")
		}
		wantError(t, f.do(req{"POST", deliveryTokensPath + "/" + uid + "/rotate", f.as(ContentManager), nil}), 403, 316, "")
	})
}

func cmpDiff(want, got any) string { return cmp.Diff(want, got) }

func contains(b []byte, s string) bool { return bytes.Contains(b, []byte(s)) }
