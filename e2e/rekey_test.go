package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/stackgate/stackgate/internal/testdb"
)

// TestRekeyTwoNodes: two nodes on one PostgreSQL serve delivery and preview
// tokens while `stackgate rekey` re-seals them in small batches and node A
// keeps creating tokens; every token is allowed by both nodes, and listed
// with its value by both, throughout and after; then a node restarted
// without the old key serves them all.
func TestRekeyTwoNodes(t *testing.T) {
	dsn := testdb.PostgresURL(t)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "stackgate.key")
	runCmd(t, nil, "keygen", "--out", keyFile)
	env := []string{"STACKGATE_SECRET_KEY_FILE=" + keyFile}
	boot := bootstrap(t, env, dsn, "owner@example.com", "Rekey")
	a := serve(t, env, "--database", dsn)
	owner := map[string]string{"api_key": boot["api_key"], "authtoken": login(t, a.URL, "owner@example.com")}

	var mu sync.Mutex
	tokens := map[string]string{} // name → value
	create := func(name string) {
		tok := createDeliveryToken(t, a.URL, owner, name)
		mu.Lock()
		tokens[name] = tok["token"]
		mu.Unlock()
	}
	for i := range 12 {
		create(fmt.Sprintf("before-%d", i))
	}
	a.stop(t)

	// The operator's steps: a new key first in the key file on every node
	// (the old one kept), restart, rekey, remove the old key.
	old, _ := os.ReadFile(keyFile)
	newKey := keyLine(string(runCmd(t, nil, "keygen")), "enc ")
	newKey = strings.Replace(newKey, "enc k1 ", "enc k2 ", 1)
	rotated := keyLine(string(old), "hmac ") + "\n" + newKey + "\n" + keyLine(string(old), "enc ") + "\n"
	if err := os.WriteFile(keyFile, []byte(rotated), 0o600); err != nil {
		t.Fatal(err)
	}
	a = serve(t, env, "--database", dsn)
	b := serve(t, env, "--database", dsn)
	owner["authtoken"] = login(t, a.URL, "owner@example.com")

	ask := func(n *node, token string) int {
		status, _, _ := call(t, "GET", n.URL+"/gate/auth?api=cda", map[string]string{
			"api_key": boot["api_key"], "access_token": token,
			"X-Original-Method": "GET", "X-Original-URI": "/v3/content_types/blog/entries?environment=production"}, nil)
		return status
	}
	checkAll := func(when string) {
		mu.Lock()
		defer mu.Unlock()
		for _, n := range []*node{a, b} {
			for name, v := range tokens {
				if s := ask(n, v); s != 200 {
					t.Errorf("%s: %s on %s: %d, want 200", when, name, n.URL, s)
				}
			}
		}
	}
	// Both nodes cache the stack before the rekey starts.
	checkAll("before rekey")

	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() { // a live writer and live readers on both nodes
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			create(fmt.Sprintf("during-%d", i))
			checkAll("during rekey")
		}
	}()
	out := runCmd(t, env, "rekey", "--database", dsn, "--batch", "3", "--json")
	close(stop)
	wg.Wait()
	var res struct {
		Resealed int            `json:"resealed"`
		SealedBy map[string]int `json:"sealed_by_key"`
	}
	if err := json.Unmarshal(out, &res); err != nil || res.Resealed < 12 || res.SealedBy["k1"] != 0 {
		t.Fatalf("rekey printed %s (%v)", out, err)
	}
	checkAll("after rekey")
	for _, n := range []*node{a, b} {
		status, body, _ := call(t, "GET", n.URL+"/v3/stacks/delivery_tokens", owner, nil)
		listed := map[string]string{}
		for _, x := range body["tokens"].([]any) {
			m := x.(map[string]any)
			listed[m["name"].(string)] = m["token"].(string)
		}
		mu.Lock()
		for name, v := range tokens {
			if listed[name] != v {
				t.Errorf("%s lists %s as %q (status %d), want %q", n.URL, name, listed[name], status, v)
			}
		}
		mu.Unlock()
	}

	// The old key removed: a restarted node starts and serves every token.
	if err := os.WriteFile(keyFile, []byte(keyLine(string(old), "hmac ")+"\n"+newKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b.stop(t)
	b = serve(t, env, "--database", dsn)
	checkAll("after removing the old key")
}

// keyLine returns the first line of a key file with prefix.
func keyLine(file, prefix string) string {
	for _, l := range strings.Split(file, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// stop stops the node gracefully (SIGTERM) and waits for it to exit.
func (n *node) stop(t *testing.T) {
	t.Helper()
	if err := n.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = n.cmd.Wait()
}
