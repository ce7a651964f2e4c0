package http_test

import (
	"log/slog"
	"strings"
	"testing"

	sghttp "github.com/stackgate/stackgate/http"
	"github.com/stackgate/stackgate/internal/testdb"
)

// TestNamesRefused: names with control characters, bidirectional overrides
// or path-like values are refused (422, errors.name) wherever a name is
// given; ordinary names, slashes inside a role's name included, pass.
func TestNamesRefused(t *testing.T) {
	f := newFixture(t, testdb.SQLite)
	owner := f.as(Owner)
	for _, kind := range []struct {
		name string
		post func(name string) (string, any)
	}{
		{"environment", func(n string) (string, any) { return "/v3/environments", envBody(n) }},
		{"role", func(n string) (string, any) { return rolesPath, rolePayload(n, ruleBranch("main")) }},
		{"delivery token", func(n string) (string, any) { return "/v3/stacks/delivery_tokens", dtBody(n, dtScope()) }},
		{"locale", func(n string) (string, any) {
			return "/v3/locales", map[string]any{"locale": map[string]any{"code": "fr-fr", "name": n}}
		}},
	} {
		for _, bad := range []string{"nul\x00byte", "esc\x1b[31m", "bell\a", "del\x7f", "c1\u0085mid", "csi\u009bx", "evil\u202Etxt.exe", "iso\u2066late", ".", "..", "../..", "a/../b", "/etc/passwd", `..\..`} {
			t.Run(kind.name+" "+strings.ToValidUTF8(bad, "?"), func(t *testing.T) {
				path, body := kind.post(bad)
				wantError(t, f.do(req{method: "POST", path: path, headers: owner, body: body}), 422, 141, "name")
			})
		}
	}
	for _, good := range []string{"Editors / Reviewers", "Équipe éditoriale", "v1.2", "..hidden"} {
		if r := f.do(req{method: "POST", path: rolesPath, headers: owner, body: rolePayload(good, ruleBranch("main"))}); r.status != 201 {
			t.Errorf("role %q: %d %s", good, r.status, r.raw)
		}
	}
	wantError(t, f.do(req{method: "POST", path: "/v3/environments", headers: owner, body: envBody("a/b")}), 422, 141, "name")
}

// TestSecretsNotEchoed: a token sent in the wrong place (a list parameter,
// the branch header) is refused without its value reaching the response or
// the log.
func TestSecretsNotEchoed(t *testing.T) {
	f := newFixture(t, testdb.SQLite)
	var logs syncBuffer
	f.srv = sghttp.NewServer(f.svc, f.acc, slog.New(slog.NewTextHandler(&logs, nil)))
	const secret = "cs0123456789abcdef01234567"
	for _, c := range []struct {
		name string
		r    req
		want int
	}{
		{"limit", req{method: "GET", path: "/v3/environments?limit=" + secret, headers: f.as(Owner)}, 400},
		{"skip", req{method: "GET", path: "/v3/environments?skip=" + secret, headers: f.as(Owner)}, 400},
		{"query", req{method: "GET", path: "/v3/environments?query=" + secret, headers: f.as(Owner)}, 400},
		{"include_count", req{method: "GET", path: "/v3/environments?include_count=" + secret, headers: f.as(Owner)}, 400},
		{"branch header on the API", req{method: "GET", path: "/v3/environments", headers: map[string]string{
			"api_key": f.stack.APIKey, "authtoken": f.tokens[Owner], "branch": secret}}, 422},
		{"branch header on the gate", req{method: "GET", path: "/gate/auth?api=cma", headers: map[string]string{
			"X-Original-Method": "GET", "X-Original-URI": "/v3/content_types/blog/entries?environment=production",
			"api_key": f.stack.APIKey, "authtoken": f.tokens[Owner], "branch": secret}}, 422},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := f.do(c.r)
			if got.status != c.want {
				t.Fatalf("status %d, want %d: %s", got.status, c.want, got.raw)
			}
			if strings.Contains(string(got.raw), secret) {
				t.Errorf("the response echoes the value: %s", got.raw)
			}
		})
	}
	if strings.Contains(logs.String(), secret[2:]) {
		t.Errorf("the log echoes the value:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "reason=") {
		t.Errorf("the log gives no reason at all:\n%s", logs.String())
	}
}
