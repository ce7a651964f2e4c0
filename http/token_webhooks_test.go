package http_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stackgate/stackgate/internal/testdb"
)

const tokenWebhookPath = "/v3/stacks/token_webhook"

var webhookSecretRe = regexp.MustCompile(`^whsec_[A-Z2-7]{26}$`)

func tokenWebhookBody(url string, events ...string) map[string]any {
	hook := map[string]any{"url": url}
	if events != nil {
		hook["events"] = events
	}
	return map[string]any{"token_webhook": hook}
}

// wireWebhook returns the reply's token_webhook with what changes from run
// to run replaced (times, users, the secret and its hint), checking the
// secret's form.
func wireWebhook(t *testing.T, r reply) map[string]any {
	t.Helper()
	var body map[string]any
	if err := json.Unmarshal(r.raw, &body); err != nil {
		t.Fatal(err)
	}
	hook := jobj(t, body["token_webhook"])
	for _, k := range []string{"created_at", "updated_at", "created_by", "updated_by", "secret_hint"} {
		if s, _ := hook[k].(string); s == "" {
			t.Errorf("%s is empty: %s", k, r.raw)
		}
		hook[k] = "<" + k + ">"
	}
	if s, ok := hook["secret"].(string); ok {
		if !webhookSecretRe.MatchString(s) {
			t.Errorf("secret %q", s)
		}
		hook["secret"] = "<secret>"
	}
	return body
}

// TestTokenWebhookRoundTrip: the first PUT makes the webhook and shows its
// secret once (201); GET and a later PUT never show it (the hint stays);
// rotate_secret shows a new one; DELETE removes it. Wire shapes compared
// whole.
func TestTokenWebhookRoundTrip(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		owner := f.as(Owner)
		wantError(t, f.do(req{"GET", tokenWebhookPath, owner, nil}), 422, 141, "")

		created := mustDo(t, f, owner, "PUT", tokenWebhookPath, tokenWebhookBody("https://hooks.example.com/stackgate?team=web"), 201)
		all := []any{"created", "rotated", "revoked", "expiring", "expired"}
		hook := func(url string, events []any, secret bool) map[string]any {
			h := map[string]any{"url": url, "events": events, "secret_hint": "<secret_hint>",
				"created_by": "<created_by>", "updated_by": "<updated_by>", "created_at": "<created_at>", "updated_at": "<updated_at>"}
			if secret {
				h["secret"] = "<secret>"
			}
			return h
		}
		for _, c := range []struct {
			name string
			got  reply
			want map[string]any
		}{
			{"create", created, map[string]any{"notice": "Token webhook created successfully.",
				"token_webhook": hook("https://hooks.example.com/stackgate?team=web", all, true)}},
			{"get", mustDo(t, f, owner, "GET", tokenWebhookPath, nil, 200), map[string]any{
				"token_webhook": hook("https://hooks.example.com/stackgate?team=web", all, false)}},
			{"update", mustDo(t, f, f.as(Admin), "PUT", tokenWebhookPath, tokenWebhookBody("https://hooks.example.com/v2", "expired", "created", "created"), 200),
				map[string]any{"notice": "Token webhook updated successfully.",
					"token_webhook": hook("https://hooks.example.com/v2", []any{"created", "expired"}, false)}},
		} {
			if d := cmp.Diff(c.want, wireWebhook(t, c.got)); d != "" {
				t.Errorf("%s (-want +got):\n%s", c.name, d)
			}
		}
		first := jobj(t, created.body["token_webhook"])
		got := jobj(t, mustDo(t, f, owner, "GET", tokenWebhookPath, nil, 200).body["token_webhook"])
		if got["secret_hint"] != first["secret_hint"] || !strings.HasSuffix(first["secret"].(string), got["secret_hint"].(string)) ||
			got["created_at"] != first["created_at"] || got["updated_by"] != f.users[Admin].UID {
			t.Errorf("after the update: %v (created %v)", got, first)
		}

		rotated := mustDo(t, f, owner, "POST", tokenWebhookPath+"/rotate_secret", nil, 200)
		if d := cmp.Diff(map[string]any{"notice": "Token webhook secret rotated successfully.",
			"token_webhook": hook("https://hooks.example.com/v2", []any{"created", "expired"}, true)}, wireWebhook(t, rotated)); d != "" {
			t.Errorf("rotate (-want +got):\n%s", d)
		}
		if s := jobj(t, rotated.body["token_webhook"])["secret"]; s == first["secret"] {
			t.Error("rotate_secret kept the secret")
		}

		if d := cmp.Diff(map[string]any{"notice": "Token webhook deleted successfully."},
			mustDo(t, f, owner, "DELETE", tokenWebhookPath, nil, 200).body); d != "" {
			t.Errorf("delete (-want +got):\n%s", d)
		}
		wantError(t, f.do(req{"GET", tokenWebhookPath, owner, nil}), 422, 141, "")
		wantError(t, f.do(req{"DELETE", tokenWebhookPath, owner, nil}), 422, 141, "")
		wantError(t, f.do(req{"POST", tokenWebhookPath + "/rotate_secret", owner, nil}), 422, 141, "")
		// A new one gets a new secret.
		again := jobj(t, mustDo(t, f, owner, "PUT", tokenWebhookPath, tokenWebhookBody("https://hooks.example.com/v3"), 201).body["token_webhook"])
		if again["secret"] == nil || again["secret"] == first["secret"] {
			t.Errorf("re-created: %v", again)
		}
	})
}

// TestTokenWebhookWho: Owner and Admin manage a stack's token webhook;
// Developer, Content Manager, a management token (even with $all) and
// another stack's owner may not even read it.
func TestTokenWebhookWho(t *testing.T) {
	f := newFixture(t, testdb.SQLite)
	mustDo(t, f, f.as(Admin), "PUT", tokenWebhookPath, tokenWebhookBody("https://hooks.example.com/a"), 201)
	mt := mgmtAll(t, f, "all")
	for name, h := range map[string]map[string]string{
		"developer": f.as(Developer), "content manager": f.as(ContentManager), "management token": f.withToken(mt),
		"outsider": f.as(Outsider),
	} {
		for _, m := range []struct{ method, path string }{{"GET", tokenWebhookPath}, {"PUT", tokenWebhookPath},
			{"DELETE", tokenWebhookPath}, {"POST", tokenWebhookPath + "/rotate_secret"}} {
			r := f.do(req{m.method, m.path, h, tokenWebhookBody("https://evil.example.com")})
			if r.status != 403 && r.status != 401 {
				t.Errorf("%s %s as %s: %d %s", m.method, m.path, name, r.status, r.raw)
			}
			if r.status == 200 || r.status == 201 {
				t.Fatalf("%s %s as %s was allowed", m.method, m.path, name)
			}
		}
	}
	got := jobj(t, mustDo(t, f, f.as(Owner), "GET", tokenWebhookPath, nil, 200).body["token_webhook"])
	if got["url"] != "https://hooks.example.com/a" {
		t.Errorf("changed by a refused request: %v", got)
	}
	// The other stack has none of its own.
	other := map[string]string{"api_key": f.other.APIKey, "authtoken": f.tokens[Outsider]}
	wantError(t, f.do(req{"GET", tokenWebhookPath, other, nil}), 422, 141, "")
}

// TestTokenWebhookBadInput: a bad URL (not https, user info, fragment, a
// loopback or private address, too long), an unknown or no event, no url
// or no envelope: 422 with errors naming the field; an oversized body 413;
// nothing changed.
func TestTokenWebhookBadInput(t *testing.T) {
	f := newFixture(t, testdb.SQLite)
	owner := f.as(Owner)
	mustDo(t, f, owner, "PUT", tokenWebhookPath, tokenWebhookBody("https://hooks.example.com/a", "created"), 201)
	before := mustDo(t, f, owner, "GET", tokenWebhookPath, nil, 200).raw
	for _, c := range []struct {
		name  string
		body  any
		field string
		says  string
	}{
		{"http", tokenWebhookBody("http://hooks.example.com/a"), "url", "must be an https URL."},
		{"ftp", tokenWebhookBody("ftp://hooks.example.com/a"), "url", "must be an https URL."},
		{"relative", tokenWebhookBody("/hooks"), "url", "is not a valid URL."},
		{"no host", tokenWebhookBody("https:///x"), "url", "is not a valid URL."},
		{"not a URL", tokenWebhookBody("https://exa mple.com/%zz"), "url", "is not a valid URL."},
		{"user info", tokenWebhookBody("https://user:pw@hooks.example.com/a"), "url", "must not hold a user name or password."},
		{"fragment", tokenWebhookBody("https://hooks.example.com/a#x"), "url", "must not have a fragment."},
		{"loopback", tokenWebhookBody("https://127.0.0.1:8443/a"), "url", "must not name a loopback, private, link-local, multicast or unspecified address."},
		{"localhost", tokenWebhookBody("https://localhost/a"), "url", "must not name a loopback, private, link-local, multicast or unspecified address."},
		{"private", tokenWebhookBody("https://10.1.2.3/a"), "url", "must not name a loopback, private, link-local, multicast or unspecified address."},
		{"metadata", tokenWebhookBody("https://169.254.169.254/latest"), "url", "must not name a loopback, private, link-local, multicast or unspecified address."},
		{"mapped v6", tokenWebhookBody("https://[::ffff:127.0.0.1]/a"), "url", "must not name a loopback, private, link-local, multicast or unspecified address."},
		{"unspecified", tokenWebhookBody("https://0.0.0.0/a"), "url", "must not name a loopback, private, link-local, multicast or unspecified address."},
		{"port 0", tokenWebhookBody("https://hooks.example.com:0/a"), "url", "has a port that is not between 1 and 65535."},
		{"port past 65535", tokenWebhookBody("https://hooks.example.com:99999/a"), "url", "has a port that is not between 1 and 65535."},
		{"too long", tokenWebhookBody("https://hooks.example.com/" + strings.Repeat("a", 2048)), "url", "is too long (at most 2048 characters)."},
		{"no url", map[string]any{"token_webhook": map[string]any{"events": []string{"created"}}}, "url", "is a required field."},
		{"empty url", tokenWebhookBody(""), "url", "is a required field."},
		{"unknown event", tokenWebhookBody("https://hooks.example.com/a", "created", "deleted"), "events",
			`"deleted" is not an event: want created, rotated, revoked, expiring or expired.`},
		{"no event", tokenWebhookBody("https://hooks.example.com/a", []string{}...), "events", "must select at least one event."},
		{"no envelope", map[string]any{"url": "https://hooks.example.com/a"}, "token_webhook", "is a required field."},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := f.do(req{"PUT", tokenWebhookPath, owner, c.body})
			wantError(t, r, 422, 141, c.field)
			if d := cmp.Diff([]any{c.says}, jobj(t, r.body["errors"])[c.field]); d != "" {
				t.Errorf("errors.%s (-want +got):\n%s", c.field, d)
			}
		})
	}
	// A body past the 1 MiB limit of every route: 413, as everywhere.
	wantError(t, f.do(req{"PUT", tokenWebhookPath, owner, tokenWebhookBody("https://hooks.example.com/" + strings.Repeat("a", 2<<20))}), 413, 413, "")
	if after := mustDo(t, f, owner, "GET", tokenWebhookPath, nil, 200).raw; !bytes.Equal(before, after) {
		t.Errorf("a refused PUT changed the webhook: %s, was %s", after, before)
	}
}

// TestTokenWebhookAuditHoldsNoURLQuery: a Developer, who may not read the
// webhook (403), reads the audit log; the webhook's URL is kept there
// without its query, which may carry the receiver's own credential.
func TestTokenWebhookAuditHoldsNoURLQuery(t *testing.T) {
	f := newFixture(t, testdb.SQLite)
	mustDo(t, f, f.as(Owner), "PUT", tokenWebhookPath, tokenWebhookBody("https://hooks.example.com/a?token=rcv-s3cr3t"), 201)
	mustDo(t, f, f.as(Owner), "PUT", tokenWebhookPath, tokenWebhookBody("https://hooks.example.com/b?key=rcv-s3cr3t", "revoked"), 200)
	wantError(t, f.do(req{"GET", tokenWebhookPath, f.as(Developer), nil}), 403, 316, "")
	all := mustDo(t, f, f.as(Developer), "GET", auditLogsPath, nil, 200)
	if bytes.Contains(all.raw, []byte("rcv-s3cr3t")) {
		t.Errorf("the log holds the URL's query: %s", all.raw)
	}
	if !bytes.Contains(all.raw, []byte(`"url":"https://hooks.example.com/b"`)) {
		t.Errorf("the log lost the URL itself: %s", all.raw)
	}
}

// TestTokenWebhookAuditHoldsNoSecret: creating, changing, rotating and
// deleting the webhook are audit entries (module token_webhook) whose
// stored replies hold neither secret.
func TestTokenWebhookAuditHoldsNoSecret(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		owner := f.as(Owner)
		first := jobj(t, mustDo(t, f, owner, "PUT", tokenWebhookPath, tokenWebhookBody("https://hooks.example.com/a"), 201).body["token_webhook"])
		mustDo(t, f, owner, "PUT", tokenWebhookPath, tokenWebhookBody("https://hooks.example.com/b", "revoked"), 200)
		second := jobj(t, mustDo(t, f, owner, "POST", tokenWebhookPath+"/rotate_secret", nil, 200).body["token_webhook"])
		mustDo(t, f, owner, "DELETE", tokenWebhookPath, nil, 200)
		all := mustDo(t, f, owner, "GET", auditLogsPath+"?include_count=true", nil, 200)
		for _, s := range []any{first["secret"], second["secret"]} {
			if bytes.Contains(all.raw, []byte(s.(string))) {
				t.Errorf("the log holds a webhook secret")
			}
		}
		var got []string
		var created map[string]any
		for _, l := range all.body["logs"].([]any) {
			e := jobj(t, l)
			if e["module"] == "token_webhook" {
				got = append(got, e["event_type"].(string))
				if e["event_type"] == "create" {
					created = e
				}
			}
		}
		if d := cmp.Diff([]string{"delete", "rotate", "update", "create"}, got); d != "" {
			t.Errorf("entries, newest first (-want +got):\n%s", d)
		}
		resp := jobj(t, jobj(t, created["response"])["token_webhook"])
		if _, ok := resp["secret"]; ok || resp["url"] != "https://hooks.example.com/a" {
			t.Errorf("stored reply %v: want its url, never its secret", resp)
		}
		if d := cmp.Diff(jsonRound(t, tokenWebhookBody("https://hooks.example.com/a")), created["request"]); d != "" {
			t.Errorf("stored request (-want +got):\n%s", d)
		}
		if d := cmp.Diff(map[string]any{"title": "token webhook", "uid": f.stack.UID}, created["metadata"]); d != "" {
			t.Errorf("metadata (-want +got):\n%s", d)
		}
	})
}
