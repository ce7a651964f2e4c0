package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/stackgate/stackgate/internal/testdb"
)

// lbUpstream is README "Several nodes": the nginx configuration's
// upstream stackgate block with every node in it. nginx takes a node out
// for fail_timeout after max_fails failed connections, and tries the next
// one for a request whose node does not answer.
var lbUpstream = template.Must(template.New("lb").Parse(`upstream stackgate {
{{range .}}  server {{.}} max_fails=1 fail_timeout=5s;
{{end}}  keepalive 16;
}
`))

// TestSeveralNodesBehindNginx: two nodes on one PostgreSQL behind the
// README's nginx configuration with lbUpstream: requests are decided by
// both, a revocation on one node is refused through nginx within a
// second, and with one node stopped nginx keeps serving through the other.
func TestSeveralNodesBehindNginx(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if block := "```nginx\n" + render(lbUpstream, []string{"10.0.0.11:8080", "10.0.0.12:8080"}) + "```\n"; !strings.Contains(string(readme), block) {
		t.Errorf("README.md lacks the several-nodes upstream block, verbatim:\n%s", block)
	}
	dsn := testdb.PostgresURL(t)
	keyFile := filepath.Join(t.TempDir(), "stackgate.key")
	runCmd(t, nil, "keygen", "--out", keyFile)
	env := []string{"STACKGATE_SECRET_KEY_FILE=" + keyFile}
	boot := bootstrap(t, env, dsn, "owner@example.com", "Behind a balancer")
	a := serve(t, env, "--database", dsn)
	b := serve(t, env, "--database", dsn)
	owner := map[string]string{"api_key": boot["api_key"], "authtoken": login(t, a.URL, "owner@example.com")}
	token := createDeliveryToken(t, a.URL, owner, "web")

	ups := map[string]*echo{"cda": newEcho(t), "preview": newEcho(t), "cma": newEcho(t)}
	params, addrs := sitesFor(t, "NODES", ups)
	sites := render(nginxSites, params)
	single := "upstream stackgate { server NODES; keepalive 16; }\n"
	if !strings.Contains(sites, single) {
		t.Fatalf("the nginx configuration's upstream line changed; update this test:\n%s", sites)
	}
	nodes := []string{strings.TrimPrefix(a.URL, "http://"), strings.TrimPrefix(b.URL, "http://")}
	runNginx(t, strings.Replace(sites, single, render(lbUpstream, nodes), 1), addrs)

	ask := func() int {
		return rawDo(t, addrs["cda"], "GET", "/v3/content_types/blog/entries?environment=production",
			[][2]string{{"api_key", boot["api_key"]}, {"access_token", token["token"]}}, "").status
	}
	for i := range 10 {
		if s := ask(); s != 200 {
			t.Fatalf("request %d through nginx: %d", i, s)
		}
	}
	if got := len(ups["cda"].take()); got != 10 {
		t.Fatalf("the content API got %d requests, want 10", got)
	}

	if status, _, _ := call(t, "DELETE", b.URL+"/v3/stacks/delivery_tokens/"+token["uid"], owner, nil); status != 200 {
		t.Fatalf("revoke on B: %d", status)
	}
	deadline := time.Now().Add(time.Second)
	for refused := 0; refused < 10; {
		if s := ask(); s == 401 {
			refused++
		} else if refused > 0 || time.Now().After(deadline) {
			t.Fatalf("after the revoke: %d (after %d refusals)", s, refused)
		}
	}

	// One node down: nginx serves through the other.
	token = createDeliveryToken(t, b.URL, owner, "web 2")
	a.stop(t)
	for i := range 10 {
		if s := ask(); s != 200 {
			t.Fatalf("request %d with node A stopped: %d", i, s)
		}
	}
}
