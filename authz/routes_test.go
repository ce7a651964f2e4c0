package authz_test

import (
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/authz"
)

// TestServedRoutesRegister: every served route is a valid ServeMux pattern
// and Lookup finds it.
func TestServedRoutesRegister(t *testing.T) {
	mux := http.NewServeMux()
	n := 0
	for _, r := range authz.Routes {
		if !r.Served {
			continue
		}
		n++
		if r.API != authz.CMA {
			t.Errorf("served route %s %s is not a CMA route", r.Method, r.Pattern)
		}
		mux.Handle(r.Method+" "+r.Pattern, http.NotFoundHandler())
		got, ok := authz.Lookup(r.Method, r.Pattern)
		if !ok || got.Module != r.Module || got.Action != r.Action {
			t.Errorf("Lookup(%s %s) = %+v, %v", r.Method, r.Pattern, got, ok)
		}
	}
	if n < 40 {
		t.Fatalf("only %d served routes", n)
	}
	if _, ok := authz.Lookup("GET", "/v3/content_types"); ok {
		t.Fatal("Lookup found a route stackgate does not serve as CMA")
	}
	for _, p := range []string{"/v3/user-session", "/v3/user"} {
		if r, ok := authz.Lookup(map[string]string{"/v3/user-session": "POST", "/v3/user": "GET"}[p], p); !ok || r.Module != "user_session" {
			t.Errorf("%s: not the user's own session (%+v, %v)", p, r, ok)
		}
	}
}

// TestRoutesPerAPI: within each API the whole table registers on one
// ServeMux (valid, non-conflicting patterns), and a concrete path made from
// each pattern matches that very route, with its wildcards as params.
func TestRoutesPerAPI(t *testing.T) {
	for _, api := range []authz.API{authz.CMA, authz.CDA} {
		mux := http.NewServeMux()
		for _, r := range authz.Routes {
			if r.API != api {
				continue
			}
			mux.Handle(r.Method+" "+r.Pattern, http.NotFoundHandler())
			if r.Module == "" || r.Action < authz.Read || r.Action > authz.Publish {
				t.Errorf("%s %s: module %q action %v", r.Method, r.Pattern, r.Module, r.Action)
			}
			if api == authz.CDA && r.Method != "GET" {
				t.Errorf("CDA route %s %s is not a GET", r.Method, r.Pattern)
			}
			path, values := concrete(r.Pattern)
			methods := []string{r.Method}
			if r.Method == "GET" {
				methods = append(methods, "HEAD")
			}
			for _, m := range methods {
				got, p, ok := authz.Match(api, m, path)
				if !ok || got.Pattern != r.Pattern || got.Method != r.Method || got.API != api {
					t.Errorf("Match(%v, %s, %s) = %s %s, %v; want the route itself", api, m, path, got.Method, got.Pattern, ok)
					continue
				}
				missing := maps.Clone(values)
				for _, v := range []string{p.ContentType, p.Entry, p.Asset, p.Folder, p.Taxonomy, p.Term, p.Locale, p.Object} {
					if v != "" && !values[v] {
						t.Errorf("Match(%s): param %q is not a wildcard value", path, v)
					}
					delete(missing, v)
				}
				if len(missing) > 0 {
					t.Errorf("Match(%s): wildcard values %v not in the params", path, missing)
				}
			}
		}
	}
}

// concrete fills a pattern's wildcards with distinct values.
func concrete(pattern string) (string, map[string]bool) {
	values := map[string]bool{}
	segs := strings.Split(pattern, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") {
			segs[i] = "w" + strconv.Itoa(i)
			values[segs[i]] = true
		}
	}
	return strings.Join(segs, "/"), values
}

func TestMatch(t *testing.T) {
	for _, c := range []struct {
		api                 authz.API
		method, path        string
		ok                  bool
		module              stackgate.Module
		action              authz.Action
		contentType, entry  string
		asset, folder, term string
	}{
		{authz.CDA, "GET", "/v3/content_types/blog/entries", true, "entry", authz.Read, "blog", "", "", "", ""},
		{authz.CDA, "HEAD", "/v3/content_types/blog/entries/bltx", true, "entry", authz.Read, "blog", "bltx", "", "", ""},
		{authz.CDA, "GET", "/v3/content_types/blog/entries/", true, "entry", authz.Read, "blog", "", "", "", ""},
		{authz.CDA, "POST", "/v3/content_types/blog/entries", false, "", 0, "", "", "", "", ""},
		{authz.CMA, "POST", "/v3/content_types/blog/entries", true, "entry", authz.Create, "blog", "", "", "", ""},
		{authz.CMA, "POST", "/v3/content_types/blog/entries/e1/publish", true, "entry", authz.Publish, "blog", "e1", "", "", ""},
		{authz.CMA, "POST", "/v3/content_types/blog/entries/e1/unpublish", true, "entry", authz.Publish, "blog", "e1", "", "", ""},
		{authz.CMA, "POST", "/v3/bulk/publish", true, "entry", authz.Publish, "", "", "", "", ""},
		{authz.CMA, "GET", "/v3/assets/folders/f1", true, "folder", authz.Read, "", "", "", "f1", ""},
		{authz.CMA, "POST", "/v3/assets/folders", true, "folder", authz.Create, "", "", "", "", ""},
		{authz.CMA, "GET", "/v3/assets/a1", true, "asset", authz.Read, "", "", "a1", "", ""},
		{authz.CMA, "POST", "/v3/assets/a1/publish", true, "asset", authz.Publish, "", "", "a1", "", ""},
		{authz.CDA, "GET", "/v3/taxonomies/regions/terms/eu", true, "taxonomy", authz.Read, "", "", "", "", "eu"},
		{authz.CDA, "GET", "/v3/taxonomies/entries", true, "entry", authz.Read, "", "", "", "", ""},
		{authz.CDA, "GET", "/v3/environments", false, "", 0, "", "", "", "", ""},
		{authz.CMA, "GET", "/v3/environments", true, "environment", authz.Read, "", "", "", "", ""},
		{authz.CMA, "GET", "/v3/locales", true, "locale", authz.Read, "", "", "", "", ""},
		{authz.CDA, "GET", "/v3/locales", true, "locale", authz.Read, "", "", "", "", ""},
		{authz.CMA, "DELETE", "/v3/roles/r1", true, "role", authz.Delete, "", "", "", "", ""},
		{authz.CMA, "PUT", "/v3/stacks/branch_aliases/deploy", true, "branch_alias", authz.Update, "", "", "", "", ""},
		{authz.CMA, "POST", "/v3/stacks/users/roles", true, "stack_user", authz.Update, "", "", "", "", ""},
		{authz.CMA, "GET", "/v3/audit-logs", true, "audit_log", authz.Read, "", "", "", "", ""},
		{authz.CDA, "GET", "/v3/stacks/sync", true, "sync", authz.Read, "", "", "", "", ""},
		{authz.CMA, "GET", "/v3/stacks/sync", false, "", 0, "", "", "", "", ""},
		// Garbage.
		{authz.CDA, "GET", "/v3/content_types/../roles", false, "", 0, "", "", "", "", ""},
		{authz.CDA, "GET", "/v3/content_types/..", false, "", 0, "", "", "", "", ""},
		{authz.CDA, "GET", "/v3/content_types/.", false, "", 0, "", "", "", "", ""},
		{authz.CDA, "GET", "/v3/content_types/%2e%2E", false, "", 0, "", "", "", "", ""},
		{authz.CDA, "GET", "/v3/content_types/.%2e/entries", false, "", 0, "", "", "", "", ""},
		{authz.CDA, "GET", "/v3/content_types/a%2Fb/entries", false, "", 0, "", "", "", "", ""},
		{authz.CDA, "GET", "/v3/content_types/a%5cb/entries", false, "", 0, "", "", "", "", ""},
		{authz.CDA, "GET", `/v3/content_types/a\b/entries`, false, "", 0, "", "", "", "", ""},
		{authz.CDA, "GET", "/v3/content_types/a%00/entries", false, "", 0, "", "", "", "", ""},
		{authz.CDA, "GET", "/v3/content_types/a\x00/entries", false, "", 0, "", "", "", "", ""},
		{authz.CDA, "GET", "/v3/content_types/a\nb", false, "", 0, "", "", "", "", ""},
		{authz.CDA, "GET", "/v3//content_types", false, "", 0, "", "", "", "", ""},
		{authz.CDA, "GET", "/v3/content_types//", false, "", 0, "", "", "", "", ""},
		{authz.CDA, "GET", "/v3/nothing", false, "", 0, "", "", "", "", ""},
		{authz.CDA, "GET", "", false, "", 0, "", "", "", "", ""},
		{authz.CDA, "GET", "/", false, "", 0, "", "", "", "", ""},
		{authz.CDA, "GET", "v3/content_types", false, "", 0, "", "", "", "", ""},
		{authz.CDA, "GET", "/v3/content_types/a/b/c/d/e/f/g/h", false, "", 0, "", "", "", "", ""},
		{authz.CDA, "get", "/v3/content_types", false, "", 0, "", "", "", "", ""},
		{authz.CDA, "OPTIONS", "/v3/content_types", false, "", 0, "", "", "", "", ""},
		{0, "GET", "/v3/content_types", false, "", 0, "", "", "", "", ""},
		// Not garbage: dots inside a uid, three dots, a literal percent.
		{authz.CDA, "GET", "/v3/content_types/a.b", true, "content_type", authz.Read, "a.b", "", "", "", ""},
		{authz.CDA, "GET", "/v3/content_types/.../entries", true, "entry", authz.Read, "...", "", "", "", ""},
		{authz.CDA, "GET", "/v3/content_types/100%", true, "content_type", authz.Read, "100%", "", "", "", ""},
	} {
		r, p, ok := authz.Match(c.api, c.method, c.path)
		if ok != c.ok {
			t.Errorf("Match(%v %s %q) ok = %v, want %v", c.api, c.method, c.path, ok, c.ok)
			continue
		}
		if !ok {
			continue
		}
		if r.Module != c.module || r.Action != c.action || p.ContentType != c.contentType || p.Entry != c.entry ||
			p.Asset != c.asset || p.Folder != c.folder || p.Term != c.term {
			t.Errorf("Match(%s %s) = %s/%v %+v", c.method, c.path, r.Module, r.Action, p)
		}
	}
}

// TestParamsRequest: the gate turns a match into an engine request.
func TestParamsRequest(t *testing.T) {
	r, p, ok := authz.Match(authz.CMA, "PUT", "/v3/content_types/blog/entries/e1")
	if !ok {
		t.Fatal("no match")
	}
	got := p.Request(r)
	want := authz.Request{Module: "entry", Action: authz.Update, ContentType: "blog", Entry: "e1", Scope: "cm.entries.management:write"}
	if got != want {
		t.Fatalf("Request = %+v, want %+v", got, want)
	}
}

func TestMatchAllocations(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() {
		authz.Match(authz.CMA, "POST", "/v3/content_types/blog/entries/bltentry/publish")
		authz.Match(authz.CDA, "GET", "/v3/nothing/here")
	}); n != 0 {
		t.Fatalf("Match allocates %v times", n)
	}
}

// garbage is the fuzz oracle's own idea of a path no route may match,
// written independently of Match: a segment that is empty, decodes to a
// dot segment, holds a slash or backslash once decoded, or a control byte.
func garbage(path string) bool {
	if !strings.HasPrefix(path, "/") {
		return true
	}
	path = strings.TrimSuffix(path[1:], "/")
	for _, seg := range strings.Split(path, "/") {
		if seg == "" || strings.ContainsFunc(seg, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
			return true
		}
		dec := seg
		if d, err := url.PathUnescape(seg); err == nil {
			dec = d
		}
		if dec == "." || dec == ".." || strings.ContainsAny(dec, "/\\\x00") {
			return true
		}
	}
	return false
}

func FuzzMatch(f *testing.F) {
	for _, s := range []string{"/v3/content_types/blog/entries", "/v3/assets/folders/x", "/v3/../x", "//", "/v3/%2f",
		"/\x00", "/v3/roles/", "/v3/content_types/%2e/entries", "/v3/taxonomies/t/terms/x", "/v3/stacks/sync"} {
		f.Add("GET", s)
	}
	f.Add("POST", "/v3/content_types/a/entries/b/publish")
	f.Fuzz(func(t *testing.T, method, path string) {
		for _, api := range []authz.API{authz.CMA, authz.CDA} {
			r, p, ok := authz.Match(api, method, path)
			if !ok {
				continue
			}
			if garbage(path) {
				t.Fatalf("garbage path %q matched %s %s", path, r.Method, r.Pattern)
			}
			if r.Module == "" || r.Action < authz.Read || r.Action > authz.Publish || r.API != api {
				t.Fatalf("matched a route without module/action: %+v", r)
			}
			// The route's pattern, its wildcards filled with the params in
			// order, gives the path back.
			segs := strings.Split(r.Pattern, "/")
			got := strings.Split(strings.TrimSuffix(path, "/"), "/")
			if len(segs) != len(got) {
				t.Fatalf("%q matched %s with another number of segments", path, r.Pattern)
			}
			for i, s := range segs {
				if !strings.HasPrefix(s, "{") && s != got[i] {
					t.Fatalf("%q matched %s: literal %q differs", path, r.Pattern, s)
				}
			}
			for _, v := range []string{p.ContentType, p.Entry, p.Asset, p.Folder, p.Taxonomy, p.Term, p.Locale, p.Object} {
				if v != "" && !strings.Contains(path, "/"+v) {
					t.Fatalf("%q: param %q is not a segment of the path", path, v)
				}
			}
		}
	})
}

func BenchmarkMatch(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, _, ok := authz.Match(authz.CDA, "GET", "/v3/content_types/blog/entries/bltentry"); !ok {
			b.Fatal("no match")
		}
	}
}
