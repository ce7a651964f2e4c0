package e2e

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/stackgate/stackgate/internal/testdb"
)

// TestTwoNodesOAuthRevocation: two nodes on one PostgreSQL. A user's OAuth
// token, cached on node B, is refused by B once the user logs out through
// node A; a machine app's token, cached on B, once `stackgate app remove`
// (another process) removes the app.
func TestTwoNodesOAuthRevocation(t *testing.T) {
	dsn := testdb.PostgresURL(t)
	env := sharedKey(t)
	boot := bootstrap(t, env, dsn, "owner@example.com", "OAuth Nodes")
	var app, robot map[string]any
	if err := json.Unmarshal(runCmd(t, env, "app", "add", "--database", dsn, "--name", "CLI", "--redirect-uri", "http://localhost:8184",
		"--scopes", "cm.roles.management:read"), &app); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(runCmd(t, env, "app", "add", "--database", dsn, "--name", "Robot", "--machine", "--stack", boot["api_key"],
		"--scopes", "cm.roles.management:read"), &robot); err != nil {
		t.Fatal(err)
	}
	a := serve(t, env, "--database", dsn)
	b := serve(t, env, "--database", dsn)
	authtoken := login(t, a.URL, "owner@example.com")

	verifier := "e2e-verifier-0123456789-0123456789-0123456789-0123456789"
	sum := sha256.Sum256([]byte(verifier))
	status, body, _ := call(t, "POST", a.URL+"/manifests/"+app["app_uid"].(string)+"/authorize", map[string]string{"authtoken": authtoken},
		map[string]string{"client_id": app["client_id"].(string), "code_challenge": base64.RawURLEncoding.EncodeToString(sum[:]), "code_challenge_method": "S256"})
	if status != 200 {
		t.Fatalf("authorize: %d %v", status, body)
	}
	to, _ := url.Parse(body["data"].(map[string]any)["redirect_url"].(string))
	status, body, _ = call(t, "POST", a.URL+"/token", nil, map[string]string{"grant_type": "authorization_code", "code": to.Query().Get("code"),
		"client_id": app["client_id"].(string), "code_verifier": verifier})
	if status != 200 {
		t.Fatalf("token: %d %v", status, body)
	}
	user := body["access_token"].(string)
	status, body, _ = call(t, "POST", a.URL+"/token", nil, map[string]string{"grant_type": "client_credentials",
		"client_id": robot["client_id"].(string), "client_secret": robot["client_secret"].(string)})
	if status != 200 {
		t.Fatalf("client_credentials: %d %v", status, body)
	}
	machine := body["access_token"].(string)

	ask := func(n *node, token string) int {
		t.Helper()
		status, _, _ := call(t, "GET", n.URL+"/v3/roles", map[string]string{"api_key": boot["api_key"], "authorization": "Bearer " + token}, nil)
		return status
	}
	refusedWithin := func(token string, start time.Time) time.Duration {
		t.Helper()
		for ask(b, token) != 401 {
			if time.Since(start) > 3*time.Second {
				t.Fatalf("B still allows a token revoked %v ago", time.Since(start))
			}
			time.Sleep(time.Millisecond)
		}
		return time.Since(start)
	}
	for _, tok := range []string{user, machine} {
		if s := ask(b, tok); s != 200 { // and now cached on B
			t.Fatalf("B before: %d", s)
		}
	}

	// Logout on A.
	h := map[string]string{"authorization": "Bearer " + user}
	status, body, _ = call(t, "GET", a.URL+"/manifests/"+app["app_uid"].(string)+"/authorizations", h, nil)
	list, _ := body["data"].([]any)
	if status != 200 || len(list) != 1 {
		t.Fatalf("authorizations: %d %v", status, body)
	}
	start := time.Now()
	authUID := list[0].(map[string]any)["authorization_uid"].(string)
	if status, body, _ := call(t, "DELETE", a.URL+"/manifests/"+app["app_uid"].(string)+"/authorizations/"+authUID, h, nil); status != 200 {
		t.Fatalf("logout: %d %v", status, body)
	}
	t.Logf("logout on A → user token refused on B after %v", refusedWithin(user, start))
	if s := ask(a, user); s != 401 {
		t.Fatalf("A after logout: %d", s)
	}

	// App removal by another process.
	start = time.Now()
	runCmd(t, env, "app", "remove", "--database", dsn, "--app-uid", robot["app_uid"].(string))
	t.Logf("app remove → machine token refused on B after %v", refusedWithin(machine, start))
}
