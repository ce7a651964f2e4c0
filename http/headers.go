package http

import "net/http"

// Canonical forms of the headers stackgate reads. Contentstack's headers
// have underscores (api_key), which net/http canonicalises to "Api_key";
// reading the map with the canonical key directly saves the allocation
// Header.Get makes to canonicalise a non-canonical name on every request.
var (
	hAPIKey         = http.CanonicalHeaderKey("api_key")
	hAuthtoken      = http.CanonicalHeaderKey("authtoken")
	hAuthorization  = http.CanonicalHeaderKey("authorization")
	hAccessToken    = http.CanonicalHeaderKey("access_token")
	hPreviewToken   = http.CanonicalHeaderKey("preview_token")
	hBranch         = http.CanonicalHeaderKey("branch")
	hOriginalMethod = http.CanonicalHeaderKey("X-Original-Method")
	hOriginalURI    = http.CanonicalHeaderKey("X-Original-URI")
	hForwardMethod  = http.CanonicalHeaderKey("X-Forwarded-Method")
	hForwardURI     = http.CanonicalHeaderKey("X-Forwarded-Uri")
)

// header returns the first value of a header given its canonical key.
func header(r *http.Request, canonical string) string {
	if v := r.Header[canonical]; len(v) > 0 {
		return v[0]
	}
	return ""
}
