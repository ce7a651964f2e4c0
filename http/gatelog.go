package http

import (
	"net/http"
	"strings"
)

// maxLoggedPath bounds the original path in a log line.
const maxLoggedPath = 256

// originalRequest is the method and path of the request a gate refusal
// was about, for its log line: from the forward-auth headers on the gate
// endpoints, the request itself on a proxy listener. The query is never
// kept (a delivery token may travel in it), and a path is cut short.
func originalRequest(r *http.Request) (method, path string) {
	switch r.URL.Path {
	case gateAuthPath:
		method, path = r.Header.Get(hOriginalMethod), r.Header.Get(hOriginalURI)
	case gateForwardAuthPath:
		method, path = r.Header.Get(hForwardMethod), r.Header.Get(hForwardURI)
	default:
		method, path = r.Method, r.URL.EscapedPath()
	}
	path, _, _ = strings.Cut(path, "?")
	path, _, _ = strings.Cut(path, "#")
	if len(path) > maxLoggedPath {
		path = path[:maxLoggedPath] + "…"
	}
	if len(method) > 16 {
		method = method[:16] + "…"
	}
	return method, path
}

// wellFormedRequestID reports whether an incoming X-Request-Id may be kept
// (so a line here joins the proxy's own): 1 to 128 characters of letters,
// digits and - _ . : (UUIDs, nginx's $request_id, Traefik's and Caddy's
// ids); anything else is replaced by an id of our own, so a log line never
// carries what a client chose to inject.
func wellFormedRequestID(v string) bool {
	if len(v) == 0 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}
