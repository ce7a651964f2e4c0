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
// tokens while `stackgate rekey` re-seals and re-hashes them (new enc and
// hmac keys first) in small batches and node A keeps creating tokens; every
// token is allowed by both nodes, and listed with its value by both,
// throughout and after, and so are an authtoken and a management token made
// under the old hmac key (they move on use); `rekey --retire-hmac` revokes
// the old-key credentials never used, on both nodes; then a node restarted
// without the old keys serves them all.
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
	// Hash-only credentials made under the old hmac key: one used during
	// the rekey (it moves), one never used again (retired).
	used := map[string]string{"session": login(t, a.URL, "owner@example.com"), "management": managementToken(t, a.URL, owner, "used")}
	idle := map[string]string{"session": login(t, a.URL, "owner@example.com"), "management": managementToken(t, a.URL, owner, "idle")}
	a.stop(t)

	// The operator's steps: new keys (hmac and enc) first in the key file
	// on every node (the old ones kept), restart, rekey, retire the old
	// hmac key, remove the old keys.
	old, _ := os.ReadFile(keyFile)
	fresh := string(runCmd(t, nil, "keygen"))
	newKey := strings.Replace(keyLine(fresh, "enc "), "enc k1 ", "enc k2 ", 1)
	newHMAC := strings.Replace(keyLine(fresh, "hmac "), "hmac h1 ", "hmac h2 ", 1)
	rotated := newHMAC + "\n" + keyLine(string(old), "hmac ") + "\n" + newKey + "\n" + keyLine(string(old), "enc ") + "\n"
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
	// cma is the status of a CMA request with one hash-only credential.
	cma := func(n *node, kind, v string) int {
		h := map[string]string{"api_key": boot["api_key"], "authtoken": v}
		if kind == "management" {
			h = map[string]string{"api_key": boot["api_key"], "authorization": v}
		}
		status, _, _ := call(t, "GET", n.URL+"/v3/environments", h, nil)
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
			for kind, v := range used {
				if s := cma(n, kind, v); s != 200 {
					t.Errorf("%s: the old %s on %s: %d, want 200", when, kind, n.URL, s)
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
		Resealed int                       `json:"resealed"`
		SealedBy map[string]int            `json:"sealed_by_key"`
		Hashed   map[string]map[string]int `json:"hashed_by_hmac_key"`
	}
	if err := json.Unmarshal(out, &res); err != nil || res.Resealed < 12 || res.SealedBy["k1"] != 0 ||
		res.Hashed["h1"]["delivery_token"] != 0 {
		t.Fatalf("rekey printed %s (%v)", out, err)
	}
	checkAll("after rekey")
	// The used credentials moved (on whichever node used them first); the
	// idle ones are what retiring the old hmac key revokes.
	out = runCmd(t, env, "rekey", "--database", dsn, "--retire-hmac", "h1", "--json")
	var retired struct {
		Revoked []map[string]string       `json:"revoked"`
		Hashed  map[string]map[string]int `json:"hashed_by_hmac_key"`
	}
	// Revoked: the idle management token, and two sessions under h1 (the
	// idle one and the owner's first).
	if err := json.Unmarshal(out, &retired); err != nil || len(retired.Revoked) != 3 || retired.Hashed["h1"] != nil {
		t.Fatalf("rekey --retire-hmac printed %s (%v)", out, err)
	}
	var names []string
	for _, r := range retired.Revoked {
		if r["kind"] == "management_token" {
			names = append(names, r["name"])
		}
	}
	if len(names) != 1 || names[0] != "idle" {
		t.Fatalf("revoked management tokens %v, want [idle]", names)
	}
	for _, n := range []*node{a, b} {
		for kind, v := range idle {
			if s := cma(n, kind, v); s != 401 {
				t.Errorf("the retired %s on %s: %d, want 401", kind, n.URL, s)
			}
		}
	}
	checkAll("after retiring the old hmac key")
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

	// The old keys removed: a restarted node starts and serves every token.
	if err := os.WriteFile(keyFile, []byte(newHMAC+"\n"+newKey+"\n"), 0o600); err != nil {
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

// managementToken creates a management token that reads the stack and
// returns its value.
func managementToken(t *testing.T, base string, owner map[string]string, name string) string {
	t.Helper()
	status, body, _ := call(t, "POST", base+"/v3/stacks/management_tokens", owner,
		map[string]any{"token": map[string]any{"name": name, "scope": []any{
			map[string]any{"module": "$all", "acl": map[string]bool{"read": true}},
			map[string]any{"module": "branch", "branches": []string{"main"}, "acl": map[string]bool{"read": true}}}}})
	if status != 201 {
		t.Fatalf("create management token %q: %d %v", name, status, body)
	}
	return body["token"].(map[string]any)["token"].(string)
}
