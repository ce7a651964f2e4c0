package http_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/internal/testdb"
)

const sessionsPath = "/v3/user/sessions"

// TestUserSessions: a user lists their sessions newest first, with the
// client each logged in from and its last use once flushed, and ends one by
// its uid: at once, with an audit entry. Only an authtoken may ask; another
// user's uid answers as an unknown one and changes nothing.
func TestUserSessions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		clock := time.Date(2031, 5, 10, 12, 0, 0, 0, time.UTC)
		f.svc.Now = func() time.Time { return clock }
		first := f.tokens[Owner] // logged in by the fixture: no client known
		ua := "sessions-test/1.0 " + strings.Repeat("é", 200)
		login := f.do(req{method: "POST", path: "/v3/user-session", headers: map[string]string{"User-Agent": ua},
			body: map[string]any{"user": map[string]string{"email": Owner.email(), "password": Owner.password()}}})
		if login.status != 200 {
			t.Fatalf("login: %d %s", login.status, login.raw)
		}
		second := jobj(t, login.body["user"])["authtoken"].(string)
		stored, err := f.store.ListSessions(t.Context(), f.users[Owner].UID)
		if err != nil || len(stored) != 2 {
			t.Fatalf("stored sessions: %v, %d", err, len(stored))
		}
		firstUID, secondUID := stored[0].UID, stored[1].UID

		// A use of the first session, flushed; the second's own use (this
		// list) is not flushed yet.
		clock = clock.Add(time.Minute)
		mustDo(t, f, map[string]string{"authtoken": first}, "GET", "/v3/user", nil, 200)
		if err := f.svc.FlushLastUse(t.Context(), f.acc); err != nil {
			t.Fatal(err)
		}
		// GET /v3/user shows the asking session's flushed last use.
		if u := jobj(t, mustDo(t, f, map[string]string{"authtoken": first}, "GET", "/v3/user", nil, 200).body["user"]); u["last_used_at"] != "2031-05-10T12:01:00.000Z" {
			t.Errorf("GET /v3/user: last_used_at %v", u["last_used_at"])
		}
		if u := jobj(t, mustDo(t, f, map[string]string{"authtoken": second}, "GET", "/v3/user", nil, 200).body["user"]); u["last_used_at"] != nil {
			t.Errorf("GET /v3/user of a session never flushed: last_used_at %v", u["last_used_at"])
		}
		got := mustDo(t, f, map[string]string{"authtoken": second}, "GET", sessionsPath, nil, 200)
		golden(t, "user_sessions", got)
		want := map[string]any{"sessions": []any{
			map[string]any{"uid": secondUID, "created_at": "2031-05-10T12:00:00.000Z", "user_agent": stackgate.SessionUserAgent(ua),
				"remote_addr": "192.0.2.1", "current": true},
			map[string]any{"uid": firstUID, "created_at": stackgate.FormatTime(stored[0].CreatedAt),
				"last_used_at": "2031-05-10T12:01:00.000Z", "user_agent": "", "remote_addr": "", "current": false},
		}}
		if d := cmp.Diff(want, got.body); d != "" {
			t.Errorf("sessions (-want +got):\n%s", d)
		}
		if n := len(stackgate.SessionUserAgent(ua)); n > stackgate.MaxSessionUserAgent || !strings.HasPrefix(ua, stackgate.SessionUserAgent(ua)) {
			t.Errorf("user agent kept as %d bytes", n)
		}
		if strings.Contains(string(got.raw), second) || strings.Contains(string(got.raw), first) {
			t.Error("the list shows an authtoken")
		}

		// Only an authtoken: a management token, an OAuth bearer, a bad or
		// no authtoken get what the other user-only routes answer them.
		mt := mgmtAll(t, f, "ci")
		for _, h := range []map[string]string{f.withToken(mt), {"authorization": mt}, f.headersFor(BearerToken),
			f.headersFor(BadAuthtoken), f.headersFor(NoCredential)} {
			ref := f.do(req{method: "GET", path: "/v3/user/stack_invitations", headers: h})
			for _, r := range []req{{method: "GET", path: sessionsPath, headers: h}, {method: "DELETE", path: sessionsPath + "/" + firstUID, headers: h}} {
				if g := f.do(r); g.status != ref.status || g.status < 400 || string(g.raw) != string(ref.raw) {
					t.Errorf("%s %s with %v: %d %s; user routes answer %d %s", r.method, r.path, h, g.status, g.raw, ref.status, ref.raw)
				}
			}
		}

		// Bad uids: unknown, malformed, another user's — the same 422, nothing changed.
		cm, err := f.store.ListSessions(t.Context(), f.users[ContentManager].UID)
		if err != nil || len(cm) == 0 {
			t.Fatalf("content manager's sessions: %v", err)
		}
		logouts := func() int {
			logs, err := f.svc.AuditLogs(t.Context(), f.stack.UID)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, e := range logs {
				if e.EventType == stackgate.AuditLogout {
					n++
				}
			}
			return n
		}
		before := logouts()
		unknown := f.do(req{method: "DELETE", path: sessionsPath + "/bltmissing", headers: map[string]string{"authtoken": second}})
		wantError(t, unknown, 422, 141, "uid")
		for _, uid := range []string{cm[0].UID, "x", "blt%27%20OR%201=1", strings.Repeat("a", 300)} {
			g := f.do(req{method: "DELETE", path: sessionsPath + "/" + uid, headers: map[string]string{"authtoken": second}})
			if g.status != unknown.status || string(g.raw) != string(unknown.raw) {
				t.Errorf("DELETE %s: %d %s; an unknown uid gets %d %s", uid, g.status, g.raw, unknown.status, unknown.raw)
			}
		}
		mustDo(t, f, f.as(ContentManager), "GET", "/v3/user", nil, 200)
		if after, _ := f.store.ListSessions(t.Context(), f.users[Owner].UID); len(after) != 2 {
			t.Errorf("refused deletes left %d sessions of 2", len(after))
		}
		if n := logouts(); n != before {
			t.Errorf("refused deletes wrote %d logout entries", n-before)
		}

		// Ending the first session from the second: refused at once, the
		// second still works, one logout entry.
		mustDo(t, f, map[string]string{"authtoken": first}, "GET", "/v3/user", nil, 200) // cached
		mustDo(t, f, map[string]string{"authtoken": second}, "DELETE", sessionsPath+"/"+firstUID, nil, 200)
		if g := f.do(req{method: "GET", path: "/v3/user", headers: map[string]string{"authtoken": first}}); g.status != 401 {
			t.Errorf("the ended session still works: %d", g.status)
		}
		left := mustDo(t, f, map[string]string{"authtoken": second}, "GET", sessionsPath, nil, 200).body["sessions"].([]any)
		if len(left) != 1 || jobj(t, left[0])["uid"] != secondUID {
			t.Errorf("after ending one: %v", left)
		}
		if n := logouts(); n != before+1 {
			t.Errorf("ending a session wrote %d logout entries, want 1", n-before)
		}
		wantError(t, f.do(req{method: "DELETE", path: sessionsPath + "/" + firstUID, headers: map[string]string{"authtoken": second}}), 422, 141, "uid")
	})
}
