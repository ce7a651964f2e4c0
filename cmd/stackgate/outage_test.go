package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stackgate/stackgate/internal/testdb"
)

// outageNode is a serve started in-process for the outage tests.
type outageNode struct {
	base, metrics string
}

func startOutageNode(t *testing.T, url, keyFile, grace string) outageNode {
	t.Helper()
	lines, _ := serveLines(t, "--addr", "127.0.0.1:0", "--database", url, "--secret-key-file", keyFile,
		"--outage-grace", grace, "--metrics-addr", "127.0.0.1:0")
	return outageNode{
		base:    "http://" + waitLine(t, lines, regexp.MustCompile(`msg="stackgate listening" addr=http://([0-9.:]+)`))[1],
		metrics: "http://" + waitLine(t, lines, regexp.MustCompile(`msg="stackgate metrics listening" addr=http://([0-9.:]+)`))[1],
	}
}

// gateStatus asks a node's /gate/auth about a CDA read with token.
func gateStatus(t *testing.T, base, apiKey, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/gate/auth?api=cda", nil)
	req.Header["api_key"] = []string{apiKey}
	req.Header["access_token"] = []string{token}
	req.Header.Set("X-Original-Method", "GET")
	req.Header.Set("X-Original-URI", "/v3/content_types/blog/entries?environment=production")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == 503 && resp.Header.Get("Retry-After") == "" {
		t.Errorf("503 without Retry-After")
	}
	return resp.StatusCode
}

// httpJSON makes a request with stackgate's raw headers and decodes the reply.
func httpJSON(t *testing.T, method, url string, headers map[string]string, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	for k, v := range headers {
		req.Header[k] = []string{v}
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// TestOutagePolicy: with PostgreSQL stopped under serving nodes, a node
// with --outage-grace keeps allowing a delivery token it had cached as
// valid and keeps refusing one revoked before the outage and unknown ones;
// what needs the store (an uncached stack, a CMA route's data) is 503 with
// Retry-After, never 500; the grace ends
// (a 2 s grace: the valid token is refused with 503 once it has passed); a
// node with --outage-grace 0 refuses at once; all recover when the
// database is back.
func TestOutagePolicy(t *testing.T) {
	pg := testdb.NewCluster(t, "", "")
	pg.Start()
	url := pg.URL("postgres", "", "postgres", "sslmode=disable")
	keyFile := filepath.Join(t.TempDir(), "k")
	cli(t, "keygen", "--out", keyFile)
	out, _ := cli(t, "bootstrap", "--database", url, "--secret-key-file", keyFile, "--email", "o@example.com",
		"--password", "whole-program-1", "--stack", "S")
	var boot map[string]string
	json.Unmarshal([]byte(out), &boot)
	apiKey := boot["api_key"]

	long := startOutageNode(t, url, keyFile, "1h")
	short := startOutageNode(t, url, keyFile, "2s")
	none := startOutageNode(t, url, keyFile, "0")

	_, login := httpJSON(t, "POST", long.base+"/v3/user-session", nil, `{"user":{"email":"o@example.com","password":"whole-program-1"}}`)
	owner := map[string]string{"api_key": apiKey, "authtoken": login["user"].(map[string]any)["authtoken"].(string)}
	newToken := func(name string) (uid, value string) {
		status, body := httpJSON(t, "POST", long.base+"/v3/stacks/delivery_tokens", owner,
			fmt.Sprintf(`{"token":{"name":%q,"scope":%s}}`, name, deliveryScope))
		if status != 201 {
			t.Fatalf("create %s: %d %v", name, status, body)
		}
		tok := body["token"].(map[string]any)
		return tok["uid"].(string), tok["token"].(string)
	}
	_, valid := newToken("valid")
	revokedUID, revoked := newToken("revoked")
	nodes := []outageNode{long, short, none}
	for _, n := range nodes {
		for _, tok := range []string{valid, revoked} {
			if s := gateStatus(t, n.base, apiKey, tok); s != 200 {
				t.Fatalf("%s before the outage: %d", n.base, s)
			}
		}
	}
	if status, _ := httpJSON(t, "DELETE", long.base+"/v3/stacks/delivery_tokens/"+revokedUID, owner, ""); status != 200 {
		t.Fatalf("revoke: %d", status)
	}
	for _, n := range nodes {
		deadline := time.Now().Add(5 * time.Second)
		for gateStatus(t, n.base, apiKey, revoked) != 401 {
			if time.Now().After(deadline) {
				t.Fatalf("%s never refused the revoked token", n.base)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	pg.Stop()
	for _, n := range nodes {
		waitListenerDown(t, n.base)
	}
	const junk = "cs00000000000000000000000000junk"
	if s := gateStatus(t, long.base, apiKey, valid); s != 200 {
		t.Errorf("long grace, the valid token during the outage: %d, want 200", s)
	}
	for name, tok := range map[string]string{"revoked": revoked, "unknown": junk} {
		if s := gateStatus(t, long.base, apiKey, tok); s != 401 {
			t.Errorf("long grace, the %s token during the outage: %d, want 401", name, s)
		}
	}
	if s := gateStatus(t, long.base, "blt0000000000000unknown", valid); s != 503 {
		t.Errorf("long grace, a stack never cached: %d, want 503", s)
	}
	// A CMA route the cache cannot answer (its data is in the store).
	if status, body := httpJSON(t, "GET", long.base+"/v3/environments", owner, ""); status != 503 {
		t.Errorf("long grace, GET /v3/environments during the outage: %d %v, want 503", status, body)
	}
	if s := gateStatus(t, none.base, apiKey, valid); s != 503 {
		t.Errorf("no grace, the valid token during the outage: %d, want 503", s)
	}
	if s := gateStatus(t, none.base, apiKey, revoked); s != 503 {
		t.Errorf("no grace, the revoked token during the outage: %d, want 503", s)
	}
	deadline := time.Now().Add(15 * time.Second)
	for gateStatus(t, short.base, apiKey, valid) != 503 {
		if time.Now().After(deadline) {
			t.Fatal("a 2 s grace still allows after 15 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if s := gateStatus(t, short.base, apiKey, revoked); s == 200 {
		t.Errorf("short grace, the revoked token after the grace: %d", s)
	}
	fams := scrape(t, long.metrics+"/metrics")
	if v := value(t, fams, "stackgate_outage_served_total", nil); v < 1 {
		t.Errorf("stackgate_outage_served_total = %v", v)
	}
	if v := value(t, fams, "stackgate_gate_decision_duration_seconds", map[string]string{"api": "cda", "kind": "delivery_token", "outcome": "allow"}); v < 2 {
		t.Errorf("cda delivery_token allow decisions = %v", v)
	}
	value(t, fams, "stackgate_gate_decision_duration_seconds", map[string]string{"api": "cda", "kind": "none", "outcome": "deny_503"})
	for _, name := range []string{"stackgate_cache_hits_total", "stackgate_cache_misses_total", "stackgate_cache_loads_total", "stackgate_cache_load_duration_seconds"} {
		if v := value(t, fams, name, nil); v < 1 {
			t.Errorf("%s = %v", name, v)
		}
	}
	if v := value(t, fams, "stackgate_cache_load_errors_total", nil); v < 1 {
		t.Errorf("no failed load counted during the outage")
	}

	pg.Start()
	for _, n := range nodes {
		deadline := time.Now().Add(20 * time.Second)
		for gateStatus(t, n.base, apiKey, valid) != 200 {
			if time.Now().After(deadline) {
				t.Fatalf("%s did not recover", n.base)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if s := gateStatus(t, n.base, apiKey, revoked); s != 401 {
			t.Errorf("%s after recovery, the revoked token: %d", n.base, s)
		}
	}
}

// waitListenerDown waits until a node's /readyz says its listener is down.
func waitListenerDown(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if _, checks := readyz(t, base); !checks["listener"] {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: the listener never went down", base)
}
