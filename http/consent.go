package http

import (
	"embed"
	"net/http"
	"strings"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/service"
)

// The consent page: static HTML, CSS and one JS module served from the
// binary, under a CSP that allows nothing but this origin's own files (no
// inline script or style, no third party). The page reads the authorization
// request in the browser, since the official SDK puts it partly in a
// fragment the server never sees, and asks GET /manifests/{app_uid}/consent
// to check it before showing anything.

//go:embed consent/index.html consent/consent.js consent/consent.css
var consentFiles embed.FS

const consentCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
	"form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

// handleConsentPage handles "GET /{$}" (the UI host's root, where the SDK's
// authorize URL points with a #!/apps/{app_uid}/authorize fragment) and "GET
// /apps/{app_uid}/authorize".
func (s *Server) handleConsentPage(w http.ResponseWriter, r *http.Request) error {
	return serveConsentFile(w, "consent/index.html", "text/html; charset=utf-8")
}

// handleConsentAsset handles "GET /consent/{file}".
func (s *Server) handleConsentAsset(w http.ResponseWriter, r *http.Request) error {
	switch f := r.PathValue("file"); f {
	case "consent.js":
		return serveConsentFile(w, "consent/"+f, "text/javascript; charset=utf-8")
	case "consent.css":
		return serveConsentFile(w, "consent/"+f, "text/css; charset=utf-8")
	}
	return &stackgate.Error{Code: stackgate.EROUTE}
}

func serveConsentFile(w http.ResponseWriter, name, contentType string) error {
	b, err := consentFiles.ReadFile(name)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Security-Policy", consentCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer") // the query holds the PKCE challenge and state
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(b)
	return err
}

// scopeWords says what each scope lets an app do, for the consent page.
var scopeWords = map[string]string{
	"cm.roles.management":         "roles",
	"cm.stack.delivery-tokens":    "delivery tokens",
	"cm.stack.management-tokens":  "management tokens",
	"cm.environments.management":  "environments",
	"cm.languages.management":     "languages",
	"cm.branches.management":      "branches and branch aliases",
	"cm.stacks.management":        "stack details and settings",
	"cm.stack.users":              "the stack's users and their roles",
	"cm.audit-logs":               "the audit log",
	"cm.content-types.management": "content types",
	"cm.entries.management":       "entries",
	"cm.assets.management":        "assets and folders",
	"cm.global-fields.management": "global fields",
	"cm.taxonomies.management":    "taxonomies and terms",
	"cm.releases.management":      "releases",
	"cm.workflows.management":     "workflows",
	"cm.webhooks.management":      "webhooks",
	"cm.extensions.management":    "extensions",
	"cm.labels.management":        "labels",
	"cm.publish-queue.management": "the publish queue",
}

// describeScope is a scope in words.
func describeScope(scope string) string {
	if scope == "user:read" {
		return "See your user profile (name and e-mail)"
	}
	family, action, _ := strings.Cut(scope, ":")
	what, ok := scopeWords[family]
	if !ok {
		return scope
	}
	if action == "read" {
		return "See " + what
	}
	return "Create, change and delete " + what
}

// handleConsentCheck handles "GET /manifests/{app_uid}/consent": it checks
// an authorization request as POST …/authorize would (without recording
// anything) and returns what the consent page shows: the app, the scopes in
// words, the redirect URI the code will go to, the URL Deny sends the user
// to, and for a machine app that it is installed on a stack
// ({"installed":true}), with the stack's name and api_key only when the
// request's authtoken is a member's (anyone may ask with a client_id; the
// page asks again once signed in). A bad request, or an authtoken that is no
// session, is a Contentstack error and the page never redirects.
func (s *Server) handleConsentCheck(w http.ResponseWriter, r *http.Request) error {
	var uid string
	if header(r, hAuthtoken) != "" {
		var err error
		if uid, err = s.user(r); err != nil {
			return err
		}
	}
	q := r.URL.Query()
	c := service.Consent{AppUID: r.PathValue("app_uid"), ClientID: q.Get("client_id"), RedirectURI: q.Get("redirect_uri"),
		ResponseType: q.Get("response_type"), Scope: q.Get("scope"), State: q.Get("state"),
		CodeChallenge: q.Get("code_challenge"), Method: q.Get("code_challenge_method")}
	a, redirect, scopes, err := s.svc.ConsentApp(r.Context(), c)
	if err != nil {
		return consentError(err)
	}
	words := make([]map[string]string, 0, len(scopes))
	for _, sc := range scopes {
		words = append(words, map[string]string{"scope": sc, "description": describeScope(sc)})
	}
	var stack map[string]any
	if a.StackUID != "" {
		stack = map[string]any{"installed": true}
		if st, err := s.svc.AppStack(r.Context(), a, uid); err == nil {
			stack["name"], stack["api_key"] = st.Name, st.APIKey
		} else if !stackgate.IsCode(err, stackgate.ENOTFOUND) {
			return err
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{"app": map[string]string{"uid": a.UID, "name": a.Name},
		"scopes": words, "stack": stack, "redirect_uri": redirect, "deny_url": service.DenyURL(redirect, c)})
	return nil
}
