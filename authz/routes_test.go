package authz_test

import (
	"net/http"
	"testing"

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
}

func TestMatch(t *testing.T) {
	for _, c := range []struct {
		api                 authz.API
		method, path        string
		ok                  bool
		module              string
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
		{authz.CMA, "GET", "/v3/assets/folders/f1", true, "folder", authz.Read, "", "", "", "f1", ""},
		{authz.CMA, "GET", "/v3/assets/a1", true, "asset", authz.Read, "", "", "a1", "", ""},
		{authz.CDA, "GET", "/v3/taxonomies/regions/terms/eu", true, "taxonomy", authz.Read, "", "", "", "", "eu"},
		{authz.CDA, "GET", "/v3/taxonomies/entries", true, "entry", authz.Read, "", "", "", "", ""},
		{authz.CDA, "GET", "/v3/environments", false, "", 0, "", "", "", "", ""},
		{authz.CMA, "GET", "/v3/environments", true, "environment", authz.Read, "", "", "", "", ""},
		{authz.CMA, "DELETE", "/v3/roles/r1", true, "role", authz.Delete, "", "", "", "", ""},
		{authz.CDA, "GET", "/v3/stacks/sync", true, "sync", authz.Read, "", "", "", "", ""},
		{authz.CDA, "GET", "/v3/content_types/../roles", false, "", 0, "", "", "", "", ""},
		{authz.CDA, "GET", "/v3//content_types", false, "", 0, "", "", "", "", ""},
		{authz.CDA, "GET", "/v3/nothing", false, "", 0, "", "", "", "", ""},
		{authz.CDA, "GET", "", false, "", 0, "", "", "", "", ""},
		{authz.CDA, "GET", "v3/content_types", false, "", 0, "", "", "", "", ""},
		{authz.CDA, "GET", "/v3/content_types/a/b/c/d/e/f/g/h", false, "", 0, "", "", "", "", ""},
	} {
		r, p, ok := authz.Match(c.api, c.method, c.path)
		if ok != c.ok {
			t.Errorf("Match(%v %s %s) ok = %v, want %v", c.api, c.method, c.path, ok, c.ok)
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

func FuzzMatch(f *testing.F) {
	for _, s := range []string{"/v3/content_types/blog/entries", "/v3/assets/folders/x", "/v3/../x", "//", "/v3/%2f", "/\x00", "/v3/roles/"} {
		f.Add("GET", s)
	}
	f.Fuzz(func(t *testing.T, method, path string) {
		for _, api := range []authz.API{authz.CMA, authz.CDA} {
			r, _, ok := authz.Match(api, method, path)
			if !ok {
				continue
			}
			if r.Module == "" || r.Action == 0 {
				t.Fatalf("matched a route without module/action: %+v", r)
			}
			for _, bad := range []string{"/../", "/./", "//"} {
				if len(path) >= len(bad) && contains(path, bad) {
					t.Fatalf("garbage path %q matched %s", path, r.Pattern)
				}
			}
		}
	})
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func BenchmarkMatch(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, _, ok := authz.Match(authz.CDA, "GET", "/v3/content_types/blog/entries/bltentry"); !ok {
			b.Fatal("no match")
		}
	}
}
