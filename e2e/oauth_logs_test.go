package e2e

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
)

// TestOAuthSecretsNotInLogs: a real `stackgate serve` with JSON logs at
// debug level runs every OAuth flow, refusals included; no code, access or
// refresh token, client secret, PKCE verifier, authtoken or password
// reaches its log.
func TestOAuthSecretsNotInLogs(t *testing.T) {
	env := sharedKey(t)
	db := "sqlite:" + filepath.Join(t.TempDir(), "stackgate.db")
	boot := bootstrap(t, env, db, "owner@example.com", "Logs")
	var public, web, robot map[string]any
	for _, a := range []struct {
		into *map[string]any
		args []string
	}{
		{&public, []string{"--name", "CLI", "--redirect-uri", "http://localhost:8184"}},
		{&web, []string{"--name", "Web", "--redirect-uri", "https://web.example.com/cb", "--client-secret"}},
		{&robot, []string{"--name", "Robot", "--machine", "--stack", boot["api_key"]}},
	} {
		if err := json.Unmarshal(runCmd(t, env, append([]string{"app", "add", "--database", db}, a.args...)...), a.into); err != nil {
			t.Fatal(err)
		}
	}
	n, logs, stop := serveLogged(t, env, "--database", db, "--log-format", "json", "--log-level", "debug")
	authtoken := login(t, n.URL, "owner@example.com")
	secrets := []string{authtoken, "e2e-password-1", web["client_secret"].(string), robot["client_secret"].(string)}
	keep := func(body map[string]any, keys ...string) {
		t.Helper()
		for _, k := range keys {
			v, _ := body[k].(string)
			if v == "" {
				t.Fatalf("no %s in %v", k, body)
			}
			secrets = append(secrets, v)
		}
	}
	post := func(path string, headers map[string]string, body any, want int) map[string]any {
		t.Helper()
		status, got, _ := call(t, "POST", n.URL+path, headers, body)
		if status != want {
			t.Fatalf("POST %s: %d %v, want %d", path, status, got, want)
		}
		return got
	}
	codeOf := func(got map[string]any) string {
		t.Helper()
		to, err := url.Parse(got["data"].(map[string]any)["redirect_url"].(string))
		if err != nil || to.Query().Get("code") == "" {
			t.Fatalf("redirect %v", got)
		}
		secrets = append(secrets, to.Query().Get("code"))
		return to.Query().Get("code")
	}
	verifier := "logs-verifier-0123456789-0123456789-0123456789-0123456789"
	secrets = append(secrets, verifier)
	sum := sha256.Sum256([]byte(verifier))
	h := map[string]string{"authtoken": authtoken}

	// Public app: consent, a refused exchange, the exchange, a replay (which
	// revokes what the code gave), again, refresh, introspection, use, logout.
	consent := func() string {
		return codeOf(post("/manifests/"+public["app_uid"].(string)+"/authorize", h, map[string]string{"client_id": public["client_id"].(string),
			"code_challenge": base64.RawURLEncoding.EncodeToString(sum[:]), "code_challenge_method": "S256", "state": "st"}, 200))
	}
	code := consent()
	post("/token", nil, map[string]string{"grant_type": "authorization_code", "code": code, "client_id": public["client_id"].(string),
		"code_verifier": verifier + "x"}, 400)
	tok := post("/token", nil, map[string]string{"grant_type": "authorization_code", "code": code, "client_id": public["client_id"].(string),
		"code_verifier": verifier}, 200)
	keep(tok, "access_token", "refresh_token")
	post("/token", nil, map[string]string{"grant_type": "authorization_code", "code": code, "client_id": public["client_id"].(string),
		"code_verifier": verifier}, 400)
	post("/token", nil, map[string]string{"grant_type": "refresh_token", "refresh_token": tok["refresh_token"].(string), "client_id": public["client_id"].(string)}, 400)
	code = consent()
	tok = post("/token", nil, map[string]string{"grant_type": "authorization_code", "code": code, "client_id": public["client_id"].(string),
		"code_verifier": verifier}, 200)
	keep(tok, "access_token", "refresh_token")
	next := post("/apps-api/token", map[string]string{"authorization": "Bearer " + tok["access_token"].(string)},
		map[string]string{"grant_type": "refresh_token", "refresh_token": tok["refresh_token"].(string), "client_id": public["client_id"].(string)}, 200)
	keep(next, "access_token", "refresh_token")
	post("/token", nil, map[string]string{"grant_type": "refresh_token", "refresh_token": tok["refresh_token"].(string), "client_id": public["client_id"].(string)}, 400)
	post("/apps-api/introspect", nil, map[string]string{"token": next["access_token"].(string), "client_id": public["client_id"].(string)}, 200)
	bearer := map[string]string{"api_key": boot["api_key"], "authorization": "Bearer " + next["access_token"].(string)}
	if status, body, _ := call(t, "GET", n.URL+"/v3/roles", bearer, nil); status != 200 {
		t.Fatalf("roles: %d %v", status, body)
	}
	if status, _, _ := call(t, "GET", n.URL+"/v3/roles", map[string]string{"api_key": boot["api_key"], "authorization": "Bearer " + tok["refresh_token"].(string)}, nil); status != 401 {
		t.Fatalf("a refresh token as a Bearer: %d", status)
	}
	status, list, _ := call(t, "GET", n.URL+"/manifests/"+public["app_uid"].(string)+"/authorizations", bearer, nil)
	if status != 200 {
		t.Fatalf("authorizations: %d %v", status, list)
	}
	auth := list["data"].([]any)[0].(map[string]any)["authorization_uid"].(string)
	if status, body, _ := call(t, "DELETE", n.URL+"/manifests/"+public["app_uid"].(string)+"/authorizations/"+auth, bearer, nil); status != 200 {
		t.Fatalf("logout: %d %v", status, body)
	}

	// Confidential app: a wrong secret, then the right one; a machine app's token.
	code = codeOf(post("/manifests/"+web["app_uid"].(string)+"/authorize", h, map[string]string{"client_id": web["client_id"].(string)}, 200))
	post("/token", nil, map[string]string{"grant_type": "authorization_code", "code": code, "client_id": web["client_id"].(string),
		"client_secret": web["client_secret"].(string) + "x"}, 401)
	keep(post("/token", nil, map[string]string{"grant_type": "authorization_code", "code": code, "client_id": web["client_id"].(string),
		"client_secret": web["client_secret"].(string)}, 200), "access_token", "refresh_token")
	keep(post("/token", nil, map[string]string{"grant_type": "client_credentials", "client_id": robot["client_id"].(string),
		"client_secret": robot["client_secret"].(string)}, 200), "access_token", "refresh_token")

	stop()
	log := logs.String()
	if !strings.Contains(log, `"msg":"request"`) || !strings.Contains(log, "/token") {
		t.Fatalf("no JSON request lines in the log:\n%s", log)
	}
	for _, s := range secrets {
		if strings.Contains(log, s) {
			t.Errorf("the log holds a secret %.12s…:\n%s", s, log)
		}
	}
}
