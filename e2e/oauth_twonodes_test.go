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
// (another process) removes the app; a member's, once the owner unshares the
// stack with them through A.
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
	runCmd(t, env, "user", "add", "--database", dsn, "--email", "dev@example.com", "--password", "e2e-password-1",
		"--stack", boot["api_key"], "--role", "Developer")
	a := serve(t, env, "--database", dsn)
	b := serve(t, env, "--database", dsn)
	authtoken := login(t, a.URL, "owner@example.com")

	// userToken runs the PKCE flow on A for the user of authtoken; exchange
	// is the code's exchange, to replay.
	verifier := "e2e-verifier-0123456789-0123456789-0123456789-0123456789"
	var exchange map[string]string
	userToken := func(authtoken string) string {
		t.Helper()
		sum := sha256.Sum256([]byte(verifier))
		status, body, _ := call(t, "POST", a.URL+"/manifests/"+app["app_uid"].(string)+"/authorize", map[string]string{"authtoken": authtoken},
			map[string]string{"client_id": app["client_id"].(string), "code_challenge": base64.RawURLEncoding.EncodeToString(sum[:]), "code_challenge_method": "S256"})
		if status != 200 {
			t.Fatalf("authorize: %d %v", status, body)
		}
		to, _ := url.Parse(body["data"].(map[string]any)["redirect_url"].(string))
		exchange = map[string]string{"grant_type": "authorization_code", "code": to.Query().Get("code"),
			"client_id": app["client_id"].(string), "code_verifier": verifier}
		status, body, _ = call(t, "POST", a.URL+"/token", nil, exchange)
		if status != 200 {
			t.Fatalf("token: %d %v", status, body)
		}
		return body["access_token"].(string)
	}
	user := userToken(authtoken)
	devAuthtoken := login(t, a.URL, "dev@example.com")
	dev := userToken(devAuthtoken)
	status, body, _ := call(t, "POST", a.URL+"/token", nil, map[string]string{"grant_type": "client_credentials",
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
	// until polls B with ask until it answers want.
	until := func(want int, ask func() int, start time.Time) time.Duration {
		t.Helper()
		for ask() != want {
			if time.Since(start) > 3*time.Second {
				t.Fatalf("B still allows a credential revoked %v ago", time.Since(start))
			}
			time.Sleep(time.Millisecond)
		}
		return time.Since(start)
	}
	refusedWithin := func(token string, start time.Time) time.Duration {
		t.Helper()
		return until(401, func() int { return ask(b, token) }, start)
	}
	askWithAuthtoken := func(n *node, authtoken string) int {
		t.Helper()
		status, _, _ := call(t, "GET", n.URL+"/v3/roles", map[string]string{"api_key": boot["api_key"], "authtoken": authtoken}, nil)
		return status
	}
	for _, tok := range []string{user, machine, dev} {
		if s := ask(b, tok); s != 200 { // and now cached on B
			t.Fatalf("B before: %d", s)
		}
	}
	if s := askWithAuthtoken(b, devAuthtoken); s != 200 {
		t.Fatalf("B before, the developer's authtoken: %d", s)
	}

	// The developer leaves the stack through A (POST /v3/stacks/unshare): B,
	// which has the stack's snapshot cached, refuses their Bearer token and
	// their authtoken on the stack (403: the token is valid, the member gone).
	start := time.Now()
	if status, body, _ := call(t, "POST", a.URL+"/v3/stacks/unshare", map[string]string{"api_key": boot["api_key"], "authtoken": authtoken},
		map[string]string{"email": "dev@example.com"}); status != 200 {
		t.Fatalf("unshare: %d %v", status, body)
	}
	t.Logf("unshare on A → bearer token refused on B after %v", until(403, func() int { return ask(b, dev) }, start))
	if s := askWithAuthtoken(b, devAuthtoken); s != 403 {
		t.Fatalf("B after unshare, the developer's authtoken: %d", s)
	}
	if s := ask(a, dev); s != 403 {
		t.Fatalf("A after unshare: %d", s)
	}

	// A replay of a code on A: the tokens it gave are refused on B at once,
	// the user's other grant is not.
	second := userToken(authtoken)
	if s := ask(b, second); s != 200 {
		t.Fatalf("B before the replay: %d", s)
	}
	start = time.Now()
	if status, body, _ := call(t, "POST", a.URL+"/token", nil, exchange); status != 400 {
		t.Fatalf("replayed code: %d %v", status, body)
	}
	t.Logf("code replay on A → its token refused on B after %v", refusedWithin(second, start))
	if s := ask(b, user); s != 200 {
		t.Fatalf("B after the replay, the user's other grant: %d", s)
	}

	// Logout on A.
	h := map[string]string{"authorization": "Bearer " + user}
	status, body, _ = call(t, "GET", a.URL+"/manifests/"+app["app_uid"].(string)+"/authorizations", h, nil)
	list, _ := body["data"].([]any)
	if status != 200 || len(list) != 1 {
		t.Fatalf("authorizations: %d %v", status, body)
	}
	start = time.Now()
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
