package http_test

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/service"
)

const (
	testRedirect = "http://localhost:8184"
	testVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-and-some-more-characters-to-be-long-enough"
)

func challengeOf(verifier string) string {
	h := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// oauthApps registers a public app (PKCE), a confidential one and a machine
// app installed on the fixture stack.
type oauthApps struct {
	public, confidential, machine *stackgate.App
	confSecret, machineSecret     string
}

func (f *fixture) oauthApps() oauthApps {
	f.t.Helper()
	ctx := f.t.Context()
	var o oauthApps
	var err error
	scopes := []string{"cm.roles.management:read", "cm.stack.delivery-tokens:read", "user:read"}
	if o.public, _, err = f.svc.AddApp(ctx, service.AppSpec{Name: "CLI", RedirectURIs: []string{testRedirect, "https://example.com/cb"},
		Scopes: scopes, UID: "6400aa06db64de001a31c8a9", ClientID: "Ie0FEfTzlfAHL4xM"}); err != nil {
		f.t.Fatal(err)
	}
	if o.confidential, o.confSecret, err = f.svc.AddApp(ctx, service.AppSpec{Name: "Web", RedirectURIs: []string{"https://web.example.com/cb"},
		Scopes: scopes, Secret: true}); err != nil {
		f.t.Fatal(err)
	}
	if o.machine, o.machineSecret, err = f.svc.AddApp(ctx, service.AppSpec{Name: "Robot", Machine: true, StackAPIKey: f.stack.APIKey,
		Scopes: []string{"cm.roles.management:read"}}); err != nil {
		f.t.Fatal(err)
	}
	return o
}

// consent runs POST /manifests/{app}/authorize as who and returns the code.
func (f *fixture) consent(who cred, app *stackgate.App, body map[string]string) string {
	f.t.Helper()
	got := f.do(req{method: "POST", path: "/manifests/" + app.UID + "/authorize",
		headers: map[string]string{"authtoken": f.tokens[who], "organization_uid": f.users[who].OrgUID}, body: body})
	if got.status != 200 {
		f.t.Fatalf("authorize: %d %s", got.status, got.raw)
	}
	to, _ := got.body["data"].(map[string]any)["redirect_url"].(string)
	u, err := url.Parse(to)
	if err != nil || u.Query().Get("code") == "" || u.Query().Get("location") != "NA" {
		f.t.Fatalf("redirect_url %q", to)
	}
	return u.Query().Get("code")
}

func (f *fixture) pkceCode(who cred, app *stackgate.App) string {
	return f.consent(who, app, map[string]string{"client_id": app.ClientID, "code_challenge": challengeOf(testVerifier),
		"code_challenge_method": "S256", "response_type": "code"})
}

// token posts a form to path (default /token).
func (f *fixture) token(path string, form url.Values, headers map[string]string) reply {
	f.t.Helper()
	if path == "" {
		path = "/token"
	}
	h := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	for k, v := range headers {
		h[k] = v
	}
	return f.do(req{method: "POST", path: path, headers: h, body: form.Encode()})
}

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

func wantOAuthError(t *testing.T, got reply, status int, code string) {
	t.Helper()
	if got.status != status || got.body["error"] != code {
		t.Fatalf("got %d %s, want %d error %q", got.status, got.raw, status, code)
	}
	if d, _ := got.body["error_description"].(string); d == "" {
		t.Fatalf("no error_description: %s", got.raw)
	}
}

// TestOAuthTokenFlow: consent, code exchange (PKCE and secret), the reply's
// shape, refresh rotation (no secret, stale Bearer header), the previous
// access token still working, introspection, logout.
func TestOAuthTokenFlow(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		o := f.oauthApps()
		code := f.pkceCode(Developer, o.public)
		got := f.token("/token", form("grant_type", "authorization_code", "code", code, "redirect_uri", testRedirect,
			"client_id", o.public.ClientID, "code_verifier", testVerifier), nil)
		if got.status != 200 {
			t.Fatalf("token: %d %s", got.status, got.raw)
		}
		access, _ := got.body["access_token"].(string)
		refresh, _ := got.body["refresh_token"].(string)
		if access == "" || refresh == "" || access == refresh {
			t.Fatalf("tokens %s", got.raw)
		}
		want := map[string]any{"access_token": access, "refresh_token": refresh, "token_type": "Bearer", "expires_in": float64(3600),
			"location": "NA", "region": "NA", "organization_uid": f.users[Developer].OrgUID, "user_uid": f.users[Developer].UID,
			"authorization_type": "user", "stack_api_key": "", "scope": "cm.roles.management:read cm.stack.delivery-tokens:read user:read"}
		if d := cmp.Diff(want, got.body); d != "" {
			t.Errorf("token reply (-want +got):\n%s", d)
		}
		if got.header.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control %q", got.header.Get("Cache-Control"))
		}

		// Refresh as the SDK does: no secret, a stale Bearer header.
		got = f.token("/apps-api/token", form("grant_type", "refresh_token", "refresh_token", refresh, "client_id", o.public.ClientID,
			"redirect_uri", testRedirect), map[string]string{"authorization": "Bearer " + access})
		if got.status != 200 || got.body["refresh_token"] == refresh || got.body["refresh_token"] == nil || got.body["access_token"] == access {
			t.Fatalf("refresh: %d %s", got.status, got.raw)
		}
		access2, refresh2 := got.body["access_token"].(string), got.body["refresh_token"].(string)
		// The used refresh token is spent; presented again within
		// service.RefreshReuseGrace it revokes nothing (the SDK races
		// refreshes of its own: README, Security), the current one still
		// rotates (past the grace it is a replay: TestOAuthReplayRevokes).
		wantOAuthError(t, f.token("", form("grant_type", "refresh_token", "refresh_token", refresh, "client_id", o.public.ClientID), nil), 400, "invalid_grant")
		if got := f.token("/apps-api/introspect", form("token", access2, "client_id", o.public.ClientID), nil); got.body["active"] != true {
			t.Fatalf("a replayed refresh token revoked the current access token: %s", got.raw)
		}

		for _, tok := range []string{access, access2} { // the previous access token is not revoked at refresh
			got = f.token("/apps-api/introspect", form("token", tok, "token_type_hint", "access_token", "client_id", o.public.ClientID), nil)
			if got.status != 200 || got.body["active"] != true || got.body["scope"] != want["scope"] {
				t.Fatalf("introspect: %d %s", got.status, got.raw)
			}
		}
		got = f.token("/apps-api/introspect", form("token", "nope", "client_id", o.public.ClientID), nil)
		if d := cmp.Diff(map[string]any{"active": false}, got.body); d != "" || got.status != 200 {
			t.Fatalf("introspect unknown: %d %s", got.status, got.raw)
		}

		// Logout: list the user's authorizations with the Bearer token, delete it.
		bearerH := map[string]string{"authorization": "Bearer " + access2, "organization_uid": f.users[Developer].OrgUID}
		got = f.do(req{method: "GET", path: "/manifests/" + o.public.UID + "/authorizations", headers: bearerH})
		list, _ := got.body["data"].([]any)
		if got.status != 200 || len(list) != 1 {
			t.Fatalf("authorizations: %d %s", got.status, got.raw)
		}
		a := list[0].(map[string]any)
		if a["user"].(map[string]any)["uid"] != f.users[Developer].UID {
			t.Fatalf("authorization %v", a)
		}
		// Another user sees none of it and cannot revoke it.
		other := f.do(req{method: "GET", path: "/manifests/" + o.public.UID + "/authorizations", headers: map[string]string{"authtoken": f.tokens[Admin]}})
		if d := cmp.Diff(map[string]any{"data": []any{}}, other.body); d != "" {
			t.Fatalf("another user's list: %s", other.raw)
		}
		wantError(t, f.do(req{method: "DELETE", path: "/manifests/" + o.public.UID + "/authorizations/" + a["authorization_uid"].(string),
			headers: map[string]string{"authtoken": f.tokens[Admin]}}), 422, 141, "uid")
		got = f.do(req{method: "DELETE", path: "/manifests/" + o.public.UID + "/authorizations/" + a["authorization_uid"].(string), headers: bearerH})
		if got.status != 200 {
			t.Fatalf("revoke: %d %s", got.status, got.raw)
		}
		for _, tok := range []string{access, access2} {
			if got = f.token("/apps-api/introspect", form("token", tok, "client_id", o.public.ClientID), nil); got.body["active"] != false {
				t.Fatalf("revoked token still active: %s", got.raw)
			}
		}
		wantOAuthError(t, f.token("", form("grant_type", "refresh_token", "refresh_token", refresh2, "client_id", o.public.ClientID), nil), 400, "invalid_grant")
		wantError(t, f.do(req{method: "GET", path: "/manifests/" + o.public.UID + "/authorizations", headers: bearerH}), 401, 105, "authorization")

		// A confidential app exchanges its code with its secret, on the documented path.
		code = f.consent(Admin, o.confidential, map[string]string{"client_id": o.confidential.ClientID, "response_type": "code", "state": "xyz"})
		got = f.token("/apps-api/apps/token", form("grant_type", "authorization_code", "code", code, "client_id", o.confidential.ClientID,
			"client_secret", o.confSecret, "redirect_uri", "https://web.example.com/cb"), nil)
		if got.status != 200 || got.body["user_uid"] != f.users[Admin].UID {
			t.Fatalf("confidential: %d %s", got.status, got.raw)
		}

		// A machine app takes a token of its own for its stack.
		got = f.token("", form("grant_type", "client_credentials"), map[string]string{"authorization": basic(o.machine.ClientID, o.machineSecret)})
		if got.status != 200 || got.body["authorization_type"] != "app" || got.body["stack_api_key"] != f.stack.APIKey ||
			got.body["user_uid"] != "" || got.body["refresh_token"] == nil || got.body["organization_uid"] != f.stack.OrgUID {
			t.Fatalf("client_credentials: %d %s", got.status, got.raw)
		}
	})
}

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

// TestOAuthBadInput: each bad request is its RFC 6749 error and changes
// nothing — the code it named is still redeemable afterwards, once.
func TestOAuthBadInput(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		o := f.oauthApps()
		good := func(code string) url.Values {
			return form("grant_type", "authorization_code", "code", code, "redirect_uri", testRedirect,
				"client_id", o.public.ClientID, "code_verifier", testVerifier)
		}
		with := func(v url.Values, kv ...string) url.Values {
			c := url.Values{}
			for k, x := range v {
				c[k] = x
			}
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i+1] == "" {
					c.Del(kv[i])
				} else {
					c.Set(kv[i], kv[i+1])
				}
			}
			return c
		}
		for _, tc := range []struct {
			name   string
			bad    func(code string) url.Values
			status int
			error  string
		}{
			{"wrong code_verifier", func(c string) url.Values { return with(good(c), "code_verifier", "x"+testVerifier) }, 400, "invalid_grant"},
			{"no code_verifier", func(c string) url.Values { return with(good(c), "code_verifier", "") }, 400, "invalid_grant"},
			{"code for another client", func(c string) url.Values {
				return with(good(c), "client_id", o.confidential.ClientID, "client_secret", o.confSecret, "redirect_uri", "")
			}, 400, "invalid_grant"},
			{"unknown client", func(c string) url.Values { return with(good(c), "client_id", "nobody") }, 401, "invalid_client"},
			{"no client", func(c string) url.Values { return with(good(c), "client_id", "") }, 401, "invalid_client"},
			{"wrong secret", func(c string) url.Values { return with(good(c), "client_secret", "wrong") }, 401, "invalid_client"},
			{"redirect_uri not registered", func(c string) url.Values { return with(good(c), "redirect_uri", "https://evil.example.com/") }, 400, "invalid_grant"},
			{"redirect_uri not the code's", func(c string) url.Values { return with(good(c), "redirect_uri", "https://example.com/cb") }, 400, "invalid_grant"},
			{"unknown grant type", func(c string) url.Values { return with(good(c), "grant_type", "password") }, 400, "unsupported_grant_type"},
			{"no grant type", func(c string) url.Values { return with(good(c), "grant_type", "") }, 400, "unsupported_grant_type"},
			{"scope at exchange", func(c string) url.Values { return with(good(c), "scope", "cm.stack.management-tokens:write") }, 400, "invalid_scope"},
			{"unknown code", func(c string) url.Values { return with(good(c), "code", "x"+c) }, 400, "invalid_grant"},
			{"client_credentials by a user app", func(c string) url.Values {
				return form("grant_type", "client_credentials", "client_id", o.confidential.ClientID, "client_secret", o.confSecret)
			}, 400, "unauthorized_client"},
			// RFC 6749 §3.2: a parameter is never given twice (which one counts would be a guess).
			{"client_id twice", func(c string) url.Values { v := good(c); v.Add("client_id", o.confidential.ClientID); return v }, 400, "invalid_request"},
			{"code twice", func(c string) url.Values { v := good(c); v.Add("code", "x"+c); return v }, 400, "invalid_request"},
			{"code_verifier twice", func(c string) url.Values { v := good(c); v.Add("code_verifier", testVerifier); return v }, 400, "invalid_request"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				code := f.pkceCode(Developer, o.public)
				wantOAuthError(t, f.token("", tc.bad(code), nil), tc.status, tc.error)
				if got := f.token("", good(code), nil); got.status != 200 {
					t.Fatalf("the code no longer works after a refused request: %d %s", got.status, got.raw)
				}
			})
		}
		t.Run("reused code", func(t *testing.T) {
			code := f.pkceCode(Developer, o.public)
			first := f.token("", good(code), nil)
			if first.status != 200 {
				t.Fatal(first.status)
			}
			wantOAuthError(t, f.token("", good(code), nil), 400, "invalid_grant")
			// RFC 6749 §4.1.2: the replay revokes what the code gave.
			if got := f.token("/apps-api/introspect", form("token", first.body["access_token"].(string), "client_id", o.public.ClientID), nil); got.body["active"] != false {
				t.Fatalf("after a replay: %s", got.raw)
			}
		})
		t.Run("redirect_uri named at consent is required at the exchange", func(t *testing.T) {
			// RFC 6749 §4.1.3: named in the authorization request, the
			// redirect_uri must be in the token request too, and identical.
			code := f.consent(Developer, o.public, map[string]string{"client_id": o.public.ClientID, "redirect_uri": "https://example.com/cb",
				"code_challenge": challengeOf(testVerifier), "code_challenge_method": "S256"})
			for _, redirect := range []string{"", testRedirect, "https://example.com/cb/"} {
				wantOAuthError(t, f.token("", with(good(code), "redirect_uri", redirect), nil), 400, "invalid_grant")
			}
			if got := f.token("", with(good(code), "redirect_uri", "https://example.com/cb"), nil); got.status != 200 {
				t.Fatalf("with the consent's redirect_uri: %d %s", got.status, got.raw)
			}
			// Not named at consent: optional at the exchange, and then the app's first.
			code = f.pkceCode(Developer, o.public)
			if got := f.token("", with(good(code), "redirect_uri", ""), nil); got.status != 200 {
				t.Fatalf("without redirect_uri: %d %s", got.status, got.raw)
			}
		})
		t.Run("expired code", func(t *testing.T) {
			code := f.pkceCode(Developer, o.public)
			f.svc.Now = func() time.Time { return stackgate.Now().Add(stackgate.AuthCodeTTL + time.Second) }
			defer func() { f.svc.Now = stackgate.Now }()
			wantOAuthError(t, f.token("", good(code), nil), 400, "invalid_grant")
		})
		t.Run("refresh token of another client", func(t *testing.T) {
			got := f.token("", good(f.pkceCode(Developer, o.public)), nil)
			refresh := got.body["refresh_token"].(string)
			wantOAuthError(t, f.token("", form("grant_type", "refresh_token", "refresh_token", refresh, "client_id", o.confidential.ClientID), nil), 400, "invalid_grant")
			wantOAuthError(t, f.token("", form("grant_type", "refresh_token", "refresh_token", refresh, "client_id", o.public.ClientID,
				"scope", "cm.stack.management-tokens:write"), nil), 400, "invalid_scope")
			if got := f.token("", form("grant_type", "refresh_token", "refresh_token", refresh, "client_id", o.public.ClientID), nil); got.status != 200 {
				t.Fatalf("refresh after refusals: %d %s", got.status, got.raw)
			}
		})
		t.Run("machine scope beyond the app's", func(t *testing.T) {
			wantOAuthError(t, f.token("", form("grant_type", "client_credentials", "client_id", o.machine.ClientID, "client_secret", o.machineSecret,
				"scope", "cm.roles.management:write"), nil), 400, "invalid_scope")
			wantOAuthError(t, f.token("", form("grant_type", "client_credentials", "client_id", o.machine.ClientID, "client_secret", "wrong"), nil), 401, "invalid_client")
			wantOAuthError(t, f.token("", form("grant_type", "client_credentials", "client_id", o.machine.ClientID), nil), 401, "invalid_client")
		})
		t.Run("code_verifier not of RFC 7636's shape", func(t *testing.T) {
			// §4.1: 43 to 128 unreserved characters; a short verifier is
			// guessable by whoever intercepts the code, even when it matches.
			for _, v := range []string{"a", strings.Repeat("a", 42), strings.Repeat("a", 129), strings.Repeat("a", 42) + "!", strings.Repeat("é", 43)} {
				code := f.consent(Developer, o.public, map[string]string{"client_id": o.public.ClientID, "code_challenge": challengeOf(v), "code_challenge_method": "S256"})
				wantOAuthError(t, f.token("", with(good(code), "code_verifier", v), nil), 400, "invalid_grant")
			}
			for _, v := range []string{strings.Repeat("a", 43), strings.Repeat("Az09-._~", 16)} {
				code := f.consent(Developer, o.public, map[string]string{"client_id": o.public.ClientID, "code_challenge": challengeOf(v), "code_challenge_method": "S256"})
				if got := f.token("", with(good(code), "code_verifier", v), nil); got.status != 200 {
					t.Fatalf("verifier %q: %d %s", v, got.status, got.raw)
				}
			}
		})
		t.Run("a confidential app's code needs its secret, PKCE or not", func(t *testing.T) {
			// RFC 6749 §4.1.3: a confidential client authenticates; a code
			// and verifier that leaked together are no use without it.
			code := f.consent(Developer, o.confidential, map[string]string{"client_id": o.confidential.ClientID,
				"code_challenge": challengeOf(testVerifier), "code_challenge_method": "S256"})
			exchange := form("grant_type", "authorization_code", "code", code, "client_id", o.confidential.ClientID, "code_verifier", testVerifier)
			wantOAuthError(t, f.token("", exchange, nil), 401, "invalid_client")
			exchange.Set("client_secret", o.confSecret)
			if got := f.token("", exchange, nil); got.status != 200 {
				t.Fatalf("with the secret: %d %s", got.status, got.raw)
			}
		})
		t.Run("an app token's refresh needs the client secret", func(t *testing.T) {
			// A machine app is confidential: a refresh token that leaked
			// from it is no use without the secret (RFC 6749 §6).
			got := f.token("", form("grant_type", "client_credentials", "client_id", o.machine.ClientID, "client_secret", o.machineSecret), nil)
			refresh := got.body["refresh_token"].(string)
			wantOAuthError(t, f.token("", form("grant_type", "refresh_token", "refresh_token", refresh, "client_id", o.machine.ClientID), nil), 401, "invalid_client")
			wantOAuthError(t, f.token("", form("grant_type", "refresh_token", "refresh_token", refresh, "client_id", o.machine.ClientID,
				"client_secret", "wrong"), nil), 401, "invalid_client")
			if got := f.token("", form("grant_type", "refresh_token", "refresh_token", refresh, "client_id", o.machine.ClientID,
				"client_secret", o.machineSecret), nil); got.status != 200 || got.body["authorization_type"] != "app" {
				t.Fatalf("refresh with the secret: %d %s", got.status, got.raw)
			}
		})
		t.Run("client named twice", func(t *testing.T) {
			for _, tc := range []struct {
				name, contentType, body string
				headers                 map[string]string
			}{
				{"Basic and client_secret", "application/x-www-form-urlencoded", "grant_type=client_credentials&client_secret=" + o.machineSecret,
					map[string]string{"authorization": basic(o.machine.ClientID, o.machineSecret)}},
				{"Basic and another client_id", "application/x-www-form-urlencoded", "grant_type=client_credentials&client_id=" + o.confidential.ClientID,
					map[string]string{"authorization": basic(o.machine.ClientID, o.machineSecret)}},
				{"JSON key twice", "application/json", `{"grant_type":"client_credentials","client_id":"` + o.machine.ClientID +
					`","client_secret":"` + o.machineSecret + `","client_id":"` + o.confidential.ClientID + `"}`, nil},
			} {
				t.Run(tc.name, func(t *testing.T) {
					h := map[string]string{"Content-Type": tc.contentType}
					for k, v := range tc.headers {
						h[k] = v
					}
					wantOAuthError(t, f.do(req{method: "POST", path: "/token", headers: h, body: tc.body}), 400, "invalid_request")
				})
			}
			// Basic alone, and Basic with the same client_id in the body, are fine.
			for _, body := range []string{"grant_type=client_credentials", "grant_type=client_credentials&client_id=" + o.machine.ClientID} {
				got := f.do(req{method: "POST", path: "/token", body: body, headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded",
					"authorization": basic(o.machine.ClientID, o.machineSecret)}})
				if got.status != 200 {
					t.Fatalf("%s: %d %s", body, got.status, got.raw)
				}
			}
		})
		t.Run("consent", func(t *testing.T) {
			h := map[string]string{"authtoken": f.tokens[Developer]}
			for _, tc := range []struct {
				name  string
				body  map[string]string
				field string
			}{
				{"tampered client_id", map[string]string{"client_id": "x" + o.public.ClientID, "code_challenge": "c"}, "client_id"},
				{"unregistered redirect_uri", map[string]string{"client_id": o.public.ClientID, "code_challenge": "c", "redirect_uri": "https://evil.example.com/"}, "redirect_uri"},
				{"redirect_uri: trailing slash", map[string]string{"client_id": o.public.ClientID, "code_challenge": "c", "redirect_uri": "http://localhost:8184/"}, "redirect_uri"},
				{"redirect_uri: case", map[string]string{"client_id": o.public.ClientID, "code_challenge": "c", "redirect_uri": "HTTP://LOCALHOST:8184"}, "redirect_uri"},
				{"redirect_uri: userinfo", map[string]string{"client_id": o.public.ClientID, "code_challenge": "c", "redirect_uri": "http://localhost:8184@evil.example.com"}, "redirect_uri"},
				{"redirect_uri: host prefix", map[string]string{"client_id": o.public.ClientID, "code_challenge": "c", "redirect_uri": "http://localhost:8184.evil.example.com"}, "redirect_uri"},
				{"redirect_uri: path added", map[string]string{"client_id": o.public.ClientID, "code_challenge": "c", "redirect_uri": "http://localhost:8184/cb"}, "redirect_uri"},
				{"redirect_uri: fragment", map[string]string{"client_id": o.public.ClientID, "code_challenge": "c", "redirect_uri": "http://localhost:8184#x"}, "redirect_uri"},
				{"redirect_uri: encoded", map[string]string{"client_id": o.public.ClientID, "code_challenge": "c", "redirect_uri": "http://localhost%3A8184"}, "redirect_uri"},
				{"redirect_uri: query added", map[string]string{"client_id": o.public.ClientID, "code_challenge": "c", "redirect_uri": "http://localhost:8184?next=https://evil.example.com"}, "redirect_uri"},
				{"redirect_uri: dot segment", map[string]string{"client_id": o.public.ClientID, "code_challenge": "c", "redirect_uri": "https://example.com/cb/../../evil"}, "redirect_uri"},
				{"redirect_uri: scheme-relative", map[string]string{"client_id": o.public.ClientID, "code_challenge": "c", "redirect_uri": "//evil.example.com"}, "redirect_uri"},
				{"redirect_uri: javascript", map[string]string{"client_id": o.public.ClientID, "code_challenge": "c", "redirect_uri": "javascript:alert(1)"}, "redirect_uri"},
				{"public app without PKCE", map[string]string{"client_id": o.public.ClientID}, "code_challenge"},
				{"plain PKCE", map[string]string{"client_id": o.public.ClientID, "code_challenge": "c", "code_challenge_method": "plain"}, "code_challenge"},
				{"code_challenge not an S256 digest", map[string]string{"client_id": o.public.ClientID, "code_challenge": "c", "code_challenge_method": "S256"}, "code_challenge"},
				{"code_challenge a plain verifier", map[string]string{"client_id": o.public.ClientID, "code_challenge": testVerifier, "code_challenge_method": "S256"}, "code_challenge"},
				{"scope beyond the app's", map[string]string{"client_id": o.public.ClientID, "code_challenge": "c", "scope": "cm.roles.management:write"}, "scope"},
				{"response_type token", map[string]string{"client_id": o.public.ClientID, "code_challenge": "c", "response_type": "token"}, "response_type"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					got := f.do(req{method: "POST", path: "/manifests/" + o.public.UID + "/authorize", headers: h, body: tc.body})
					wantError(t, got, 422, 141, tc.field)
					if strings.Contains(string(got.raw), "redirect_url") {
						t.Fatalf("a refused consent redirects: %s", got.raw)
					}
				})
			}
			wantError(t, f.do(req{method: "POST", path: "/manifests/" + o.public.UID + "/authorize", body: map[string]string{"client_id": o.public.ClientID, "code_challenge": "c"}}), 401, 105, "authtoken")
			// CSRF: a cross-site form can send no header; neither the query nor a cookie stands in for the authtoken.
			for _, r := range []req{
				{method: "POST", path: "/manifests/" + o.public.UID + "/authorize?authtoken=" + f.tokens[Developer], body: map[string]string{"client_id": o.public.ClientID, "code_challenge": challengeOf(testVerifier)}},
				{method: "POST", path: "/manifests/" + o.public.UID + "/authorize", headers: map[string]string{"Cookie": "authtoken=" + f.tokens[Developer]}, body: map[string]string{"client_id": o.public.ClientID, "code_challenge": challengeOf(testVerifier)}},
			} {
				wantError(t, f.do(r), 401, 105, "authtoken")
			}
			list, err := f.store.ListAuthorizations(t.Context(), o.public.UID)
			if err != nil || len(list) != 1 { // the Developer's, from the rows above; the refusals added none
				t.Fatalf("authorizations %v %v", list, err)
			}
		})
	})
}

// TestOAuthIntrospection: RFC 7662 §2.1 — only an authenticated client may
// introspect, and only its own tokens: another client's token, live or not,
// is {"active":false} (a token scanner learns nothing, nor whose it is).
func TestOAuthIntrospection(t *testing.T) {
	f := newFixture(t, testdb.SQLite)
	o := f.oauthApps()
	user, _ := f.userToken(Developer, o) // of the public app
	app := f.appToken(o)                 // of the machine app
	for _, tc := range []struct {
		name    string
		form    url.Values
		headers map[string]string
		status  int
		error   string // OAuth error, or "" for a reply
		active  bool
	}{
		{"no client", form("token", user), nil, 401, "invalid_client", false},
		{"unknown client", form("token", user, "client_id", "nobody"), nil, 401, "invalid_client", false},
		{"public client, its own token", form("token", user, "client_id", o.public.ClientID), nil, 200, "", true},
		{"public client, another app's token", form("token", app, "client_id", o.public.ClientID), nil, 200, "", false},
		{"confidential client without its secret", form("token", user, "client_id", o.confidential.ClientID), nil, 401, "invalid_client", false},
		{"confidential client with a wrong secret", form("token", user, "client_id", o.confidential.ClientID, "client_secret", "x"), nil, 401, "invalid_client", false},
		{"confidential client, another app's token", form("token", user, "client_id", o.confidential.ClientID, "client_secret", o.confSecret), nil, 200, "", false},
		{"machine client (Basic), its own token", form("token", app), map[string]string{"authorization": basic(o.machine.ClientID, o.machineSecret)}, 200, "", true},
		{"machine client, a user token of another app", form("token", user), map[string]string{"authorization": basic(o.machine.ClientID, o.machineSecret)}, 200, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := f.token("/apps-api/introspect", tc.form, tc.headers)
			if tc.error != "" {
				wantOAuthError(t, got, tc.status, tc.error)
				return
			}
			if got.status != 200 || got.body["active"] != tc.active {
				t.Fatalf("%d %s", got.status, got.raw)
			}
			if !tc.active {
				if d := cmp.Diff(map[string]any{"active": false}, got.body); d != "" {
					t.Fatalf("an inactive reply says more (-want +got):\n%s", d)
				}
			}
		})
	}
}

// TestConsentPage: the page and its module are served with a strict CSP at
// every UI path; the check it makes accepts the SDK's request and refuses a
// tampered client_id or an unregistered redirect_uri without a redirect.
func TestConsentPage(t *testing.T) {
	f := newFixture(t, testdb.SQLite)
	o := f.oauthApps()
	for _, p := range []string{"/", "/?response_type=code&client_id=x", "/apps/" + o.public.UID + "/authorize?client_id=x", "/consent/consent.js", "/consent/consent.css"} {
		w := httptest.NewRecorder()
		f.srv.ServeHTTP(w, httptest.NewRequest("GET", p, nil))
		csp := w.Header().Get("Content-Security-Policy")
		if w.Code != 200 || !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
			t.Fatalf("GET %s: %d, CSP %q", p, w.Code, csp)
		}
		body := w.Body.String()
		if strings.HasSuffix(p, ".js") != strings.Contains(w.Header().Get("Content-Type"), "javascript") {
			t.Fatalf("GET %s: Content-Type %q", p, w.Header().Get("Content-Type"))
		}
		if !strings.HasPrefix(p, "/consent/") && (!strings.Contains(body, `<script type="module" src="/consent/consent.js">`) || strings.Contains(body, "<script>") || strings.Contains(body, "style=")) {
			t.Fatalf("GET %s: page has inline script or style, or no module:\n%s", p, body)
		}
	}
	wantError(t, f.do(req{method: "GET", path: "/consent/other.js"}), 404, 404, "")

	q := url.Values{"response_type": {"code"}, "client_id": {o.public.ClientID}, "code_challenge": {challengeOf(testVerifier)},
		"code_challenge_method": {"S256"}, "state": {"s1"}}
	got := f.do(req{method: "GET", path: "/manifests/" + o.public.UID + "/consent?" + q.Encode()})
	want := map[string]any{"app": map[string]any{"uid": o.public.UID, "name": "CLI"}, "redirect_uri": testRedirect,
		"deny_url": testRedirect + "?error=access_denied&state=s1", "stack": nil,
		"scopes": []any{
			map[string]any{"scope": "cm.roles.management:read", "description": "See roles"},
			map[string]any{"scope": "cm.stack.delivery-tokens:read", "description": "See delivery tokens"},
			map[string]any{"scope": "user:read", "description": "See your user profile (name and e-mail)"},
		}}
	if d := cmp.Diff(want, got.body); d != "" || got.status != 200 {
		t.Fatalf("consent check %d (-want +got):\n%s", got.status, d)
	}
	q.Set("client_id", "x"+o.public.ClientID)
	wantError(t, f.do(req{method: "GET", path: "/manifests/" + o.public.UID + "/consent?" + q.Encode()}), 422, 141, "client_id")
	q.Set("client_id", o.public.ClientID)
	q.Set("redirect_uri", "https://evil.example.com/")
	got = f.do(req{method: "GET", path: "/manifests/" + o.public.UID + "/consent?" + q.Encode()})
	wantError(t, got, 422, 141, "redirect_uri")
	if strings.Contains(string(got.raw), "evil") {
		t.Fatalf("the refusal echoes the redirect: %s", got.raw)
	}
	wantError(t, f.do(req{method: "GET", path: "/manifests/nope/consent?" + q.Encode()}), 422, 141, "client_id")
}

// TestOAuthTokenRateLimit: one client address gets a burst of 100 token
// requests, never refused, and is then refused 429 with Retry-After before
// anything is looked up (the limiter refills at 20 a second, so a client
// faster than that meets the refusal; the loop stops at the first).
func TestOAuthTokenRateLimit(t *testing.T) {
	f := newFixture(t, testdb.SQLite)
	for i := 1; ; i++ {
		got := f.token("", form("grant_type", "client_credentials", "client_id", "nobody"), nil)
		if got.status != 429 {
			if i > 2000 {
				t.Fatal("2000 token requests and no 429")
			}
			wantOAuthError(t, got, 401, "invalid_client")
			continue
		}
		if i <= 100 {
			t.Fatalf("request %d of a burst of 100 refused", i)
		}
		wantError(t, got, 429, 429, "")
		if got.header.Get("Retry-After") == "" {
			t.Fatal("no Retry-After")
		}
		return
	}
}
