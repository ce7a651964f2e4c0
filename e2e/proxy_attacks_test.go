package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// outcome is what a proxied request must come to: forwarded to the
// upstream (allow), or refused with status (0: any 4xx) and nothing
// forwarded.
type outcome struct {
	allow  bool
	status int
}

var allowed = outcome{allow: true}

func refused(status int) outcome { return outcome{status: status} }

// proxyCase is one client request to one site of a proxy.
type proxyCase struct {
	name    string
	site    string // cda, preview or cma
	method  string
	target  string // the request-target, as written on the request line
	headers [][2]string
	body    string
	want    outcome
	by      map[string]outcome // a proxy's own outcome, where it differs
	// When allowed: the principal kind the gate names, the environment it
	// passes on ("" = none), and headers the upstream must see unchanged.
	principal, env string
	keep           [][2]string
}

func pairs(kv ...string) [][2]string { return h2(nil, kv...) }

func h2(base [][2]string, kv ...string) [][2]string {
	out := append([][2]string{}, base...)
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, [2]string{kv[i], kv[i+1]})
	}
	return out
}

// proxyCorpus is the attack corpus every proxy configuration runs.
func proxyCorpus(w *world) []proxyCase {
	key := w.key
	dt := pairs("api_key", key, "access_token", w.delivery)
	pt := pairs("api_key", key, "preview_token", w.preview)
	ro := pairs("api_key", key, "authorization", w.mgmtRead)
	cm := pairs("api_key", key, "authtoken", w.contentManager)
	pub := pairs("api_key", key, "authtoken", w.publisher)
	own := pairs("api_key", key, "authtoken", w.owner)
	entries := "/v3/content_types/blog/entries"
	prod := entries + "?environment=production"
	ct := "/v3/content_types/blog"
	publish := entries + "/bltentry/publish"
	spoofed := pairs("X-Stackgate-Stack", "bltother", "X-Stackgate-Principal", "user:owner", "X-Stackgate-Branch", "dev",
		"X-Stackgate-Environment", "staging", "X-Stackgate-Admin", "true", "X_Stackgate_Principal", "user:owner",
		"x-stackgate_environment", "staging", "X_stackgate-Branch", "dev")
	const d, p, m, u = "delivery_token", "preview_token", "management_token", "user"
	return []proxyCase{
		// What each site lets through.
		{name: "delivery token reads production", site: "cda", method: "GET", target: prod, headers: dt, want: allowed, principal: d, env: "production"},
		{name: "delivery token in the query", site: "cda", method: "GET", target: prod + "&api_key=" + key + "&access_token=" + w.delivery, want: allowed, principal: d, env: "production"},
		{name: "HEAD is a read", site: "cda", method: "HEAD", target: prod, headers: dt, want: allowed, principal: d, env: "production"},
		{name: "absolute form", site: "cda", method: "GET", target: "http://cdn.example.com" + prod, headers: dt, want: allowed, principal: d, env: "production"},
		{name: "preview token on the preview site", site: "preview", method: "GET", target: prod, headers: pt, want: allowed, principal: p, env: "production"},
		{name: "preview path without /v3", site: "preview", method: "GET", target: "/content_types/blog/entries?environment=production", headers: pt, want: allowed, principal: p, env: "production"},
		{name: "live preview: both tokens on the preview site", site: "preview", method: "GET", target: prod, headers: h2(dt, "preview_token", w.preview, "live_preview", "hash1"),
			want: allowed, principal: p, env: "production", keep: pairs("Live_preview", "hash1")},
		{name: "live preview: both tokens on the cda site", site: "cda", method: "GET", target: prod, headers: h2(pt, "access_token", w.delivery), want: allowed, principal: d, env: "production"},
		{name: "read-only management token reads", site: "cma", method: "GET", target: ct, headers: ro, want: allowed, principal: m},
		{name: "content manager reads entries", site: "cma", method: "GET", target: entries, headers: cm, want: allowed, principal: u},
		{name: "owner publishes: the body goes on", site: "cma", method: "POST", target: publish, headers: own,
			body: `{"entry":{"environments":["production"],"locales":["en-us"]},"locale":"en-us"}`, want: allowed, principal: u},
		{name: "content manager bulk-publishes (no environment rule)", site: "cma", method: "POST", target: "/v3/bulk/publish", headers: cm,
			body: `{"entries":[{"uid":"e1","content_type":"blog","locale":"en-us"}],"environments":["production"]}`, want: allowed, principal: u},

		// One API per site.
		{name: "delivery token on the preview site", site: "preview", method: "GET", target: prod, headers: dt, want: refused(401)},
		{name: "preview token on the cda site", site: "cda", method: "GET", target: prod, headers: pt, want: refused(401)},
		{name: "delivery token on the cma site", site: "cma", method: "GET", target: ct, headers: dt, want: refused(401)},
		{name: "management token on the cda site", site: "cda", method: "GET", target: prod, headers: ro, want: refused(401)},
		{name: "client's api=cma cannot change the site's API", site: "cda", method: "GET", target: ct + "?api=cma", headers: ro, want: refused(401)},
		{name: "client's api=cma on a denied read keeps the gate's status", site: "cda", method: "GET", target: entries + "?environment=staging&api=cma", headers: dt, want: refused(403)},

		// Refusals the client sees with the gate's status.
		{name: "delivery token reads staging", site: "cda", method: "GET", target: entries + "?environment=staging", headers: dt, want: refused(403)},
		{name: "no token", site: "cda", method: "GET", target: prod, headers: pairs("api_key", key), want: refused(401)},
		{name: "unknown stack", site: "cda", method: "GET", target: prod, headers: pairs("api_key", "bltnope", "access_token", w.delivery), want: refused(412)},
		{name: "delivery token writes", site: "cda", method: "POST", target: prod, headers: dt, body: `{"entry":{}}`, want: refused(403)},
		{name: "read-only management token deletes", site: "cma", method: "DELETE", target: ct, headers: ro, want: refused(403)},

		// Spoofed proxy headers: each endpoint reads only its proxy's.
		{name: "X-Original-* cannot turn a delete into a read", site: "cma", method: "DELETE", target: ct,
			headers: h2(ro, "X-Original-Method", "GET", "X-Original-URI", ct), want: refused(403)},
		{name: "X-Forwarded-* cannot turn a delete into a read", site: "cma", method: "DELETE", target: ct,
			headers: h2(ro, "X-Forwarded-Method", "GET", "X-Forwarded-Uri", ct), want: refused(403)},
		{name: "content manager's delete, both spoofed", site: "cma", method: "DELETE", target: ct,
			headers: h2(cm, "X-Original-Method", "GET", "X-Original-URI", ct, "X-Forwarded-Method", "GET", "X-Forwarded-Uri", ct), want: refused(403)},
		{name: "spoofed URIs cannot turn staging into production", site: "cda", method: "GET", target: entries + "?environment=staging",
			headers: h2(dt, "X-Original-URI", prod, "X-Forwarded-Uri", prod), want: refused(403)},
		{name: "publish with spoofed method", site: "cma", method: "POST", target: publish, headers: h2(pub, "X-Original-Method", "GET", "X-Forwarded-Method", "GET"),
			body: `{"entry":{"environments":["production"]}}`, want: refused(403)},

		// Client copies of the gate's headers never reach the upstream.
		// Caddy deletes them all; nginx refuses them; stackgate's listener
		// strips the four as spelt and must refuse other spellings, which it
		// cannot tell from the gate's once an upstream folds "_" into "-".
		// Traefik cannot delete headers before forwardAuth (its headers
		// middleware has no wildcard), so the gate sees the other spellings
		// and refuses them, as behind the listener; the exact spellings are
		// replaced by the gate's (authResponseHeaders).
		{name: "client copies of the gate's headers on an allowed read", site: "cma", method: "GET", target: ct, headers: join(ro, spoofed),
			want: allowed, principal: m, by: map[string]outcome{"nginx": refused(400), "stackgate": refused(400), "traefik": refused(400)}},
		{name: "client copies of the gate's headers on an allowed delivery read", site: "cda", method: "GET", target: prod, headers: join(dt, spoofed),
			want: allowed, principal: d, env: "production", by: map[string]outcome{"nginx": refused(400), "stackgate": refused(400), "traefik": refused(400)}},
		{name: "client copies of the gate's headers, as the gate spells them", site: "cda", method: "GET", target: prod,
			headers: h2(dt, "X-Stackgate-Principal", "user:owner", "X-Stackgate-Environment", "staging", "X-Stackgate-Branch", "dev"),
			want:    allowed, principal: d, env: "production", by: map[string]outcome{"nginx": refused(400)}},
		{name: "client copies of the gate's headers on a refused request", site: "cma", method: "DELETE", target: ct, headers: join(ro, spoofed),
			want: refused(403), by: map[string]outcome{"nginx": refused(400), "stackgate": refused(400), "traefik": refused(400)}},
		// The gate sends no environment on the CMA: a client's copy, as the
		// gate spells it, must not survive (Traefik's authResponseHeaders
		// deletes a listed header the gate did not send; nginx refuses it).
		{name: "client's environment header where the gate sends none", site: "cma", method: "GET", target: ct, headers: h2(ro, "X-Stackgate-Environment", "production"),
			want: allowed, principal: m, by: map[string]outcome{"nginx": refused(400)}},
		{name: "client's environment header spelt with underscores", site: "cma", method: "GET", target: ct, headers: h2(ro, "X_Stackgate_Environment", "production"),
			want: allowed, principal: m, by: map[string]outcome{"nginx": refused(400), "stackgate": refused(400), "traefik": refused(400)}},
		// Spellings the Caddyfile's patterns do not cover: nginx drops a
		// header name with "." (not a valid name to it), the gate refuses
		// them all.
		{name: "client's principal header spelt with dots", site: "cma", method: "GET", target: ct, headers: h2(ro, "X.Stackgate.Principal", "user:owner"),
			want: refused(400), by: map[string]outcome{"nginx": allowed}, principal: m},
		{name: "client's principal header with an empty value, spelt with underscores", site: "cma", method: "GET", target: ct, headers: h2(ro, "X_Stackgate_Principal", ""),
			want: refused(400), by: map[string]outcome{"caddy": allowed}, principal: m},
		// A name the gate never sets: Caddy deletes it, and so does Traefik
		// (authResponseHeadersRegex); nginx cannot (no wildcard) and passes
		// it on; upstreams trust only the four.
		{name: "client X-Stackgate-Admin", site: "cma", method: "GET", target: ct, headers: h2(ro, "X-Stackgate-Admin", "true"),
			want: allowed, principal: m},

		// The query, decoded as every upstream decodes it.
		{name: "encoded key", site: "cda", method: "GET", target: entries + "?environmen%74=staging", headers: dt, want: refused(403)},
		{name: "repeated environment", site: "cda", method: "GET", target: prod + "&environment=staging", headers: dt, want: refused(400)},
		{name: "repeated environment, encoded", site: "cda", method: "GET", target: prod + "&environmen%74=staging", headers: dt, want: refused(400)},
		{name: "variant case", site: "cda", method: "GET", target: prod + "&Environment=staging", headers: dt, want: refused(400)},
		{name: "bracket key", site: "cda", method: "GET", target: prod + "&environment[]=staging", headers: dt, want: refused(400)},
		{name: "environment header beside the query", site: "cda", method: "GET", target: prod, headers: h2(dt, "environment", "staging"), want: refused(400)},
		{name: "access_token in the query beside the header", site: "cda", method: "GET", target: prod + "&access_token=cs000000000000000000000000", headers: dt, want: refused(400)},
		{name: "repeated locale", site: "cma", method: "GET", target: entries + "?locale=en-us&locale=fr-fr", headers: cm, want: refused(400)},

		// Paths that are not canonical.
		{name: "double slash", site: "cda", method: "GET", target: "/v3//content_types/blog/entries?environment=production", headers: dt, want: refused(400)},
		{name: "dot segment", site: "cda", method: "GET", target: "/v3/./content_types/blog/entries?environment=production", headers: dt, want: refused(400)},
		{name: "dot-dot segment", site: "cma", method: "DELETE", target: "/v3/content_types/blog/entries/../../blog", headers: ro, want: refused(400)},
		{name: "encoded dot-dot", site: "cda", method: "GET", target: "/v3/content_types/%2e%2e/entries?environment=production", headers: dt, want: refused(400)},
		{name: "encoded slash", site: "cda", method: "GET", target: "/v3/content_types/a%2Fb/entries?environment=production", headers: dt, want: refused(400)},
		{name: "double-encoded slash", site: "cda", method: "GET", target: "/v3/content_types/a%252fb/entries?environment=production", headers: dt, want: refused(400)},
		{name: "semicolon parameter", site: "cda", method: "GET", target: "/v3/content_types/blog;x=y/entries?environment=production", headers: dt, want: refused(400)},
		{name: ":// inside the path", site: "cma", method: "DELETE", target: "/v3/x://h/content_types/blog", headers: ro, want: refused(400)},
		{name: "absolute form, path with //", site: "cma", method: "DELETE", target: "http://api.example.com//v3/content_types/blog", headers: ro, want: refused(400)},

		// Method overrides.
		{name: "X-HTTP-Method-Override", site: "cma", method: "GET", target: ct, headers: h2(ro, "X-HTTP-Method-Override", "DELETE"), want: refused(400)},
		{name: "X-HTTP-Method", site: "cma", method: "GET", target: ct, headers: h2(ro, "X-HTTP-Method", "DELETE"), want: refused(400)},
		{name: "X-Method-Override", site: "cma", method: "GET", target: ct, headers: h2(ro, "X-Method-Override", "DELETE"), want: refused(400)},
		{name: "_method in the query", site: "cma", method: "GET", target: ct + "?_method=DELETE", headers: ro, want: refused(400)},
		{name: "override equal to the method", site: "cma", method: "GET", target: ct, headers: h2(ro, "X-HTTP-Method-Override", "GET"), want: allowed, principal: m},

		// A proxy drops what Connection names, after the gate's headers are
		// set: nginx ignores Connection, the Caddyfile deletes it, Traefik
		// drops the headers it names and it before asking the gate, the
		// listener must refuse it.
		{name: "Connection names the gate's headers", site: "cda", method: "GET", target: prod,
			headers: h2(dt, "Connection", "X-Stackgate-Stack, X-Stackgate-Principal, X-Stackgate-Branch, X-Stackgate-Environment"),
			want:    allowed, principal: d, env: "production", by: map[string]outcome{"stackgate": refused(400)}},
		{name: "X-Original-URL, which some frameworks route on", site: "cma", method: "GET", target: ct, headers: h2(ro, "X-Original-URL", "/v3/content_types/other"), want: refused(400)},
		{name: "lower-case method", site: "cma", method: "delete", target: ct, headers: ro, want: refused(0)},

		// Duplicate credential headers.
		{name: "two access_token headers", site: "cda", method: "GET", target: prod, headers: h2(dt, "access_token", "cs000000000000000000000000"), want: refused(400)},
		{name: "access_token twice, same value", site: "cda", method: "GET", target: prod, headers: h2(dt, "access_token", w.delivery), want: refused(400)},
		{name: "api-key beside api_key", site: "cda", method: "GET", target: prod, headers: h2(dt, "api-key", "bltother"), want: refused(400)},
		{name: "two authorization headers", site: "cma", method: "GET", target: ct, headers: h2(ro, "Authorization", "cs000000000000000000000000"), want: refused(400)},
		{name: "two authtoken headers", site: "cma", method: "GET", target: ct, headers: h2(cm, "authtoken", w.owner), want: refused(400)},
		// Neither nginx, Caddy nor Traefik passes the client's Connection to
		// the gate (nginx replaces it, Caddy drops what it names, the README's
		// config drops it, Traefik drops it and what it names), so the gate
		// and the upstream see the same headers; stackgate's listener sees it
		// and refuses.
		{name: "Connection names the branch header", site: "cda", method: "GET", target: prod, headers: h2(dt, "branch", "main", "Connection", "branch"),
			want: allowed, principal: d, env: "production", by: map[string]outcome{"stackgate": refused(400)}},

		// Publish bodies a forward-auth gate does not see.
		{name: "staging publisher publishes to production", site: "cma", method: "POST", target: publish, headers: pub,
			body: `{"entry":{"environments":["production"],"locales":["en-us"]}}`, want: refused(403)},
		{name: "staging publisher publishes to staging (forward auth does not see the body)", site: "cma", method: "POST", target: publish, headers: pub,
			body: `{"entry":{"environments":["staging"],"locales":["en-us"]}}`, want: refused(403), by: map[string]outcome{"stackgate": allowed}, principal: u},
		{name: "staging publisher names staging in the query", site: "cma", method: "POST", target: publish + "?environment=staging", headers: pub,
			body: `{"entry":{"environments":["production"]}}`, want: refused(403)},
		{name: "staging publisher bulk-publishes", site: "cma", method: "POST", target: "/v3/bulk/publish", headers: pub,
			body: `{"entries":[{"uid":"e1","content_type":"blog"}],"environments":["production"]}`, want: refused(403)},
	}
}

// passesOtherNames: proxies that pass on X-Stackgate-* names the gate never
// sets (nginx has no wildcard to delete them; upstreams trust only the four).
var passesOtherNames = map[string]bool{"nginx": true}

// gateHeaders splits a request's X-Stackgate-* headers (in any spelling an
// upstream might fold: case, "_" for "-") into those naming one of the
// four the gate sets and the others.
func gateHeaders(h http.Header) (gate, others map[string][]string) {
	gate, others = map[string][]string{}, map[string][]string{}
	for name, v := range stackgateHeaders(h) {
		switch foldHeader(name) {
		case "x-stackgate-stack", "x-stackgate-principal", "x-stackgate-branch", "x-stackgate-environment":
			gate[name] = v
		default:
			others[name] = v
		}
	}
	return gate, others
}

// runProxyCorpus starts a proxy with start in front of a fresh gate and
// echo upstreams, and runs the corpus through it, asserting on what each
// upstream received.
func runProxyCorpus(t *testing.T, proxy string, p proxyUnderTest) {
	ups := map[string]*echo{"cda": newEcho(t), "preview": newEcho(t), "cma": newEcho(t)}
	w, addrs := p.start(t, func(args ...string) *world { return newWorld(t, args...) }, ups)
	for _, c := range proxyCorpus(w) {
		t.Run(c.name, func(t *testing.T) {
			want := c.want
			if o, ok := c.by[proxy]; ok {
				want = o
			}
			got := rawDo(t, addrs[c.site], c.method, c.target, c.headers, c.body)
			var seen []received
			for _, api := range []string{"cda", "preview", "cma"} {
				r := ups[api].take()
				if api != c.site && len(r) > 0 {
					t.Fatalf("the %s upstream received a request sent to the %s site: %+v", api, c.site, r)
				}
				if api == c.site {
					seen = r
				}
			}
			t.Logf("%s %s: client %d, upstream received %d", proxy, c.name, got.status, len(seen))
			if !want.allow {
				if len(seen) != 0 {
					t.Fatalf("refused request reached the upstream (client saw %d): %s %s %v", got.status, seen[0].Method, seen[0].URI, seen[0].Header)
				}
				if want.status != 0 && got.status != want.status || got.status < 400 || got.status > 499 {
					t.Fatalf("status %d, want %d: %s", got.status, want.status, got.body)
				}
				if got.header.Get("Content-Type") == "application/json" && want.status != 0 {
					if code := errorCode(got.body); code == 0 {
						t.Fatalf("refusal without the gate's error_code: %s", got.body)
					}
				}
				return
			}
			if got.status != http.StatusOK || len(seen) != 1 {
				t.Fatalf("client saw %d %s; the upstream received %d requests", got.status, got.body, len(seen))
			}
			r := seen[0]
			if strings.HasPrefix(c.target, "/") && r.URI != c.target {
				t.Errorf("upstream request-target %q, want the client's %q", r.URI, c.target)
			}
			if r.Method != c.method {
				t.Errorf("upstream method %s, want %s", r.Method, c.method)
			}
			if !bytes.Equal(r.Body, []byte(c.body)) {
				t.Errorf("upstream body %q, want %q", r.Body, c.body)
			}
			wantH := map[string][]string{"X-Stackgate-Stack": {w.key}, "X-Stackgate-Branch": {"main"},
				"X-Stackgate-Principal": r.Header.Values("X-Stackgate-Principal")}
			if c.env != "" {
				wantH["X-Stackgate-Environment"] = []string{c.env}
			}
			gotH, others := gateHeaders(r.Header)
			if !reflect.DeepEqual(gotH, wantH) {
				t.Errorf("upstream's copies of the gate's headers %v, want exactly %v", gotH, wantH)
			}
			if len(others) > 0 && !passesOtherNames[proxy] {
				t.Errorf("upstream received client X-Stackgate-* headers: %v", others)
			}
			if pr := r.Header.Values("X-Stackgate-Principal"); len(pr) != 1 || !strings.HasPrefix(pr[0], c.principal+":") {
				t.Errorf("principal %v, want a %s", pr, c.principal)
			}
			for _, k := range c.keep {
				if v := r.Header.Values(k[0]); len(v) != 1 || v[0] != k[1] {
					t.Errorf("upstream %s = %v, want %q", k[0], v, k[1])
				}
			}
			// The invariant: the gate allows the request as the upstream
			// received it, with the same trusted headers.
			var hs [][2]string
			for name, vs := range r.Header {
				switch n := strings.ToLower(name); {
				case strings.HasPrefix(foldHeader(n), "x-stackgate-"), n == "connection", n == "content-length",
					n == "transfer-encoding", n == "x-original-method", n == "x-original-uri":
					continue
				}
				for _, v := range vs {
					hs = append(hs, [2]string{name, v})
				}
			}
			if len(r.Body) > 0 && json.Valid(r.Body) {
				// A body the gate may decide on: ask /gate/check with it, as
				// the proxy listener decides.
				hm := map[string][]string{}
				for _, kv := range hs {
					hm[kv[0]] = append(hm[kv[0]], kv[1])
				}
				status, chk, _ := call(t, "POST", w.gate.URL+"/gate/check", nil, map[string]any{"api": c.site, "method": r.Method,
					"path": r.URI, "headers": hm, "body": json.RawMessage(r.Body)})
				pr, _ := chk["principal"].(map[string]any)
				if status != http.StatusOK || chk["allowed"] != true || pr == nil || pr["kind"].(string)+":"+pr["uid"].(string) != wantH["X-Stackgate-Principal"][0] {
					t.Fatalf("the gate refuses what the upstream received (%s %s %s): %v", r.Method, r.URI, r.Body, chk)
				}
				return
			}
			d := w.direct(t, c.site, r.Method, r.URI, hs)
			if d.status != http.StatusOK {
				t.Fatalf("the gate refuses what the upstream received (%s %s): %d %s", r.Method, r.URI, d.status, d.body)
			}
			for name, v := range wantH {
				if dv := d.header.Values(name); !reflect.DeepEqual(dv, v) {
					t.Errorf("%s: upstream got %v, the gate says %v", name, v, dv)
				}
			}
		})
	}
	t.Run("revoked delivery token is refused at once", func(t *testing.T) {
		owner := map[string]string{"api_key": w.key, "authtoken": w.owner}
		status, body, _ := call(t, "GET", w.gate.URL+"/v3/stacks/delivery_tokens", owner, nil)
		if status != 200 {
			t.Fatalf("list: %d %v", status, body)
		}
		uid := body["tokens"].([]any)[0].(map[string]any)["uid"].(string)
		if status, _, _ := call(t, "DELETE", w.gate.URL+"/v3/stacks/delivery_tokens/"+uid, owner, nil); status != 200 {
			t.Fatalf("delete: %d", status)
		}
		for _, c := range []struct {
			site string
			h    [][2]string
		}{{"cda", pairs("api_key", w.key, "access_token", w.delivery)}, {"preview", pairs("api_key", w.key, "preview_token", w.preview)}} {
			got := rawDo(t, addrs[c.site], "GET", "/v3/content_types/blog/entries?environment=production", c.h, "")
			if got.status != 401 || len(ups[c.site].take()) != 0 {
				t.Fatalf("%s after revoke: %d %s", c.site, got.status, got.body)
			}
		}
	})
}

func join(a, b [][2]string) [][2]string { return append(append([][2]string{}, a...), b...) }
