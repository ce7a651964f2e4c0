package e2e

import (
	"path/filepath"
	"testing"
	"time"
)

// TestUserAddWhileServing: `stackgate user add` run beside a serving node
// (another process, same SQLite file) takes effect without a restart.
func TestUserAddWhileServing(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "sg.db")
	boot := bootstrap(t, nil, db, "owner@example.com", "Side By Side")
	n := serve(t, nil, "--database", db)
	owner := map[string]string{"api_key": boot["api_key"], "authtoken": login(t, n.URL, "owner@example.com")}
	if status, _, _ := call(t, "GET", n.URL+"/v3/environments", owner, nil); status != 200 {
		t.Fatalf("owner: %d", status) // the stack's snapshot is now cached
	}
	runCmd(t, nil, "user", "add", "--database", db, "--email", "dev@example.com", "--password", "e2e-password-1",
		"--stack", boot["api_key"], "--role", "Developer")
	dev := map[string]string{"api_key": boot["api_key"], "authtoken": login(t, n.URL, "dev@example.com")}
	deadline := time.Now().Add(2 * time.Second)
	for {
		status, body, _ := call(t, "POST", n.URL+"/v3/environments", dev,
			map[string]any{"environment": map[string]any{"name": "staging"}})
		if status == 201 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the new developer is still refused: %d %v", status, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
