package http_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/service"
)

// TestOAuthReplayRevokes: a code used twice, or a rotated-out refresh token
// presented again (after service.RefreshReuseGrace, inside which it is the
// SDK's own parallel refresh), is refused and revokes every token of the
// grant it came from: the access tokens are refused at once (introspection,
// the CMA), the current refresh token no longer refreshes. Other grants of
// the same user stay. Each revocation is an audit entry of the user's log
// with no secret in it (JSON token requests included). An unknown value
// revokes nothing.
func TestOAuthReplayRevokes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		o := f.oauthApps()
		at := f.clock()
		var secrets []string
		// JSON token requests: their bodies must not reach the audit log.
		post := func(kv ...string) reply {
			t.Helper()
			body := map[string]string{"client_id": o.public.ClientID}
			for i := 0; i+1 < len(kv); i += 2 {
				body[kv[i]] = kv[i+1]
				if kv[i] == "code" || kv[i] == "code_verifier" || kv[i] == "refresh_token" {
					secrets = append(secrets, kv[i+1])
				}
			}
			return f.do(req{method: "POST", path: "/token", body: body})
		}
		exchange := func(code string) reply {
			t.Helper()
			return post("grant_type", "authorization_code", "code", code, "code_verifier", testVerifier, "redirect_uri", testRedirect)
		}
		grant := func() (code, access, refresh string) {
			t.Helper()
			at(0)
			code = f.pkceCode(Developer, o.public)
			got := exchange(code)
			if got.status != 200 {
				t.Fatalf("exchange: %d %s", got.status, got.raw)
			}
			access, refresh = got.body["access_token"].(string), got.body["refresh_token"].(string)
			secrets = append(secrets, access, refresh)
			return code, access, refresh
		}
		refresh := func(rt string) reply {
			t.Helper()
			return post("grant_type", "refresh_token", "refresh_token", rt)
		}
		active := func(access string) bool {
			t.Helper()
			got := f.token("/apps-api/introspect", form("token", access, "client_id", o.public.ClientID), nil)
			return got.body["active"] == true
		}
		onCMA := func(access string) int {
			t.Helper()
			return f.do(req{method: "GET", path: "/v3/roles", headers: map[string]string{"api_key": f.stack.APIKey,
				"authorization": "Bearer " + access}}).status
		}
		replays := func() int {
			t.Helper()
			logs := mustDo(t, f, f.as(Owner), "GET", auditLogsPath+"?limit=100", nil, 200)
			n := 0
			for _, x := range logs.body["logs"].([]any) {
				if e := jobj(t, x); e["module"] == "oauth" && e["event_type"] == "delete" && e["created_by"] == f.users[Developer].UID {
					n++
				}
			}
			for _, s := range secrets {
				if contains(logs.raw, s) {
					t.Fatalf("the audit log holds a secret %.8s…", s)
				}
			}
			return n
		}
		_, bystander, bystanderRefresh := grant() // another grant of the same user and app

		// A code used twice: the first exchange's tokens go.
		code, access, rt := grant()
		if onCMA(access) != 200 {
			t.Fatal("the first exchange's token does not work")
		}
		wantOAuthError(t, exchange(code), 400, "invalid_grant")
		if active(access) || onCMA(access) != 401 {
			t.Fatal("after the code's replay, the first exchange's access token still works")
		}
		wantOAuthError(t, refresh(rt), 400, "invalid_grant")
		if n := replays(); n != 1 {
			t.Fatalf("%d revocation entries, want 1", n)
		}

		// A rotated-out refresh token: within the grace, the SDK's own race
		// (refused, nothing revoked); past it, a replay.
		_, access, rt = grant()
		got := refresh(rt)
		if got.status != 200 {
			t.Fatalf("refresh: %d %s", got.status, got.raw)
		}
		access2, rt2 := got.body["access_token"].(string), got.body["refresh_token"].(string)
		secrets = append(secrets, access2, rt2)
		at(service.RefreshReuseGrace - time.Millisecond)
		wantOAuthError(t, refresh(rt), 400, "invalid_grant")
		if !active(access2) || !active(access) {
			t.Fatal("a refresh token presented again within the grace revoked its family")
		}
		at(service.RefreshReuseGrace)
		wantOAuthError(t, refresh(rt), 400, "invalid_grant")
		for _, a := range []string{access, access2} {
			if active(a) || onCMA(a) != 401 {
				t.Fatal("after the refresh token's reuse, an access token of its family still works")
			}
		}
		wantOAuthError(t, refresh(rt2), 400, "invalid_grant")
		if n := replays(); n != 2 {
			t.Fatalf("%d revocation entries, want 2", n)
		}
		// Presented again, nothing is left to revoke, and no entry is added.
		wantOAuthError(t, refresh(rt), 400, "invalid_grant")
		wantOAuthError(t, exchange(code), 400, "invalid_grant")

		// Unknown values, and a spent one sent by another client, revoke nothing.
		wantOAuthError(t, refresh("x"+bystanderRefresh), 400, "invalid_grant")
		wantOAuthError(t, exchange("nope"), 400, "invalid_grant")
		if n := replays(); n != 2 {
			t.Fatalf("%d revocation entries, want 2", n)
		}
		if !active(bystander) || onCMA(bystander) != 200 {
			t.Fatal("a replay revoked another grant of the same user")
		}
		got = refresh(bystanderRefresh)
		if got.status != 200 {
			t.Fatalf("the other grant's refresh: %d %s", got.status, got.raw)
		}
		// The other client presenting this grant's spent token: refused, nothing revoked.
		body, _ := json.Marshal(map[string]string{"grant_type": "refresh_token", "refresh_token": bystanderRefresh,
			"client_id": o.confidential.ClientID, "client_secret": o.confSecret})
		at(time.Hour)
		wantOAuthError(t, f.do(req{method: "POST", path: "/token", body: json.RawMessage(body)}), 400, "invalid_grant")
		if !active(got.body["access_token"].(string)) {
			t.Fatal("another client's replay revoked the grant")
		}
	})
}
