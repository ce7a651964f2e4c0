package e2e

import (
	"testing"
	"time"

	"github.com/stackgate/stackgate/internal/testdb"
)

// TestTwoNodesRotationAndLastUse runs two nodes on one PostgreSQL: a
// delivery token rotated on A with a grace window works by both values on
// B during it and only by the new one after it, on both nodes; its uses on
// both nodes are flushed and the latest wins.
func TestTwoNodesRotationAndLastUse(t *testing.T) {
	dsn := testdb.PostgresURL(t)
	env := sharedKey(t)
	boot := bootstrap(t, env, dsn, "owner@example.com", "Rotation")
	a := serve(t, env, "--database", dsn, "--last-use-flush-interval", "200ms")
	b := serve(t, env, "--database", dsn, "--last-use-flush-interval", "200ms")
	owner := map[string]string{"api_key": boot["api_key"], "authtoken": login(t, a.URL, "owner@example.com")}
	tok := createDeliveryToken(t, a.URL, owner, "site")
	ask := func(n *node, token string) int {
		t.Helper()
		status, _, _ := call(t, "GET", n.URL+"/gate/auth?api=cda", map[string]string{
			"api_key": boot["api_key"], "access_token": token,
			"X-Original-Method": "GET", "X-Original-URI": "/v3/content_types/blog/entries?environment=production"}, nil)
		return status
	}
	if ask(b, tok["token"]) != 200 {
		t.Fatal("B refuses the token before any rotation")
	}
	status, body, _ := call(t, "POST", a.URL+"/v3/stacks/delivery_tokens/"+tok["uid"]+"/rotate", owner, map[string]any{"grace_period_seconds": 3})
	if status != 200 {
		t.Fatalf("rotate on A: %d %v", status, body)
	}
	next := body["token"].(map[string]any)["token"].(string)
	until, err := time.Parse(time.RFC3339, body["previous_token_expires_at"].(string))
	if err != nil {
		t.Fatal(err)
	}
	// B learns of the new value by notification (or its lookup of a miss).
	deadline := time.Now().Add(2 * time.Second)
	for ask(b, next) != 200 {
		if time.Now().After(deadline) {
			t.Fatal("B never accepts the rotated value")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if time.Now().Before(until.Add(-500*time.Millisecond)) && (ask(b, tok["token"]) != 200 || ask(a, tok["token"]) != 200) {
		t.Error("in the grace window a node refuses the old value")
	}
	time.Sleep(time.Until(until) + 50*time.Millisecond)
	for _, n := range []*node{a, b} {
		if ask(n, tok["token"]) != 401 {
			t.Errorf("%s accepts the old value after the window", n.URL)
		}
		if ask(n, next) != 200 {
			t.Errorf("%s refuses the new value", n.URL)
		}
	}

	// Last use: used on A, then on B; both flush; the later use wins.
	ask(a, next)
	time.Sleep(20 * time.Millisecond)
	usedOnB := time.Now()
	ask(b, next)
	deadline = time.Now().Add(3 * time.Second)
	for {
		_, body, _ := call(t, "GET", a.URL+"/v3/stacks/delivery_tokens/"+tok["uid"], owner, nil)
		if s, ok := body["token"].(map[string]any)["last_used_at"].(string); ok {
			at, err := time.Parse(time.RFC3339, s)
			if err != nil {
				t.Fatal(err)
			}
			if !at.Before(usedOnB.Add(-5 * time.Millisecond)) {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("last_used_at never reached B's use: %v", body["token"].(map[string]any)["last_used_at"])
		}
		time.Sleep(50 * time.Millisecond)
	}
}
