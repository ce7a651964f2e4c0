package http_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stackgate/stackgate/internal/testdb"
)

const auditLogsPath = "/v3/audit-logs"

// newestLog returns the newest entry of the fixture stack's log, read by the owner.
func newestLog(t *testing.T, f *fixture) map[string]any {
	t.Helper()
	r := mustDo(t, f, f.as(Owner), "GET", auditLogsPath+"?limit=1", nil, 200)
	logs, _ := r.body["logs"].([]any)
	if len(logs) != 1 {
		t.Fatalf("logs: %s", r.raw)
	}
	return jobj(t, logs[0])
}

// TestAuditLogEntries: each write through the API is an entry of
// Contentstack's shape, with its request and reply and none of their
// secrets; the SDK's fetch reads {"log": …}.
func TestAuditLogEntries(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		created := mustDo(t, f, f.as(Owner), "POST", deliveryTokensPath+"?create_with_preview_token=true",
			deliveryTokenBody("site", standardDeliveryScope()...), 201)
		tok := jobj(t, created.body["token"])
		e := newestLog(t, f)
		keys := make([]string, 0, len(e))
		for k := range e {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if d := cmp.Diff([]string{"created_at", "created_by", "event_type", "metadata", "module", "remote_addr", "request",
			"request_id", "response", "stack", "uid"}, keys); d != "" {
			t.Errorf("entry keys (-want +got):\n%s", d)
		}
		want := map[string]any{"module": "delivery_token", "event_type": "create", "created_by": f.users[Owner].UID,
			"stack": f.stack.APIKey, "metadata": map[string]any{"title": "site", "uid": tok["uid"]},
			"request": deliveryTokenBody("site", standardDeliveryScope()...)}
		got := map[string]any{}
		for k := range want {
			got[k] = e[k]
		}
		if d := cmp.Diff(jsonRound(t, want), got); d != "" {
			t.Errorf("entry (-want +got):\n%s", d)
		}
		resp := jobj(t, e["response"])
		if resp["notice"] != "Delivery Token created successfully." {
			t.Errorf("response: %v", resp)
		}
		rt := jobj(t, resp["token"])
		if _, ok := rt["token"]; ok || rt["uid"] != tok["uid"] {
			t.Errorf("response token: %v (want its uid, never its value)", rt)
		}
		if _, ok := rt["preview_token"]; ok {
			t.Errorf("response keeps the preview token: %v", rt)
		}
		one := mustDo(t, f, f.as(Developer), "GET", auditLogsPath+"/"+e["uid"].(string)+"?include_branch=true", nil, 200)
		log := jobj(t, one.body["log"])
		if log["uid"] != e["uid"] || log["_branch"] != "main" {
			t.Errorf("one entry: %s", one.raw)
		}
		wantError(t, f.do(req{"GET", auditLogsPath + "/bltmissing", f.as(Owner), nil}), 422, 141, "")
	})
}

// TestAuditLogHoldsNoSecret: token values, passwords and authtokens sent
// or returned by writes appear nowhere in the log.
func TestAuditLogHoldsNoSecret(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		dt := jobj(t, mustDo(t, f, f.as(Owner), "POST", deliveryTokensPath+"?create_with_preview_token=true",
			deliveryTokenBody("site", standardDeliveryScope()...), 201).body["token"])
		mt := mgmtAll(t, f, "ci")
		// An SDK's update sends back what fetch gave, values included.
		upd := jobj(t, mustDo(t, f, f.as(Owner), "GET", deliveryTokensPath+"/"+dt["uid"].(string), nil, 200).body["token"])
		upd["name"] = "site 2"
		mustDo(t, f, f.as(Owner), "PUT", deliveryTokensPath+"/"+dt["uid"].(string), map[string]any{"token": upd}, 200)
		login := mustDo(t, f, nil, "POST", "/v3/user-session", map[string]any{"user": map[string]any{
			"email": Developer.email(), "password": Developer.password()}}, 200)
		authtoken := jobj(t, login.body["user"])["authtoken"].(string)
		mustDo(t, f, map[string]string{"authtoken": authtoken}, "DELETE", "/v3/user-session", nil, 200)

		all := mustDo(t, f, f.withToken(mt), "GET", auditLogsPath, nil, 200)
		for name, s := range map[string]string{"delivery token": dt["token"].(string), "preview token": dt["preview_token"].(string),
			"management token": mt, "password": Developer.password(), "authtoken": authtoken} {
			if bytes.Contains(all.raw, []byte(s)) {
				t.Errorf("the log holds the %s", name)
			}
		}
		var events []string
		for _, l := range all.body["logs"].([]any) {
			e := jobj(t, l)
			events = append(events, e["module"].(string)+" "+e["event_type"].(string))
		}
		if d := cmp.Diff([]string{"user_session logout", "user_session login", "delivery_token update", "management_token create",
			"delivery_token create"}, events[:5]); d != "" {
			t.Errorf("newest events (-want +got):\n%s", d)
		}
		q := url.Values{"query": {`{"module":"user_session"}`}, "include_count": {"true"}}
		sessions := mustDo(t, f, f.as(Admin), "GET", auditLogsPath+"?"+q.Encode(), nil, 200)
		// The fixture's logins, one per user, and the developer's login and logout.
		if n := sessions.body["count"].(float64); n < 3 {
			t.Errorf("session events: %v", n)
		}
	})
}

// TestAuditLogHoldsNoFoldedSecret: the body decoder matches keys as
// encoding/json does, under Unicode case folding, so a login whose password
// key is spelled "paſſword" (U+017F, which folds to s) or "PASSWORD" logs in;
// the log must not keep that password either.
func TestAuditLogHoldsNoFoldedSecret(t *testing.T) {
	f := newFixture(t, testdb.SQLite)
	for _, key := range []string{"pa\u017f\u017fword", "PASSWORD", "Pa\u017fSword"} {
		mustDo(t, f, nil, "POST", "/v3/user-session", map[string]any{"user": map[string]any{
			"email": Developer.email(), key: Developer.password()}}, 200)
	}
	all := mustDo(t, f, f.as(Owner), "GET", auditLogsPath+"?limit=100", nil, 200)
	if bytes.Contains(all.raw, []byte(Developer.password())) {
		t.Errorf("the log holds the password: %s", all.raw)
	}
}

// TestAuditLogReaders: Owner, Admin and Developer read the log; Content
// Manager does not, nor a management token without audit_log read, nor
// another stack's owner.
func TestAuditLogReaders(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		audit := jobj(t, mustDo(t, f, f.as(Owner), "POST", managementTokensPath, mgmtTokenBody("audit",
			[]any{mgmtModule("audit_log", readACL()), scopeBranch("main")}, nil), 201).body["token"])["token"].(string)
		roles := jobj(t, mustDo(t, f, f.as(Owner), "POST", managementTokensPath, mgmtTokenBody("roles",
			[]any{mgmtModule("role", readACL()), scopeBranch("main")}, nil), 201).body["token"])["token"].(string)
		for _, tc := range []struct {
			name    string
			headers map[string]string
			status  int
		}{
			{"owner", f.as(Owner), 200},
			{"admin", f.as(Admin), 200},
			{"developer", f.as(Developer), 200},
			{"content manager", f.as(ContentManager), 403},
			{"outsider", f.as(Outsider), 403},
			{"token with audit_log read", f.withToken(audit), 200},
			{"token without it", f.withToken(roles), 403},
		} {
			t.Run(tc.name, func(t *testing.T) {
				for _, p := range []string{auditLogsPath, auditLogsPath + "/bltany"} {
					got := f.do(req{"GET", p, tc.headers, nil})
					want := tc.status
					if want == 200 && p != auditLogsPath {
						want = 422 // allowed, and no such entry
					}
					if got.status != want {
						t.Errorf("GET %s: %d, want %d: %s", p, got.status, want, got.raw)
					}
				}
			})
		}
	})
}

func jsonRound(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAuditLogPages: a page without a query is read from the store as a
// page; it must be byte for byte what the whole-log path (a query matching
// every entry) answers, for every skip and limit, with and without count.
func TestAuditLogPages(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		for i := range 4 {
			mustDo(t, f, f.as(Owner), "POST", "/v3/environments", envBody(fmt.Sprint("env", i)), 201)
		}
		every := "&query=" + url.QueryEscape(`{"uid":{"$exists":true}}`)
		total := 0
		for _, params := range []string{"limit=1", "limit=3&include_count=true", "skip=2&limit=2", "skip=1&limit=100&include_count=true",
			"skip=1000&limit=5&include_count=true", "limit=2&include_branch=true"} {
			paged := mustDo(t, f, f.as(Owner), "GET", "/v3/audit-logs?"+params, nil, 200)
			whole := mustDo(t, f, f.as(Owner), "GET", "/v3/audit-logs?"+params+every, nil, 200)
			if d := cmp.Diff(string(whole.raw), string(paged.raw)); d != "" {
				t.Errorf("%s: paged reply differs from the whole log's (-whole +paged):\n%s", params, d)
			}
			if n, ok := paged.body["count"].(float64); ok {
				total = int(n)
			}
		}
		if total < 5 {
			t.Errorf("count %d, want the whole log's length (at least 5)", total)
		}
	})
}
