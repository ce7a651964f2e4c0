package http_test

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stackgate/stackgate/internal/testdb"
)

// corpusCase is a generated request: the api, and what a client sent.
type corpusCase struct {
	api, method, target string
	headers             [][2]string
}

// genCorpus generates n requests mixing valid parts with every trick the
// parser must refuse, deterministically.
func genCorpus(w *gateWorld, n int) []corpusCase {
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	paths := []string{"/v3/content_types/blog/entries", "/v3/content_types/blog/entries/bltentry", "/v3/content_types",
		"/v3/content_types/blog", "/v3/assets", "/v3/assets/bltasset", "/v3/taxonomies/t/terms", "/v3/bulk/publish",
		"/v3/content_types/blog/entries/bltentry/publish", "/content_types/blog/entries", "/v3/secret", "/v3/locales"}
	mutate := []func(string) string{
		func(p string) string { return p },
		func(p string) string { return p },
		func(p string) string { return p },
		func(p string) string { return strings.Replace(p, "/", "//", 2) },
		func(p string) string { return strings.Replace(p, "/blog", "/./blog", 1) },
		func(p string) string { return strings.Replace(p, "/blog", "/x/../blog", 1) },
		func(p string) string { return strings.Replace(p, "blog", "%2e%2e", 1) },
		func(p string) string { return strings.Replace(p, "blog", "a%2fb", 1) },
		func(p string) string { return strings.Replace(p, "blog", "a%252fb", 1) },
		func(p string) string { return strings.Replace(p, "blog", "bl%6fg", 1) },
		func(p string) string { return strings.Replace(p, "blog", "blog;x=1", 1) },
		func(p string) string { return strings.Replace(p, "blog", "a%5cb", 1) },
		func(p string) string { return strings.Replace(p, "/v3", "/v3/x://h", 1) },
		func(p string) string { return p + "/" },
		func(p string) string { return "http://cdn.example.com" + p },
		func(p string) string { return strings.Replace(p, "blog", "blog%00", 1) },
		func(p string) string { return strings.Replace(p, "blog", "caf%C3%A9", 1) },
	}
	queryParts := []string{"environment=production", "environment=production", "environment=staging", "environmen%74=staging",
		"Environment=staging", "environment[]=staging", "locale=en-us", "locale=fr-fr", "branch=main", "branch=nope",
		"api_key=" + w.key, "api_key=" + w.other.APIKey, "access_token=" + w.delivery, "access_token=cs000000000000000000000000",
		"_method=DELETE", "_method=GET", "x=%zz", "include_count=true", "q=a+b", "environment=production+", "x=1;y=2", ""}
	headerSets := map[string][][2]string{
		"cda":  h("api_key", w.key, "access_token", w.delivery),
		"pre":  h("api_key", w.key, "preview_token", w.preview),
		"cm":   h("api_key", w.key, "authtoken", w.tokens[ContentManager]),
		"ro":   h("api_key", w.key, "authorization", w.mgmtRead),
		"stg":  h("api_key", w.key, "authtoken", w.staging),
		"own":  h("api_key", w.key, "authtoken", w.tokens[Owner]),
		"none": nil,
	}
	extras := [][][2]string{nil, nil, nil, nil,
		h("branch", "main"), h("branch", "nope"), h("Api-Key", w.key), h("Api_key", w.other.APIKey),
		h("X-Http-Method-Override", "DELETE"), h("X-Http-Method-Override", "GET"), h("Connection", "branch"),
		h("environment", "staging"), h("environment", "production"), h("X-Original-Url", "/v3/x"),
		h("preview_token", w.preview), h("access_token", w.delivery), h("live_preview", "hash"),
		h("X-Stackgate-Principal", "user:owner"), h("X-Forwarded-Method", "GET"), h("X-Original-Method", "GET")}
	var out []corpusCase
	for len(out) < n {
		api := pick("cda", "cda", "cda", "preview", "cma", "cma")
		set := pick("cda", "cda", "pre", "cm", "ro", "stg", "own", "none")
		if api == "preview" && rng.IntN(3) > 0 {
			set = "pre"
		}
		if api == "cma" && (set == "cda" || set == "pre") && rng.IntN(3) > 0 {
			set = pick("cm", "ro", "stg", "own")
		}
		target := paths[rng.IntN(len(paths))]
		if rng.IntN(3) == 0 { // a third of the paths carry a trick
			target = mutate[rng.IntN(len(mutate))](target)
		}
		var q []string
		for i := rng.IntN(3); i > 0; i-- {
			q = append(q, queryParts[rng.IntN(len(queryParts))])
		}
		if api != "cma" && rng.IntN(4) > 0 {
			q = append([]string{"environment=production"}, q...)
		}
		if len(q) > 0 {
			target += "?" + strings.Join(q, "&")
		}
		hs := append([][2]string{}, headerSets[set]...)
		if rng.IntN(2) == 0 {
			hs = append(hs, extras[rng.IntN(len(extras))]...)
		}
		method := pick("GET", "GET", "GET", "GET", "HEAD", "POST", "PUT", "DELETE", "get")
		out = append(out, corpusCase{api: api, method: method, target: target, headers: hs})
	}
	return out
}

// rawStatus sends one request as raw bytes (so the target reaches the
// server as written) and returns the response status.
func rawStatus(t *testing.T, addr string, c corpusCase) int {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", c.method, c.target, addr)
	for _, hv := range c.headers {
		if strings.EqualFold(hv[0], "Connection") {
			fmt.Fprintf(&b, "Connection: close, %s\r\n", hv[1])
			continue
		}
		fmt.Fprintf(&b, "%s: %s\r\n", hv[0], hv[1])
	}
	if c.method == "POST" || c.method == "PUT" {
		b.WriteString("Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
	} else {
		b.WriteString("\r\n")
	}
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write([]byte(b.String())); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s %s: %v", c.method, c.target, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestGateEndpointsAgree: on 2,400 generated requests, /gate/auth (nginx),
// /gate/forward-auth (Caddy, Traefik), POST /gate/check and the proxy
// listeners give the same decision, because they share one parser and
// one decision.
func TestGateEndpointsAgree(t *testing.T) {
	w := newProxyWorld(t, testdb.SQLite, 0)
	corpus := genCorpus(w.gateWorld, 2400)
	allowed, statuses := 0, map[int]int{}
	for i, c := range corpus {
		hs := append([][2]string{}, c.headers...)
		// Connection is hop-by-hop: nginx and Caddy never pass the client's
		// to the gate, and the raw request adds "close".
		auth := w.ask(gateCase{name: c.target, api: c.api, method: c.method, uri: c.target, headers: hs})
		fwd := w.ask(gateCase{name: c.target, endpoint: "/gate/forward-auth?api=" + c.api, api: c.api, method: c.method, uri: c.target, headers: hs})
		chk := w.check(gateCase{api: c.api, method: c.method, uri: c.target, headers: hs})
		checkStatus := int(chk.body["status"].(float64))
		if auth.status != fwd.status || auth.status != checkStatus {
			t.Fatalf("case %d %s %s %s %v: /gate/auth %d, /gate/forward-auth %d, /gate/check %d (%s)", i, c.api, c.method, c.target, c.headers,
				auth.status, fwd.status, checkStatus, chk.raw)
		}
		statuses[auth.status]++
		if auth.status == 200 {
			allowed++
		}
		// Through a proxy listener, as raw bytes on a real connection: the
		// same status. The main listener serves its own routes (locales)
		// itself, and proxies only /v3 paths.
		base := map[string]string{"cda": w.cdaURL, "preview": w.previewURL, "cma": w.mainURL}[c.api]
		if c.api == "cma" && (strings.Contains(c.target, "/v3/locales") || !strings.Contains(c.target, "/v3/")) {
			continue
		}
		got := rawStatus(t, strings.TrimPrefix(base, "http://"), c)
		if got != auth.status {
			t.Fatalf("case %d %s %s %s %v: proxy listener %d, gate %d (%s)", i, c.api, c.method, c.target, c.headers, got, auth.status, auth.raw)
		}
	}
	t.Logf("%d cases: %d allowed; statuses %v", len(corpus), allowed, statuses)
	if allowed < 150 || statuses[400] < 300 || statuses[403] < 100 || statuses[401] < 50 {
		t.Fatalf("the corpus does not exercise every outcome: %v", statuses)
	}
}

// FuzzGateEndpointsAgree: whatever the target and one extra header, the
// three gate endpoints agree, and none answers 5xx.
func FuzzGateEndpointsAgree(f *testing.F) {
	f.Add("cda", "GET", "/v3/content_types/blog/entries?environment=production", "branch", "main")
	f.Add("cma", "DELETE", "/v3/content_types/blog", "X-Http-Method-Override", "GET")
	f.Add("preview", "GET", "/content_types/blog/entries?environment=production&environmen%74=x", "Api-Key", "x")
	f.Add("cda", "GET", "http://h/v3/assets?environment=production;x", "Connection", "api_key")
	w := newGateWorld(f, testdb.SQLite)
	f.Fuzz(func(t *testing.T, api, method, target, name, value string) {
		w.t = t
		if !validHeader(name, value) || strings.ContainsAny(target, "\r\n") || len(target) == 0 || len(target) > 2000 {
			t.Skip()
		}
		hs := append(h("api_key", w.key, "access_token", w.delivery, "authtoken", w.tokens[Developer]), [2]string{name, value})
		c := gateCase{endpoint: "/gate/auth?api=" + url.QueryEscape(api), api: api, method: method, uri: target, headers: hs}
		auth := w.ask(c)
		c.endpoint = "/gate/forward-auth?api=" + url.QueryEscape(api)
		fwd := w.ask(c)
		if auth.status >= 500 || auth.status != fwd.status {
			t.Fatalf("/gate/auth %d, /gate/forward-auth %d", auth.status, fwd.status)
		}
		if _, ok := map[string]bool{"cda": true, "preview": true, "cma": true}[api]; !ok {
			return // no API: the check body is refused as a whole
		}
		chk := w.check(c)
		if s, _ := chk.body["status"].(float64); int(s) != auth.status {
			t.Fatalf("/gate/auth %d, /gate/check %s", auth.status, chk.raw)
		}
	})
}

// validHeader reports whether a header could be sent on the wire.
func validHeader(name, value string) bool {
	if name == "" || strings.EqualFold(name, "X-Original-Method") || strings.EqualFold(name, "X-Original-Uri") ||
		strings.EqualFold(name, "X-Forwarded-Method") || strings.EqualFold(name, "X-Forwarded-Uri") {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c >= 0x7f || c == ':' {
			return false
		}
	}
	for i := 0; i < len(value); i++ {
		if c := value[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
