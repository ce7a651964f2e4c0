package console_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/stackgate/stackgate/console"
)

// securityHeaders are on every console reply, errors included.
var securityHeaders = map[string]string{
	"Content-Security-Policy": console.CSP,
	"X-Frame-Options":         "DENY",
	"X-Content-Type-Options":  "nosniff",
	"Referrer-Policy":         "no-referrer",
}

func TestHandler(t *testing.T) {
	h := console.New()
	index := get(t, h, "GET", "/console/", nil).body
	for _, tc := range []struct {
		name, method, path string
		status             int
		contentType        string
		cache              string
		index              bool // the body is index.html
	}{
		{"the console's root", "GET", "/console", 200, "text/html; charset=utf-8", "no-store", true},
		{"root with slash", "GET", "/console/", 200, "text/html; charset=utf-8", "no-store", true},
		{"an app route", "GET", "/console/tokens", 200, "text/html; charset=utf-8", "no-store", true},
		{"a nested app route", "GET", "/console/roles/blt123", 200, "text/html; charset=utf-8", "no-store", true},
		{"HEAD of an app route", "HEAD", "/console/explain", 200, "text/html; charset=utf-8", "no-store", false},
		{"a module", "GET", "/console/assets/app.js", 200, "text/javascript; charset=utf-8", "no-cache", false},
		{"the style sheet", "GET", "/console/assets/console.css", 200, "text/css; charset=utf-8", "no-cache", false},
		{"the icon", "GET", "/console/assets/favicon.svg", 200, "image/svg+xml", "no-cache", false},
		{"an unknown asset", "GET", "/console/assets/nope.js", 404, "", "", false},
		{"an asset directory", "GET", "/console/assets/", 404, "", "", false},
		{"index.html is not an asset", "GET", "/console/assets/index.html", 404, "", "", false},
		{"outside the prefix", "GET", "/consoles", 404, "", "", false},
		{"POST", "POST", "/console/tokens", 405, "", "", false},
		{"DELETE of an asset", "DELETE", "/console/assets/app.js", 405, "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := get(t, h, tc.method, tc.path, nil)
			if res.status != tc.status {
				t.Fatalf("status %d, want %d", res.status, tc.status)
			}
			for k, want := range securityHeaders {
				if got := res.header.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if tc.contentType != "" && res.header.Get("Content-Type") != tc.contentType {
				t.Errorf("Content-Type = %q, want %q", res.header.Get("Content-Type"), tc.contentType)
			}
			if res.header.Get("Cache-Control") != tc.cache && tc.cache != "" {
				t.Errorf("Cache-Control = %q, want %q", res.header.Get("Cache-Control"), tc.cache)
			}
			if tc.index && res.body != index {
				t.Errorf("body is not index.html")
			}
			if tc.status == 405 && res.header.Get("Allow") != "GET, HEAD" {
				t.Errorf("Allow = %q", res.header.Get("Allow"))
			}
		})
	}
}

// TestAssetRevalidation: an asset answers If-None-Match with 304, so a
// browser revalidates cheaply and never runs a stale module.
func TestAssetRevalidation(t *testing.T) {
	h := console.New()
	first := get(t, h, "GET", "/console/assets/app.js", nil)
	etag := first.header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if res := get(t, h, "GET", "/console/assets/app.js", map[string]string{"If-None-Match": etag}); res.status != 304 {
		t.Fatalf("If-None-Match: status %d, want 304", res.status)
	}
	if res := get(t, h, "GET", "/console/assets/app.js", map[string]string{"If-None-Match": `"other"`}); res.status != 200 || res.body != first.body {
		t.Fatalf("another ETag: status %d", res.status)
	}
}

// TestNoInlineCode: the CSP forbids inline script and style, so the pages
// must have none (an inline handler or style attribute would be blocked
// in the browser, silently).
func TestNoInlineCode(t *testing.T) {
	h := console.New()
	index := get(t, h, "GET", "/console/", nil).body
	inline := []*regexp.Regexp{
		regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`), // a script with a body
		regexp.MustCompile(`<style`),
		regexp.MustCompile(`\son[a-z]+\s*=`), // onclick= …
		regexp.MustCompile(`\sstyle\s*=`),
	}
	for _, re := range inline {
		if re.MatchString(index) {
			t.Errorf("index.html has inline code: %s", re.FindString(index))
		}
	}
	for _, src := range regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(index, -1) {
		if strings.HasPrefix(src[1], "#") {
			continue
		}
		if !strings.HasPrefix(src[1], "/console/") {
			t.Errorf("index.html loads %q from outside the console", src[1])
			continue
		}
		if res := get(t, h, "GET", src[1], nil); res.status != 200 {
			t.Errorf("index.html names %s, which answers %d", src[1], res.status)
		}
	}
	for _, asset := range []string{"app.js", "api.js", "ui.js", "tokens.js", "management.js", "roles.js", "users.js", "explain.js", "audit.js", "scope.js"} {
		body := get(t, h, "GET", "/console/assets/"+asset, nil).body
		if strings.Contains(body, ".innerHTML") || strings.Contains(body, "outerHTML") || strings.Contains(body, "insertAdjacentHTML") || strings.Contains(body, "eval(") || strings.Contains(body, "new Function") {
			t.Errorf("%s builds code or markup from strings", asset)
		}
		if strings.Contains(body, "localStorage.") {
			t.Errorf("%s uses localStorage", asset)
		}
	}
}

type reply struct {
	status int
	header http.Header
	body   string
}

func get(t *testing.T, h http.Handler, method, path string, headers map[string]string) reply {
	t.Helper()
	r := httptest.NewRequest(method, path, nil)
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	b, _ := io.ReadAll(w.Result().Body)
	return reply{w.Code, w.Result().Header, string(b)}
}
