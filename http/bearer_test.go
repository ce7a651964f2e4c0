package http_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/access"
	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/service"
)

// userToken runs the PKCE flow for who with the public app and returns the
// access and refresh tokens.
func (f *fixture) userToken(who cred, o oauthApps) (string, string) {
	f.t.Helper()
	got := f.token("", form("grant_type", "authorization_code", "code", f.pkceCode(who, o.public), "redirect_uri", testRedirect,
		"client_id", o.public.ClientID, "code_verifier", testVerifier), nil)
	if got.status != 200 {
		f.t.Fatalf("token: %d %s", got.status, got.raw)
	}
	return got.body["access_token"].(string), got.body["refresh_token"].(string)
}

func (f *fixture) appToken(o oauthApps) string {
	f.t.Helper()
	got := f.token("", form("grant_type", "client_credentials", "client_id", o.machine.ClientID, "client_secret", o.machineSecret), nil)
	if got.status != 200 {
		f.t.Fatalf("client_credentials: %d %s", got.status, got.raw)
	}
	return got.body["access_token"].(string)
}

func bearerOn(stack *stackgate.Stack, token string) map[string]string {
	return map[string]string{"api_key": stack.APIKey, "authorization": "Bearer " + token}
}

// TestBearerTokens: what OAuth tokens may do on the CMA, as data: a user
// token gets what its scopes and its user's roles both allow, an app token
// what its scopes allow on its installation; then revocation (logout, a
// user leaving the stack, app removal) and expiry are 401 JSON at once.
func TestBearerTokens(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		o := f.oauthApps() // public app scopes: roles read, delivery tokens read, user:read
		dev, _ := f.userToken(Developer, o)
		cm, _ := f.userToken(ContentManager, o)
		outsider, _ := f.userToken(Outsider, o)
		app := f.appToken(o) // scopes: roles read
		for _, tc := range []struct {
			name         string
			token        string
			stack        *stackgate.Stack
			method, path string
			status, code int
		}{
			{"developer reads roles", dev, f.stack, "GET", "/v3/roles", 200, 0},
			{"developer reads delivery tokens", dev, f.stack, "GET", "/v3/stacks/delivery_tokens", 200, 0},
			{"developer: no write scope", dev, f.stack, "POST", "/v3/roles", 403, 316},
			{"developer: no environments scope", dev, f.stack, "GET", "/v3/environments", 403, 316},
			{"developer: no management-tokens scope", dev, f.stack, "GET", "/v3/stacks/management_tokens", 403, 316},
			{"content manager: scope but not the role", cm, f.stack, "GET", "/v3/stacks/delivery_tokens", 403, 316},
			{"content manager reads roles", cm, f.stack, "GET", "/v3/roles", 200, 0},
			{"outsider: not a member", outsider, f.stack, "GET", "/v3/roles", 403, 316},
			{"outsider on their own stack", outsider, f.other, "GET", "/v3/roles", 200, 0},
			{"app reads roles of its stack", app, f.stack, "GET", "/v3/roles", 200, 0},
			{"app: no delivery-token scope", app, f.stack, "GET", "/v3/stacks/delivery_tokens", 403, 316},
			{"app on another stack", app, f.other, "GET", "/v3/roles", 403, 316},
			{"developer: read scope, role update", dev, f.stack, "PUT", "/v3/roles/" + f.roleUIDs[stackgate.RoleDeveloper], 403, 316},
			{"developer: read scope, role delete", dev, f.stack, "DELETE", "/v3/roles/" + f.roleUIDs[stackgate.RoleDeveloper], 403, 316},
			{"developer: no stack-users scope", dev, f.stack, "POST", "/v3/stacks/share", 403, 316},
			{"developer: no session route", dev, f.stack, "DELETE", "/v3/user-session", 401, 105},
			{"app: read scope, role create", app, f.stack, "POST", "/v3/roles", 403, 316},
			{"app: no management-tokens scope", app, f.stack, "POST", "/v3/stacks/management_tokens", 403, 316},
			{"unknown token", "nope", f.stack, "GET", "/v3/roles", 401, 105},
			{"a refresh token is no access token", "x" + dev, f.stack, "GET", "/v3/roles", 401, 105},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got := f.do(req{method: tc.method, path: tc.path, headers: bearerOn(tc.stack, tc.token), body: map[string]any{"role": map[string]any{"name": "x"}}})
				if tc.status == 200 {
					if got.status != 200 {
						t.Fatalf("%d %s", got.status, got.raw)
					}
					return
				}
				wantError(t, got, tc.status, tc.code, "")
			})
		}

		t.Run("credential shapes", func(t *testing.T) {
			k := f.stack.APIKey
			for _, tc := range []struct {
				name    string
				headers map[string]string
				status  int
			}{
				{"bearer in lower case", map[string]string{"api_key": k, "authorization": "bearer " + dev}, 200},
				{"spaces around the token", map[string]string{"api_key": k, "authorization": "Bearer   " + dev + "  "}, 200},
				{"a tab for the space", map[string]string{"api_key": k, "authorization": "Bearer\t" + dev}, 401},
				{"a second word", map[string]string{"api_key": k, "authorization": "Bearer " + dev + " x"}, 401},
				{"no Bearer: a management token", map[string]string{"api_key": k, "authorization": dev}, 401},
				{"the token as an authtoken", map[string]string{"api_key": k, "authtoken": dev}, 401},
				{"Bearer and an authtoken", map[string]string{"api_key": k, "authorization": "Bearer " + dev, "authtoken": f.tokens[Developer]}, 401},
				{"no api_key", map[string]string{"authorization": "Bearer " + dev}, 412},
			} {
				t.Run(tc.name, func(t *testing.T) {
					got := f.do(req{method: "GET", path: "/v3/roles", headers: tc.headers})
					if got.status != tc.status {
						t.Fatalf("%d %s", got.status, got.raw)
					}
				})
			}
		})

		t.Run("GET /v3/user", func(t *testing.T) {
			got := f.do(req{method: "GET", path: "/v3/user", headers: map[string]string{"authorization": "Bearer " + dev}})
			if got.status != 200 || got.body["user"].(map[string]any)["uid"] != f.users[Developer].UID {
				t.Fatalf("%d %s", got.status, got.raw)
			}
			wantError(t, f.do(req{method: "GET", path: "/v3/user", headers: map[string]string{"authorization": "Bearer " + app}}), 403, 316, "")
			wantError(t, f.do(req{method: "GET", path: "/v3/user", headers: map[string]string{"authorization": "Bearer nope"}}), 401, 105, "authorization")
		})

		t.Run("gate", func(t *testing.T) {
			check := func(path, token string) reply {
				return f.do(req{method: "POST", path: "/gate/check", body: map[string]any{"api": "cma", "method": "GET", "path": path,
					"api_key": f.stack.APIKey, "credential": map[string]string{"authorization": "Bearer " + token}}})
			}
			got := check("/v3/roles", dev)
			route, _ := got.body["route"].(map[string]any)
			pj, _ := got.body["principal"].(map[string]any)
			if got.body["allowed"] != true || route["scope"] != "cm.roles.management:read" || pj["kind"] != "oauth_user" ||
				cmp.Diff([]any{"cm.roles.management:read", "cm.stack.delivery-tokens:read", "user:read"}, pj["scopes"]) != "" || pj["name"] != o.public.UID {
				t.Fatalf("gate/check: %s", got.raw)
			}
			got = check("/v3/content_types/blog/entries", dev)
			if route, _ := got.body["route"].(map[string]any); got.body["allowed"] != false || got.body["reason"] != access.ReasonScopeMissing || route["scope"] != "cm.entries.management:read" {
				t.Fatalf("gate/check without the scope: %s", got.raw)
			}
			for _, p := range []string{"/v3/audit-logs", "/v3/stacks/management_tokens"} { // gated or not, the scope is named
				got = check(p, dev)
				if route, _ := got.body["route"].(map[string]any); got.body["allowed"] != false || got.body["reason"] != access.ReasonScopeMissing || route["scope"] == "" {
					t.Fatalf("gate/check %s without the scope: %s", p, got.raw)
				}
			}
			w := f.gateAuth("/gate/auth?api=cma", "GET", "/v3/roles?api_key="+f.stack.APIKey, map[string]string{"authorization": "Bearer " + app})
			if w.status != 200 {
				t.Fatalf("gate/auth with an app token: %d %s", w.status, w.raw)
			}
			// The CDA takes delivery tokens only: a Bearer token, in the header or as access_token, is 401.
			for _, hs := range []map[string]string{{"authorization": "Bearer " + app}, {"access_token": app}, {"authorization": "Bearer " + dev}} {
				w := f.gateAuth("/gate/auth?api=cda", "GET", "/v3/content_types?api_key="+f.stack.APIKey, hs)
				wantError(t, w, 401, 105, "")
			}
		})

		t.Run("revocation and expiry", func(t *testing.T) {
			// A user losing their role: their token loses what it gave, at once.
			admin, _ := f.userToken(Admin, o)
			if got := f.do(req{method: "GET", path: "/v3/stacks/delivery_tokens", headers: bearerOn(f.stack, admin)}); got.status != 200 {
				t.Fatalf("%d %s", got.status, got.raw)
			}
			if err := f.store.SetMemberRoles(t.Context(), f.stack.UID, map[string][]string{f.users[Admin].UID: {}}, 0); err != nil {
				t.Fatal(err)
			}
			wantError(t, f.do(req{method: "GET", path: "/v3/stacks/delivery_tokens", headers: bearerOn(f.stack, admin)}), 403, 316, "")

			// Logout.
			list, err := f.store.ListAuthorizations(t.Context(), o.public.UID)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range list {
				if a.UserUID == f.users[Developer].UID {
					if got := f.do(req{method: "DELETE", path: "/manifests/" + o.public.UID + "/authorizations/" + a.UID,
						headers: map[string]string{"authorization": "Bearer " + dev}}); got.status != 200 {
						t.Fatalf("logout %d %s", got.status, got.raw)
					}
				}
			}
			got := f.do(req{method: "GET", path: "/v3/roles", headers: bearerOn(f.stack, dev)})
			wantError(t, got, 401, 105, "authorization")
			if c := got.body["error_code"].(float64); c == 294 || c == 161 {
				t.Fatalf("error_code %v: the SDK would not refresh", c)
			}
			// Another user's token of the same app still works.
			if got := f.do(req{method: "GET", path: "/v3/roles", headers: bearerOn(f.stack, cm)}); got.status != 200 {
				t.Fatalf("%d %s", got.status, got.raw)
			}

			// Expiry, an hour on.
			f.svc.Now = func() time.Time { return stackgate.Now().Add(stackgate.AccessTokenTTL + time.Second) }
			wantError(t, f.do(req{method: "GET", path: "/v3/roles", headers: bearerOn(f.stack, cm)}), 401, 105, "authorization")
			f.svc.Now = stackgate.Now

			// Removing the app ends its tokens, its own and its users'.
			if err := f.svc.RemoveApp(t.Context(), o.machine.UID); err != nil {
				t.Fatal(err)
			}
			wantError(t, f.do(req{method: "GET", path: "/v3/roles", headers: bearerOn(f.stack, app)}), 401, 105, "authorization")
			if err := f.svc.RemoveApp(t.Context(), o.public.UID); err != nil {
				t.Fatal(err)
			}
			wantError(t, f.do(req{method: "GET", path: "/v3/roles", headers: bearerOn(f.stack, cm)}), 401, 105, "authorization")
		})
	})
}

// installedApp registers a machine app installed on the fixture stack that
// users may authorize too, and returns it with its client secret.
func (f *fixture) installedApp() (*stackgate.App, string) {
	f.t.Helper()
	a, secret, err := f.svc.AddApp(f.t.Context(), service.AppSpec{Name: "Installed", Machine: true, StackAPIKey: f.stack.APIKey,
		RedirectURIs: []string{testRedirect}, Scopes: []string{"cm.roles.management:read"}})
	if err != nil {
		f.t.Fatal(err)
	}
	return a, secret
}

// TestConsentCheckStack: the consent check names a machine app's stack
// (name, api_key) only to a signed-in member of it; anyone else who knows the
// app_uid and client_id learns only that the app is installed on one stack.
func TestConsentCheckStack(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		a, _ := f.installedApp()
		o := f.oauthApps()
		check := func(app *stackgate.App, authtoken string) reply {
			h := map[string]string{}
			if authtoken != "" {
				h["authtoken"] = authtoken
			}
			return f.do(req{method: "GET", path: "/manifests/" + app.UID + "/consent?client_id=" + app.ClientID, headers: h})
		}
		hidden := map[string]any{"installed": true}
		for _, tc := range []struct {
			name      string
			app       *stackgate.App
			authtoken string
			want      any
		}{
			{"not signed in", a, "", hidden},
			{"signed in, not a member", a, f.tokens[Outsider], hidden},
			{"a member", a, f.tokens[Developer], map[string]any{"installed": true, "name": f.stack.Name, "api_key": f.stack.APIKey}},
			{"the owner", a, f.tokens[Owner], map[string]any{"installed": true, "name": f.stack.Name, "api_key": f.stack.APIKey}},
			{"an app installed nowhere", o.confidential, f.tokens[Developer], nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got := check(tc.app, tc.authtoken)
				if d := cmp.Diff(tc.want, got.body["stack"]); d != "" || got.status != 200 {
					t.Fatalf("%d %s (-want +got):\n%s", got.status, got.raw, d)
				}
			})
		}
		wantError(t, check(a, "bltnosuchsession"), 401, 105, "authtoken")
	})
}

// TestBearerUserTokenOfInstalledApp: a user's token of an app installed on
// one stack acts there only, as the consent page says ("On the stack …"),
// not on every stack its user is a member of.
func TestBearerUserTokenOfInstalledApp(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		a, secret := f.installedApp()
		got := f.do(req{method: "GET", path: "/manifests/" + a.UID + "/consent?client_id=" + a.ClientID, headers: map[string]string{"authtoken": f.tokens[Developer]}})
		if st, _ := got.body["stack"].(map[string]any); got.status != 200 || st["api_key"] != f.stack.APIKey {
			t.Fatalf("consent check: %d %s", got.status, got.raw)
		}
		token := func(who cred) string {
			code := f.consent(who, a, map[string]string{"client_id": a.ClientID})
			got := f.token("", form("grant_type", "authorization_code", "code", code, "client_id", a.ClientID, "client_secret", secret), nil)
			if got.status != 200 || got.body["stack_api_key"] != f.stack.APIKey {
				t.Fatalf("token: %d %s", got.status, got.raw)
			}
			return got.body["access_token"].(string)
		}
		dev, outsider := token(Developer), token(Outsider)
		if got := f.do(req{method: "GET", path: "/v3/roles", headers: bearerOn(f.stack, dev)}); got.status != 200 {
			t.Fatalf("on the installation: %d %s", got.status, got.raw)
		}
		// The outsider owns the other stack; the app is not installed there.
		wantError(t, f.do(req{method: "GET", path: "/v3/roles", headers: bearerOn(f.other, outsider)}), 403, 316, "")
		wantError(t, f.do(req{method: "GET", path: "/v3/roles", headers: bearerOn(f.stack, outsider)}), 403, 316, "")
	})
}

// gateAuth asks an nginx-style gate endpoint about method and uri.
func (f *fixture) gateAuth(path, method, uri string, headers map[string]string) reply {
	h := map[string]string{"X-Original-Method": method, "X-Original-URI": uri}
	for k, v := range headers {
		h[k] = v
	}
	return f.do(req{method: "GET", path: path, headers: h})
}

// TestBearerThroughCMAProxy: the main listener's CMA proxy decides OAuth
// tokens with the same route table and scopes.
func TestBearerThroughCMAProxy(t *testing.T) {
	w := newProxyWorld(t, testdb.SQLite, 0)
	o := w.oauthApps()
	dev, _ := w.userToken(Developer, o) // no content scopes
	reader, secret, err := w.svc.AddApp(t.Context(), service.AppSpec{Name: "Reader", Machine: true, StackAPIKey: w.key,
		Scopes: []string{"cm.entries.management:read"}})
	if err != nil {
		t.Fatal(err)
	}
	g, err := w.svc.Token(t.Context(), service.TokenRequest{GrantType: "client_credentials", ClientID: reader.ClientID, ClientSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, method, path, token string
		status                    int
	}{
		{"app token with the scope", "GET", "/v3/content_types/blog/entries", g.AccessToken, 200},
		{"app token without the write scope", "PUT", "/v3/content_types/blog/entries/e1", g.AccessToken, 403},
		{"user token without content scopes", "GET", "/v3/content_types/blog/entries", dev, 403},
		{"unknown token", "GET", "/v3/content_types/blog/entries", "nope", 401},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, _, body := send(t, c.method, w.mainURL+c.path, h("api_key", w.key, "authorization", "Bearer "+c.token), nil)
			got := w.cmaUp.take()
			if status != c.status || (status == 200) != (len(got) == 1) {
				t.Fatalf("%d (upstream saw %d requests) %s", status, len(got), body)
			}
		})
	}
}

// TestFormPublishThroughCMAProxy: a publish whose body is form-encoded (the
// SDK's, once it holds an OAuth token) is decided on the environments it
// names, as its JSON would be; a key given twice is refused.
func TestFormPublishThroughCMAProxy(t *testing.T) {
	w := newProxyWorld(t, testdb.SQLite, 0)
	publish := w.mainURL + "/v3/content_types/blog/entries/bltentry/publish"
	hs := h("api_key", w.key, "authtoken", w.staging, "Content-Type", "application/x-www-form-urlencoded")
	for _, c := range []struct {
		name, body string
		status     int
	}{
		{"staging", "entry[environments][0]=staging&entry[locales][0]=en-us&locale=en-us&version=1", 200},
		{"production", "entry[environments][0]=production&entry[locales][0]=en-us&locale=en-us", 403},
		{"staging and production", "entry[environments][0]=staging&entry[environments][1]=production&entry[locales][0]=en-us", 403},
		{"a key twice", "entry[environments][0]=staging&entry[environments][0]=production", 400},
		{"a bad escape", "entry[environments][0]=%zz", 400},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, _, body := send(t, "POST", publish, hs, []byte(c.body))
			got := w.cmaUp.take()
			if status != c.status || (status == 200) != (len(got) == 1) {
				t.Fatalf("%d (upstream saw %d requests) %s", status, len(got), body)
			}
			if status == 200 && string(got[0].body) != c.body {
				t.Fatalf("upstream got body %q, want the client's %q", got[0].body, c.body)
			}
		})
	}
}
