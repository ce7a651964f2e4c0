package http_test

import (
	"testing"

	"github.com/stackgate/stackgate/internal/testdb"
)

// TestLoginLockout: the fifth consecutive failure locks the account's logins
// (429 with Retry-After), even with the right password; sessions already
// open keep working.
func TestLoginLockout(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		login := func(password string) reply {
			return f.do(req{method: "POST", path: "/v3/user-session",
				body: map[string]any{"user": map[string]string{"email": "admin@example.com", "password": password}}})
		}
		for i := 0; i < 4; i++ {
			wantError(t, login("wrong"), 422, 104, "")
		}
		if got := login("admin-password"); got.status != 200 {
			t.Fatalf("a success before the limit: %d %s", got.status, got.raw)
		}
		for i := 0; i < 5; i++ {
			wantError(t, login("wrong"), 422, 104, "")
		}
		got := login("admin-password")
		wantError(t, got, 429, 429, "")
		if got.header.Get("Retry-After") == "" {
			t.Fatal("no Retry-After on a locked login")
		}
		if r := f.do(req{method: "GET", path: "/v3/environments", headers: f.as("admin")}); r.status != 200 {
			t.Fatalf("an open session stopped working: %d", r.status)
		}
	})
}

// TestSessionsPerUser: the 21st login ends the oldest session.
func TestSessionsPerUser(t *testing.T) {
	f := newFixture(t, testdb.SQLite)
	var tokens []string
	for i := 0; i < 21; i++ {
		r := f.do(req{method: "POST", path: "/v3/user-session",
			body: map[string]any{"user": map[string]string{"email": "developer@example.com", "password": "developer-password"}}})
		if r.status != 200 {
			t.Fatalf("login %d: %d", i, r.status)
		}
		tokens = append(tokens, r.body["user"].(map[string]any)["authtoken"].(string))
	}
	// With the fixture's own session that makes 22: the two oldest ended.
	for _, tok := range []string{f.tokens["developer"], tokens[0]} {
		old := f.do(req{method: "GET", path: "/v3/user", headers: map[string]string{"authtoken": tok}})
		wantError(t, old, 401, 105, "authtoken")
	}
	for _, tok := range []string{tokens[1], tokens[20]} {
		if r := f.do(req{method: "GET", path: "/v3/user", headers: map[string]string{"authtoken": tok}}); r.status != 200 {
			t.Fatalf("a recent session was ended: %d", r.status)
		}
	}
}
