package http

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/access"
	"github.com/stackgate/stackgate/authz"
)

// The one request model. Every way of asking the gate — /gate/auth (nginx),
// /gate/forward-auth (Caddy, Traefik), POST /gate/check and the proxy
// listeners — hands parseGateRequest the original method, the original
// request-target and the headers, so they all decide the same request.
//
// Anything a proxy or an upstream could read differently from the gate is
// refused (400), never guessed:
//   - the target is origin form ("/…"), or absolute form only when
//     "scheme://host" starts it; no fragment, no raw byte outside printable
//     ASCII;
//   - the path is canonical: no empty or dot segment (also encoded), no
//     backslash or ";", no encoded "/", "\", ".", "%", ";", control byte
//     or byte beyond ASCII;
//   - query keys and values are decoded exactly as net/url.ParseQuery does
//     (and refused where it fails, ";" included); a decision-relevant
//     parameter (api_key, access_token, preview_token, authtoken,
//     authorization, environment, locale, branch) given twice, in a variant
//     spelling ("Environment", "environment[]"), or in both a header and
//     the query with different values is refused;
//   - a decision-relevant header given twice, also in another spelling
//     ("api-key" beside "api_key": CGI-style upstreams read both as one),
//     or named in Connection (a proxy would drop it before the upstream),
//     is refused;
//   - method-override headers and _method are refused unless they equal
//     the method; X-Original-URL and X-Rewrite-URL, which some frameworks
//     route on, are refused outright.

// gateParam numbers the parameters the decision reads.
type gateParam uint8

const (
	pAPIKey gateParam = iota
	pAccessToken
	pPreviewToken
	pAuthtoken
	pAuthorization
	pBranch
	pEnvironment
	pLocale
	pMethodOverride
	nParams
)

// paramNames are the wire names of the parameters, as headers (api_key…)
// and query keys alike.
var paramNames = [nParams]string{"api_key", "access_token", "preview_token", "authtoken", "authorization",
	"branch", "environment", "locale", "_method"}

// ambiguous is the refusal of a request the gate will not guess about.
// field names the parameter or part; problem never repeats its value
// (it may be a secret).
func ambiguous(field, problem string) error {
	return &stackgate.Error{Code: stackgate.EBADREQUEST, Message: "The request is ambiguous or not in canonical form.",
		Fields: map[string][]string{field: {problem}}}
}

const (
	problemTwice      = "is given more than once."
	problemConflict   = "is given in a header and in the query with different values."
	problemVariant    = "is given in a variant spelling."
	problemHopByHop   = "is named in the Connection header."
	problemOverride   = "overrides the method."
	problemPath       = "is not in canonical form."
	problemTarget     = "is neither origin form nor absolute form."
	problemQuery      = "cannot be decoded."
	problemRewriteURL = "is not accepted: it would route the upstream elsewhere."
	problemMethod     = "is not a valid method."
	problemMissing    = "is required."
	problemControl    = "holds a control character."
	problemGateHeader = "is set by the gate, not the client; this spelling cannot be stripped."
)

// gateValues are the parameters found so far, with where they came from.
type gateValues struct {
	header [nParams]string
	query  [nParams]string
	hasH   [nParams]bool
	hasQ   [nParams]bool
}

// parseGateRequest turns the original method, request-target and headers
// of a request into the gate's request for api.
func parseGateRequest(api authz.API, method, target string, h http.Header) (access.GateRequest, error) {
	var req access.GateRequest
	req.API = api
	if !validMethod(method) {
		return req, ambiguous("method", problemMethod)
	}
	req.Method = method
	path, rawQuery, err := splitTarget(target)
	if err != nil {
		return req, err
	}
	if req.Path, err = canonicalPath(path); err != nil {
		return req, err
	}
	var v gateValues
	if err := v.readHeaders(h, method); err != nil {
		return req, err
	}
	if err := v.readQuery(rawQuery); err != nil {
		return req, err
	}
	var vals [nParams]string
	for i := range vals {
		if hasControl(v.header[i]) || hasControl(v.query[i]) {
			return req, ambiguous(paramNames[i], problemControl)
		}
		switch {
		case v.hasH[i] && v.hasQ[i] && v.header[i] != v.query[i]:
			return req, ambiguous(paramNames[i], problemConflict)
		case v.hasH[i]:
			vals[i] = v.header[i]
		default:
			vals[i] = v.query[i]
		}
	}
	if o := vals[pMethodOverride]; (v.hasH[pMethodOverride] || v.hasQ[pMethodOverride]) && o != method {
		return req, ambiguous("_method", problemOverride)
	}
	req.Credentials = access.Credentials{APIKey: vals[pAPIKey], AccessToken: vals[pAccessToken],
		PreviewToken: vals[pPreviewToken], Authtoken: vals[pAuthtoken], Authorization: vals[pAuthorization]}
	req.Branch, req.Environment, req.Locale = vals[pBranch], vals[pEnvironment], vals[pLocale]
	if method == http.MethodOptions && len(h["Origin"]) == 1 {
		// A CORS preflight: the method it announces must be valid too.
		if acrm := h["Access-Control-Request-Method"]; len(acrm) == 1 {
			if !validMethod(acrm[0]) {
				return req, ambiguous("Access-Control-Request-Method", problemMethod)
			}
			req.PreflightFor = acrm[0]
		}
	}
	return req, nil
}

// validMethod accepts an HTTP method token as a client sends it: upper-case
// letters only (an upstream may treat "get" differently from "GET").
func validMethod(m string) bool {
	if m == "" || len(m) > 16 {
		return false
	}
	for i := 0; i < len(m); i++ {
		if m[i] < 'A' || m[i] > 'Z' {
			return false
		}
	}
	return true
}

// splitTarget splits an origin-form or absolute-form request-target into
// its raw path and raw query.
func splitTarget(t string) (path, rawQuery string, err error) {
	for i := 0; i < len(t); i++ {
		if c := t[i]; c <= ' ' || c >= 0x7f || c == '#' {
			return "", "", ambiguous("uri", problemTarget)
		}
	}
	if !strings.HasPrefix(t, "/") {
		// Absolute form: a scheme and "://" must start it.
		rest, ok := cutScheme(t)
		if !ok {
			return "", "", ambiguous("uri", problemTarget)
		}
		end := strings.IndexAny(rest, "/?")
		host := rest
		if end >= 0 {
			host = rest[:end]
		}
		if host == "" || strings.ContainsAny(host, "@\\") {
			return "", "", ambiguous("uri", problemTarget)
		}
		switch {
		case end < 0:
			t = "/"
		case rest[end] == '?':
			t = "/" + rest[end:]
		default:
			t = rest[end:]
		}
	}
	path, rawQuery, _ = strings.Cut(t, "?")
	return path, rawQuery, nil
}

// cutScheme removes "http://" or "https://" (any case) from the start of t.
func cutScheme(t string) (string, bool) {
	for _, s := range [...]string{"http://", "https://"} {
		if len(t) >= len(s) && strings.EqualFold(t[:len(s)], s) {
			return t[len(s):], true
		}
	}
	return "", false
}

// canonicalPath checks a raw path and returns it decoded.
func canonicalPath(p string) (string, error) {
	if p == "" || p[0] != '/' {
		return "", ambiguous("path", problemPath)
	}
	escaped := false
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '\\', ';':
			return "", ambiguous("path", problemPath)
		case '/':
			if i+1 < len(p) && p[i+1] == '/' {
				return "", ambiguous("path", problemPath)
			}
		case '%':
			if i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2]) {
				return "", ambiguous("path", problemPath)
			}
			// Encoded bytes beyond ASCII are refused too: an upstream that
			// maps look-alikes ("／" to "/", as Windows best-fit does) would
			// see another path.
			b := unhex(p[i+1])<<4 | unhex(p[i+2])
			if b < 0x20 || b >= 0x7f || b == '/' || b == '\\' || b == '.' || b == '%' || b == ';' {
				return "", ambiguous("path", problemPath)
			}
			escaped = true
			i += 2
		}
	}
	// Dot segments ("/./", "/..", a trailing "/."), raw: encoded dots were
	// refused above.
	for rest := p[1:]; ; {
		seg, tail, more := strings.Cut(rest, "/")
		if seg == "." || seg == ".." {
			return "", ambiguous("path", problemPath)
		}
		if !more {
			break
		}
		rest = tail
	}
	if !escaped {
		return p, nil
	}
	d, err := url.PathUnescape(p)
	if err != nil {
		return "", ambiguous("path", problemPath)
	}
	return d, nil
}

// hasControl reports whether a parameter's value holds a control byte,
// which no credential or name has and a header could not carry on.
func hasControl(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// readHeaders collects the decision-relevant headers, refusing repeats,
// variant spellings, hop-by-hop nominations and overrides.
func (v *gateValues) readHeaders(h http.Header, method string) error {
	for name, values := range h {
		p, ok := headerParam(name)
		if !ok {
			if isGateHeader(name) && !strings.EqualFold(name[:len(gatePrefix)], gatePrefix) {
				// Another spelling of a header the gate sets: an upstream that
				// folds "_" or "." into "-" (CGI, PHP, WSGI, Rack) reads it as
				// the gate's, and a proxy strips only the gate's spelling.
				return ambiguous("X-Stackgate-*", problemGateHeader)
			}
			continue
		}
		switch p {
		case pRewriteURL:
			return ambiguous("X-Original-URL", problemRewriteURL)
		case pConnection:
			for _, value := range values {
				if err := checkConnection(value); err != nil {
					return err
				}
			}
			continue
		case pOverrideHeader:
			for _, value := range values {
				if value != method {
					return ambiguous("X-HTTP-Method-Override", problemOverride)
				}
			}
			continue
		}
		if len(values) == 0 {
			continue
		}
		if v.hasH[p] || len(values) > 1 {
			return ambiguous(paramNames[p], problemTwice)
		}
		// An empty value still counts as given (a second spelling is a
		// repeat), but, as on the CMA, as no credential.
		v.header[p], v.hasH[p] = values[0], true
	}
	return nil
}

// Header-only names headerParam recognises beyond the parameters.
const (
	pRewriteURL gateParam = nParams + iota
	pConnection
	pOverrideHeader
)

// headerParam classifies a header name: a parameter (compared without
// case, "-" and "_" alike), Connection, a method override, or a rewrite
// header.
func headerParam(name string) (gateParam, bool) {
	switch {
	case foldName(name, "connection"):
		return pConnection, true
	case foldName(name, "x_http_method_override"), foldName(name, "x_http_method"), foldName(name, "x_method_override"):
		return pOverrideHeader, true
	case foldName(name, "x_original_url"), foldName(name, "x_rewrite_url"):
		return pRewriteURL, true
	}
	for i := pAPIKey; i < pMethodOverride; i++ {
		if foldName(name, paramNames[i]) {
			return i, true
		}
	}
	return 0, false
}

// foldName reports whether a header name equals want (lower case, "_"
// separated) ignoring case and treating "-" as "_".
func foldName(name, want string) bool {
	if len(name) != len(want) {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		} else if c == '-' {
			c = '_'
		}
		if c != want[i] {
			return false
		}
	}
	return true
}

// gatePrefix starts the name of every header the gate sets.
const gatePrefix = "X-Stackgate-"

// isGateHeader reports whether a header name is one of the gate's
// X-Stackgate-* in any case, with any other byte than a letter in place of
// either "-" (as CGI-style servers fold them).
func isGateHeader(name string) bool {
	if len(name) <= len(gatePrefix) {
		return false
	}
	for i := 0; i < len(gatePrefix); i++ {
		c, want := name[i], gatePrefix[i]
		if want == '-' {
			if 'a' <= c|0x20 && c|0x20 <= 'z' || '0' <= c && c <= '9' {
				return false
			}
			continue
		}
		if c|0x20 != want|0x20 {
			return false
		}
	}
	return true
}

// checkConnection refuses a Connection header that names a
// decision-relevant header: a proxy drops such headers before the
// upstream, which would then decide on less than the gate did.
func checkConnection(value string) error {
	for value != "" {
		var opt string
		opt, value, _ = strings.Cut(value, ",")
		opt = strings.TrimSpace(opt)
		if p, ok := headerParam(opt); ok && p != pConnection || isGateHeader(opt) {
			// A proxy drops what Connection names after the gate's headers
			// are set: they would not reach the upstream.
			return ambiguous("Connection", problemHopByHop)
		}
	}
	return nil
}

// readQuery collects the decision-relevant query parameters. Keys and
// values are decoded as url.ParseQuery decodes them; where ParseQuery would
// fail (a bad escape, a ";"), the request is refused.
func (v *gateValues) readQuery(q string) error {
	for q != "" {
		var kv string
		kv, q, _ = strings.Cut(q, "&")
		if strings.IndexByte(kv, ';') >= 0 {
			return ambiguous("query", problemQuery)
		}
		if kv == "" {
			continue
		}
		k, val, _ := strings.Cut(kv, "=")
		var err error
		if k, err = unescapeQuery(k); err != nil {
			return ambiguous("query", problemQuery)
		}
		if val, err = unescapeQuery(val); err != nil {
			return ambiguous("query", problemQuery)
		}
		p, ok := queryParam(k)
		if !ok {
			if p, ok = variantQueryKey(k); ok {
				return ambiguous(paramNames[p], problemVariant)
			}
			continue
		}
		if v.hasQ[p] {
			return ambiguous(paramNames[p], problemTwice)
		}
		v.query[p], v.hasQ[p] = val, true
	}
	return nil
}

// queryParam classifies a decoded query key spelled exactly as a parameter.
func queryParam(k string) (gateParam, bool) {
	for i := pAPIKey; i < nParams; i++ {
		if k == paramNames[i] {
			return i, true
		}
	}
	return 0, false
}

// variantQueryKey reports whether a decoded query key names a parameter in
// a spelling other than its own: another case, surrounding space, brackets
// ("environment[]", "environment[0]", which qs, PHP and Rails read as the
// parameter), or ".", " ", "-" or "[" where the name has "_" (PHP turns
// "api.key" into "api_key").
func variantQueryKey(k string) (gateParam, bool) {
	base := strings.TrimSpace(k)
	if i := strings.IndexByte(base, '['); i > 0 {
		base = strings.TrimSpace(base[:i])
	}
	for i := pAPIKey; i < nParams; i++ {
		if foldQueryKey(base, paramNames[i]) || foldQueryKey(k, paramNames[i]) {
			return i, true // k itself is not the exact name: queryParam saw it first
		}
	}
	return 0, false
}

// foldQueryKey compares a key with a parameter name ignoring case and
// treating ".", " ", "-" and "[" as "_".
func foldQueryKey(k, name string) bool {
	if len(k) != len(name) {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case c == '.' || c == ' ' || c == '-' || c == '[':
			c = '_'
		}
		if c != name[i] {
			return false
		}
	}
	return true
}

// unescapeQuery decodes a query key or value as url.ParseQuery does, only
// allocating when there is something to decode.
func unescapeQuery(s string) (string, error) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, nil
	}
	return url.QueryUnescape(s)
}
