package e2e

import (
	"testing"
	"time"

	"github.com/stackgate/stackgate/internal/testdb"
)

// TestTwoNodesSessionLastUse runs two nodes on one PostgreSQL: a session
// used on A, then on B, shows B's (the later) use in A's GET
// /v3/user/sessions once both flushed; ending it on A refuses it on B.
func TestTwoNodesSessionLastUse(t *testing.T) {
	dsn := testdb.PostgresURL(t)
	env := sharedKey(t)
	bootstrap(t, env, dsn, "owner@example.com", "Sessions")
	a := serve(t, env, "--database", dsn, "--last-use-flush-interval", "200ms")
	b := serve(t, env, "--database", dsn, "--last-use-flush-interval", "200ms")
	used := login(t, a.URL, "owner@example.com")   // used on both nodes
	lister := login(t, a.URL, "owner@example.com") // lists on A
	use := func(n *node) {
		t.Helper()
		if status, body, _ := call(t, "GET", n.URL+"/v3/user", map[string]string{"authtoken": used}, nil); status != 200 {
			t.Fatalf("GET /v3/user on %s: %d %v", n.URL, status, body)
		}
	}
	// the used session as A lists it
	find := func() map[string]any {
		t.Helper()
		status, body, _ := call(t, "GET", a.URL+"/v3/user/sessions", map[string]string{"authtoken": lister}, nil)
		if status != 200 {
			t.Fatalf("GET /v3/user/sessions on A: %d %v", status, body)
		}
		var found map[string]any
		for _, s := range body["sessions"].([]any) {
			s := s.(map[string]any)
			if s["current"] == true {
				continue
			}
			if found != nil {
				t.Fatalf("more than one other session: %v", body)
			}
			found = s
		}
		if found == nil {
			t.Fatalf("the used session is not listed: %v", body)
		}
		return found
	}
	if _, has := find()["last_used_at"]; has {
		t.Fatal("a session never used has last_used_at")
	}
	use(a)
	time.Sleep(20 * time.Millisecond)
	usedOnB := time.Now()
	use(b)
	deadline := time.Now().Add(3 * time.Second)
	for {
		s := find()
		if v, ok := s["last_used_at"].(string); ok {
			at, err := time.Parse(time.RFC3339, v)
			if err != nil {
				t.Fatal(err)
			}
			if !at.Before(usedOnB.Add(-5 * time.Millisecond)) {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("last_used_at never reached B's use: %v", s)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A's flushes after B's never move it back.
	time.Sleep(500 * time.Millisecond)
	if v, _ := find()["last_used_at"].(string); v != "" {
		if at, _ := time.Parse(time.RFC3339, v); at.Before(usedOnB.Add(-5 * time.Millisecond)) {
			t.Errorf("last_used_at moved back to %s", v)
		}
	}

	// Ended on A: B refuses it at once (by notification).
	uid := find()["uid"].(string)
	if status, body, _ := call(t, "DELETE", a.URL+"/v3/user/sessions/"+uid, map[string]string{"authtoken": lister}, nil); status != 200 {
		t.Fatalf("DELETE on A: %d %v", status, body)
	}
	deadline = time.Now().Add(2 * time.Second)
	for {
		status, _, _ := call(t, "GET", b.URL+"/v3/user", map[string]string{"authtoken": used}, nil)
		if status == 401 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("B still accepts the ended session: %d", status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
