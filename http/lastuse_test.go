package http_test

import (
	"testing"
	"time"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/internal/testdb"
)

// TestLastUse: a token's use at the gate or the CMA is recorded in memory
// and appears as last_used_at once flushed; an older flush (another node's)
// never moves it back.
func TestLastUse(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		clock := time.Date(2031, 5, 10, 12, 0, 0, 0, time.UTC)
		f.svc.Now = func() time.Time { return clock }
		dt := jobj(t, mustDo(t, f, f.as(Owner), "POST", deliveryTokensPath+"?create_with_preview_token=true",
			deliveryTokenBody("site", standardDeliveryScope()...), 201).body["token"])
		uid := dt["uid"].(string)
		mt := mgmtAll(t, f, "ci")
		fetch := func() map[string]any {
			return jobj(t, mustDo(t, f, f.as(Owner), "GET", deliveryTokensPath+"/"+uid, nil, 200).body["token"])
		}
		if _, has := fetch()["last_used_at"]; has {
			t.Fatal("a token never used has last_used_at")
		}
		if st := gateStatus(t, f, map[string]string{"api_key": f.stack.APIKey, "access_token": dt["token"].(string)}, "GET", entriesURI+"production"); st != 200 {
			t.Fatalf("gate: %d", st)
		}
		clock = clock.Add(time.Second)
		if st := gateStatus(t, f, map[string]string{"api_key": f.stack.APIKey, "preview_token": dt["preview_token"].(string)}, "GET", entriesURI+"production"); st != 200 {
			t.Fatalf("gate preview: %d", st)
		}
		mustDo(t, f, f.withToken(mt), "GET", "/v3/environments", nil, 200)
		if _, has := fetch()["last_used_at"]; has {
			t.Fatal("last_used_at before any flush: the hot path wrote to the store")
		}
		if err := f.svc.FlushLastUse(t.Context(), f.acc); err != nil {
			t.Fatal(err)
		}
		got := fetch()
		if got["last_used_at"] != "2031-05-10T12:00:00.000Z" || got["preview_last_used_at"] != "2031-05-10T12:00:01.000Z" {
			t.Errorf("after a flush: last_used_at %v, preview_last_used_at %v", got["last_used_at"], got["preview_last_used_at"])
		}
		var mtUsed any
		for _, tok := range mustDo(t, f, f.as(Owner), "GET", managementTokensPath, nil, 200).body["tokens"].([]any) {
			mtUsed = jobj(t, tok)["last_used_at"]
		}
		if mtUsed != "2031-05-10T12:00:01.000Z" {
			t.Errorf("management token last_used_at = %v", mtUsed)
		}
		// Nothing new: a flush writes nothing. Another node's older view
		// does not move it back.
		if uses := f.acc.LastUses(); len(uses) != 0 {
			t.Errorf("after a flush, %d uses still pending", len(uses))
		}
		if err := f.store.RecordLastUse(t.Context(), []stackgate.LastUse{{Kind: stackgate.LastUseDelivery, StackUID: f.stack.UID,
			TokenUID: uid, At: clock.Add(-time.Hour)}}); err != nil {
			t.Fatal(err)
		}
		if got := fetch()["last_used_at"]; got != "2031-05-10T12:00:00.000Z" {
			t.Errorf("an older flush moved last_used_at to %v", got)
		}
	})
}
