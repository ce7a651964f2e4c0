// Package console serves stackgate's web console: static HTML, CSS and
// JavaScript modules embedded in the binary, which talk to the public API
// (/v3/…, /gate/check) exactly as any other client does. The package knows
// nothing of the API; it only serves files, with headers that keep the page
// from being framed, sniffed or cached stale, and that forbid any script or
// style not served from here (no inline code, no other origin).
package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// Prefix is where the console lives on the main listener.
const Prefix = "/console"

//go:embed static
var files embed.FS

// CSP allows scripts, styles, images and fetches from this origin only: no
// inline script or style (the pages have none), no eval, no plugins, no
// framing, and forms and <base> pinned down.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// contentTypes are the types of the files the console has; a file of
// another kind is not served (the table is the allow list).
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
}

type asset struct {
	body        []byte
	contentType string
	etag        string
}

// Handler serves the console. GET and HEAD only. /console/assets/<file> is
// a static file (revalidated by ETag); every other path under /console is
// the app's index.html (the app routes on the path), never cached.
type Handler struct {
	index  asset
	assets map[string]asset // by path under /console/assets/
}

// New loads the embedded files once.
func New() *Handler {
	h := &Handler{assets: map[string]asset{}}
	root, err := fs.Sub(files, "static")
	if err != nil {
		panic(err)
	}
	err = fs.WalkDir(root, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ct, ok := contentTypes[path.Ext(p)]
		if !ok {
			return nil
		}
		b, err := fs.ReadFile(root, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		a := asset{body: b, contentType: ct, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		if p == "index.html" {
			h.index = a
		} else if rest, ok := strings.CutPrefix(p, "assets/"); ok {
			h.assets[rest] = a
		}
		return nil
	})
	if err != nil || h.index.body == nil {
		panic("console: embedded files missing: " + errString(err))
	}
	return h
}

func errString(err error) string {
	if err == nil {
		return "no index.html"
	}
	return err.Error()
}

// setSecurityHeaders sets the headers every console reply carries, errors
// included.
func setSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", CSP)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w.Header())
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	if p != Prefix && !strings.HasPrefix(p, Prefix+"/") {
		http.NotFound(w, r)
		return
	}
	if name, ok := strings.CutPrefix(p, Prefix+"/assets/"); ok {
		a, ok := h.assets[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		// Assets keep their names across releases, so they are revalidated
		// every time: a new binary never runs with an old module.
		w.Header().Set("Cache-Control", "no-cache")
		serve(w, r, a)
		return
	}
	// index.html holds no secret, but it names the modules of this build:
	// never from a cache.
	w.Header().Set("Cache-Control", "no-store")
	serve(w, r, h.index)
}

func serve(w http.ResponseWriter, r *http.Request, a asset) {
	w.Header().Set("Content-Type", a.contentType)
	w.Header().Set("ETag", a.etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}
