package http_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stackgate/stackgate/internal/testdb"
)

// limitedTokens makes a delivery token and a management token with the
// given extra body fields and returns (delivery uid, delivery value,
// management uid, management value).
func limitedTokens(t *testing.T, f *fixture, dt, mt map[string]any) (string, string, string, string) {
	t.Helper()
	body := dtBody("limited", dtScope())
	for k, v := range dt {
		body["token"].(map[string]any)[k] = v
	}
	r := f.do(req{method: "POST", path: "/v3/stacks/delivery_tokens", headers: f.as(Owner), body: body})
	if r.status != 201 {
		t.Fatalf("delivery token: %d %s", r.status, r.raw)
	}
	d := r.body["token"].(map[string]any)
	r = f.do(req{method: "POST", path: "/v3/stacks/management_tokens", headers: f.as(Owner),
		body: mtBody("limited", mtScope("environment", map[string]any{"read": true, "write": true}), mt)})
	if r.status != 201 {
		t.Fatalf("management token: %d %s", r.status, r.raw)
	}
	m := r.body["token"].(map[string]any)
	return d["uid"].(string), d["token"].(string), m["uid"].(string), m["token"].(string)
}

// TestTokenLimitsReply: rate_limit and ip_allow are stored and shown as
// sent (prefixes masked, addresses as /32 or /128), changed by an update,
// cleared by null, kept when absent.
func TestTokenLimitsReply(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		duid, _, muid, _ := limitedTokens(t, f,
			map[string]any{"rate_limit": 5, "ip_allow": []string{"203.0.113.7/24", "2001:db8::1"}},
			map[string]any{"rate_limit": map[string]any{"read": 10, "write": 2}, "ip_allow": []string{"198.51.100.1"}})
		get := func(path string) map[string]any {
			r := f.do(req{method: "GET", path: path, headers: f.as(Owner)})
			if r.status != 200 {
				t.Fatalf("GET %s: %d %s", path, r.status, r.raw)
			}
			tok := r.body["token"].(map[string]any)
			return map[string]any{"rate_limit": tok["rate_limit"], "ip_allow": tok["ip_allow"]}
		}
		dpath, mpath := "/v3/stacks/delivery_tokens/"+duid, "/v3/stacks/management_tokens/"+muid
		for _, c := range []struct {
			name string
			path string
			body map[string]any // an update before the GET; nil: none
			want map[string]any
		}{
			{"delivery as created", dpath, nil, map[string]any{"rate_limit": 5.0, "ip_allow": []any{"203.0.113.0/24", "2001:db8::1/128"}}},
			{"management as created", mpath, nil, map[string]any{"rate_limit": map[string]any{"read": 10.0, "write": 2.0}, "ip_allow": []any{"198.51.100.1/32"}}},
			{"delivery: absent keeps", dpath, map[string]any{"description": "x"}, map[string]any{"rate_limit": 5.0, "ip_allow": []any{"203.0.113.0/24", "2001:db8::1/128"}}},
			{"management: only writes limited", mpath, map[string]any{"rate_limit": map[string]any{"write": 3}}, map[string]any{"rate_limit": map[string]any{"write": 3.0}, "ip_allow": []any{"198.51.100.1/32"}}},
			{"delivery: null clears", dpath, map[string]any{"rate_limit": nil, "ip_allow": nil}, map[string]any{"rate_limit": nil, "ip_allow": nil}},
			{"management: empty list is any address", mpath, map[string]any{"rate_limit": nil, "ip_allow": []string{}}, map[string]any{"rate_limit": nil, "ip_allow": nil}},
		} {
			if c.body != nil {
				if r := f.do(req{method: "PUT", path: c.path, headers: f.as(Owner), body: map[string]any{"token": c.body}}); r.status != 200 {
					t.Fatalf("%s: update %d %s", c.name, r.status, r.raw)
				}
			}
			if d := cmp.Diff(c.want, get(c.path)); d != "" {
				t.Errorf("%s (-want +got):\n%s", c.name, d)
			}
		}
	})
}

// TestTokenLimitsBadInput: every bad rate_limit or ip_allow is 422 with
// the field named, on create and update, and changes nothing.
func TestTokenLimitsBadInput(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		duid, _, muid, _ := limitedTokens(t, f, map[string]any{"rate_limit": 5}, map[string]any{"rate_limit": map[string]any{"read": 4}})
		for _, c := range []struct {
			name       string
			management bool
			field      string
			value      any
			problem    string
		}{
			{"delivery zero rate", false, "rate_limit", 0, "rate_limit"},
			{"delivery negative rate", false, "rate_limit", -1, "rate_limit"},
			{"delivery fractional rate", false, "rate_limit", 1.5, "rate_limit"},
			{"delivery rate as string", false, "rate_limit", "5", "rate_limit"},
			{"delivery rate as object", false, "rate_limit", map[string]any{"read": 1}, "rate_limit"},
			{"management rate as number", true, "rate_limit", 5, "rate_limit"},
			{"management zero read", true, "rate_limit", map[string]any{"read": 0}, "rate_limit.read"},
			{"management negative write", true, "rate_limit", map[string]any{"write": -3}, "rate_limit.write"},
			{"management unknown key", true, "rate_limit", map[string]any{"reads": 3}, "rate_limit.reads"},
			{"invalid CIDR", false, "ip_allow", []string{"10.0.0.0/33"}, "ip_allow[0]"},
			{"not an address", true, "ip_allow", []string{"127.0.0.1", "example.com"}, "ip_allow[1]"},
			{"not a string", false, "ip_allow", []any{7}, "ip_allow[0]"},
			{"not an array", true, "ip_allow", "10.0.0.0/8", "ip_allow"},
		} {
			kind, uid, scope := "delivery_tokens", duid, dtScope()
			if c.management {
				kind, uid, scope = "management_tokens", muid, mtScope("environment", map[string]any{"read": true})
			}
			before := f.do(req{method: "GET", path: "/v3/stacks/" + kind + "/" + uid, headers: f.as(Owner)})
			list := f.do(req{method: "GET", path: "/v3/stacks/" + kind, headers: f.as(Owner)})
			create := map[string]any{"token": map[string]any{"name": "bad " + c.name, "scope": scope, c.field: c.value}}
			update := map[string]any{"token": map[string]any{"description": "changed", c.field: c.value}}
			for _, r := range []reply{
				f.do(req{method: "POST", path: "/v3/stacks/" + kind, headers: f.as(Owner), body: create}),
				f.do(req{method: "PUT", path: "/v3/stacks/" + kind + "/" + uid, headers: f.as(Owner), body: update}),
			} {
				wantError(t, r, 422, 141, c.problem)
			}
			after := f.do(req{method: "GET", path: "/v3/stacks/" + kind + "/" + uid, headers: f.as(Owner)})
			if d := cmp.Diff(before.body, after.body); d != "" {
				t.Errorf("%s: the token changed:\n%s", c.name, d)
			}
			if l := f.do(req{method: "GET", path: "/v3/stacks/" + kind, headers: f.as(Owner)}); len(l.body["tokens"].([]any)) != len(list.body["tokens"].([]any)) {
				t.Errorf("%s: a token was created", c.name)
			}
		}
	})
}

// TestTokenRateLimit: at and past the edge of a token's rate, on the CMA
// (management token: reads and writes apart), /gate/auth and
// /gate/forward-auth (delivery token), with an injected clock. /gate/check
// reports and does not count.
func TestTokenRateLimit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		_, dval, _, mval := limitedTokens(t, f, map[string]any{"rate_limit": 2},
			map[string]any{"rate_limit": map[string]any{"read": 2, "write": 1}})
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		f.acc.Now = func() time.Time { return now }
		mgmt := map[string]string{"api_key": f.stack.APIKey, "authorization": mval}
		gate := gateHeaders(f.stack.APIKey, dval, "198.51.100.1")
		fwd := map[string]string{"X-Forwarded-Method": "GET", "X-Forwarded-Uri": "/v3/content_types/blog/entries?environment=production",
			"api_key": f.stack.APIKey, "access_token": dval}
		check := map[string]any{"api": "cda", "api_key": f.stack.APIKey, "credential": map[string]any{"access_token": dval},
			"method": "GET", "path": "/v3/content_types/blog/entries?environment=production"}
		type step struct {
			name      string
			r         req
			advance   time.Duration
			status    int
			limit     string
			remaining string
			retry     string
		}
		for _, s := range []step{
			{"cma read 1", req{method: "GET", path: "/v3/environments", headers: mgmt}, 0, 200, "2", "1", ""},
			{"cma read 2: the last", req{method: "GET", path: "/v3/environments", headers: mgmt}, 0, 200, "2", "0", ""},
			{"cma read 3: past the edge", req{method: "GET", path: "/v3/environments", headers: mgmt}, 0, 429, "2", "0", "1"},
			{"cma writes apart", req{method: "POST", path: "/v3/environments", headers: mgmt, body: envBody("lim")}, 0, 201, "1", "0", ""},
			{"cma write 2: past", req{method: "POST", path: "/v3/environments", headers: mgmt, body: envBody("lim2")}, 0, 429, "1", "0", "1"},
			{"cma half a second later: one read", req{method: "GET", path: "/v3/environments", headers: mgmt}, 500 * time.Millisecond, 200, "2", "0", ""},
			{"gate 1", req{method: "GET", path: "/gate/auth?api=cda", headers: gate}, 0, 200, "2", "1", ""},
			{"check reports, does not count", req{method: "POST", path: "/gate/check", headers: map[string]string{}, body: check}, 0, 200, "", "", ""},
			{"forward-auth 2: the last", req{method: "GET", path: "/gate/forward-auth?api=cda", headers: fwd}, 0, 200, "2", "0", ""},
			{"gate 3: past", req{method: "GET", path: "/gate/auth?api=cda", headers: gate}, 0, 429, "2", "0", "1"},
			{"a write to the stack (the snapshot is rebuilt)", req{method: "POST", path: "/v3/environments", headers: f.as(Owner), body: envBody("rebuild")}, 0, 201, "", "", ""},
			{"the rebuilt snapshot keeps the spent bucket", req{method: "GET", path: "/gate/auth?api=cda", headers: gate}, 0, 429, "2", "0", "1"},
			{"a second later: refilled", req{method: "GET", path: "/gate/auth?api=cda", headers: gate}, time.Second, 200, "2", "1", ""},
		} {
			now = now.Add(s.advance)
			r := f.do(s.r)
			got := []string{fmt.Sprint(r.status), r.header.Get("X-RateLimit-Limit"), r.header.Get("X-RateLimit-Remaining"), r.header.Get("Retry-After")}
			if d := cmp.Diff([]string{fmt.Sprint(s.status), s.limit, s.remaining, s.retry}, got); d != "" {
				t.Errorf("%s: status, limit, remaining, retry (-want +got):\n%s\n%s", s.name, d, r.raw)
			}
			if s.status == 429 {
				wantError(t, r, 429, 429, "")
			}
		}
		// Spent, /gate/check says so (and still takes nothing).
		for range 2 {
			f.do(req{method: "GET", path: "/gate/auth?api=cda", headers: gate})
		}
		r := f.do(req{method: "POST", path: "/gate/check", body: check})
		if r.body["allowed"] != false || r.body["status"] != 429.0 || !strings.Contains(fmt.Sprint(r.body["reason"]), "rate_limit") {
			t.Errorf("check when spent: %s", r.raw)
		}
	})
}

// TestTokenIPAllow: a token with ip_allow works only from those clients,
// the client being what --trusted-proxies defines: X-Forwarded-For is
// believed from a trusted proxy only. The fixture's requests come from
// 192.0.2.1 (httptest).
func TestTokenIPAllow(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		_, dval, _, mval := limitedTokens(t, f, map[string]any{"ip_allow": []string{"203.0.113.0/24"}},
			map[string]any{"ip_allow": []string{"203.0.113.9", "2001:db8::/32"}})
		trusted := []netip.Prefix{netip.MustParsePrefix("192.0.2.1/32")}
		cma := func(xff string) req {
			return req{method: "GET", path: "/v3/environments", headers: map[string]string{"api_key": f.stack.APIKey, "authorization": mval, "X-Forwarded-For": xff}}
		}
		gate := func(xff string) req {
			return req{method: "GET", path: "/gate/auth?api=cda", headers: gateHeaders(f.stack.APIKey, dval, xff)}
		}
		for _, c := range []struct {
			name    string
			trusted []netip.Prefix
			r       req
			status  int
		}{
			{"gate: trusted proxy forwards an allowed client", trusted, gate("203.0.113.50"), 200},
			{"gate: trusted proxy forwards another client", trusted, gate("198.51.100.1"), 403},
			{"gate: a client's own X-Forwarded-For left of the proxy's entry is not believed", trusted, gate("203.0.113.50, 198.51.100.1"), 403},
			{"gate: untrusted proxy: the peer is the client", nil, gate("203.0.113.50"), 403},
			{"cma: allowed address", trusted, cma("203.0.113.9"), 200},
			{"cma: allowed IPv6 prefix", trusted, cma("2001:db8::5"), 200},
			{"cma: the /24 of the delivery token is not the management token's", trusted, cma("203.0.113.10"), 403},
			{"cma: untrusted proxy", nil, cma("203.0.113.9"), 403},
		} {
			f.srv.TrustedProxies = c.trusted
			r := f.do(c.r)
			if r.status != c.status {
				t.Errorf("%s: %d, want %d: %s", c.name, r.status, c.status, r.raw)
				continue
			}
			if c.status == 403 {
				wantError(t, r, 403, 316, "ip_allow")
				if !strings.Contains(string(r.raw), "ip_allow") {
					t.Errorf("%s: the reason is not told: %s", c.name, r.raw)
				}
			}
		}
	})
}

// TestTokenLimitsProxyListener: the CDA proxy listener holds a delivery
// token to its rate (429, nothing forwarded past it) and its allow list.
func TestTokenLimitsProxyListener(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		w := newProxyWorld(t, open, 0)
		_, dval, _, _ := limitedTokens(t, w.fixture, map[string]any{"rate_limit": 1}, nil)
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		w.acc.Now = func() time.Time { return now }
		path := w.cdaURL + "/v3/content_types/blog/entries?environment=production"
		hs := h("api_key", w.key, "access_token", dval)
		for i, want := range []int{200, 429} {
			status, hdr, body := send(t, "GET", path, hs, nil)
			if status != want || hdr.Get("X-RateLimit-Limit") != "1" {
				t.Errorf("request %d: %d %v %s", i, status, hdr, body)
			}
		}
		if got := w.cdaUp.take(); len(got) != 1 {
			t.Errorf("upstream received %d requests, want 1", len(got))
		}
		// An allow list the listener's client (127.0.0.1, no trusted proxy) is outside of.
		r := w.do(req{method: "POST", path: "/v3/stacks/delivery_tokens", headers: w.as(Owner), body: map[string]any{"token": map[string]any{
			"name": "office", "scope": dtScope(), "ip_allow": []string{"10.0.0.0/8"}}}})
		if r.status != 201 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		office := r.body["token"].(map[string]any)["token"].(string)
		if status, _, body := send(t, "GET", path, h("api_key", w.key, "access_token", office), nil); status != 403 || !strings.Contains(string(body), "ip_allow") {
			t.Errorf("outside ip_allow: %d %s", status, body)
		}
		if got := w.cdaUp.take(); len(got) != 0 {
			t.Errorf("upstream received %d requests, want 0", len(got))
		}
		// A management token through --cma-upstream: its reads are limited there too.
		r = w.do(req{method: "POST", path: "/v3/stacks/management_tokens", headers: w.as(Owner),
			body: mtBody("proxied", mtScope("$all", map[string]any{"read": true}), map[string]any{"rate_limit": map[string]any{"read": 1}})})
		if r.status != 201 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		mval := r.body["token"].(map[string]any)["token"].(string)
		for i, want := range []int{200, 429} {
			status, hdr, body := send(t, "GET", w.mainURL+"/v3/content_types/blog/entries", h("api_key", w.key, "authorization", mval), nil)
			if status != want || hdr.Get("X-RateLimit-Limit") != "1" {
				t.Errorf("cma upstream request %d: %d %v %s", i, status, hdr, body)
			}
		}
		if got := w.cmaUp.take(); len(got) != 1 {
			t.Errorf("cma upstream received %d requests, want 1", len(got))
		}
	})
}
