package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/access"
	"github.com/stackgate/stackgate/service"
)

// The OAuth endpoints answer on the main listener for the CMA, UI and
// Developer Hub hosts alike (the official SDK derives app.… and
// developerhub-api.… from the CMA host; routing is on the path only).

// oauthDescriptions words the OAuth refusals (error_description, RFC 6749 §5.2).
var oauthDescriptions = map[service.OAuthProblem]string{
	service.ProblemGrantType:    "The grant_type is missing or not supported: use authorization_code, refresh_token or client_credentials.",
	service.ProblemClient:       "The client is unknown, or its client_secret is wrong.",
	service.ProblemClientSecret: "This grant needs the client's client_secret.",
	service.ProblemCode:         "The authorization code is unknown, used, expired, or was issued to another client.",
	service.ProblemVerifier:     "The code_verifier is missing, is not 43 to 128 unreserved characters (RFC 7636), or does not match the code_challenge.",
	service.ProblemRedirectURI:  "The redirect_uri is not registered for this app, is not the one the code was issued for, or is missing while the authorization request named one.",
	service.ProblemRefreshToken: "The refresh token is unknown, already used, or was issued to another client.",
	service.ProblemRefreshSpent: "The refresh token has expired (its sign-in is too old, or it went unused too long): sign in again.",
	service.ProblemScope:        "The scope asked for is beyond what the app may have.",
	service.ProblemMachine:      "Only a machine app installed on a stack may use client_credentials.",
	service.ProblemChallenge:    "A public app must send a code_challenge (an S256 digest: 43 base64url characters) with code_challenge_method S256.",
	service.ProblemResponseType: "Only response_type=code is supported.",
	service.ProblemRepeated:     "A parameter is given more than once, or the client authenticates both in the Authorization header and in the body.",
}

// oauthErrorBody is RFC 6749 §5.2's error response.
type oauthErrorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// writeOAuthError renders an OAuth refusal (Error calls it first): 401 for a client that failed to
// authenticate, 400 otherwise. It reports whether err was one.
func writeOAuthError(w http.ResponseWriter, err error) bool {
	var oe *service.OAuthError
	if !errors.As(err, &oe) {
		return false
	}
	status := http.StatusBadRequest
	if oe.Code == "invalid_client" {
		status = http.StatusUnauthorized
		w.Header().Set("WWW-Authenticate", `Basic realm="stackgate"`)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, oauthErrorBody{Error: oe.Code, Description: oauthDescriptions[oe.Problem]})
	return true
}

// oauthForm reads the parameters of a token or introspection request: a
// form body (RFC 6749), or a JSON object of strings; HTTP Basic credentials
// stand for client_id and client_secret. Any other Authorization header (the
// SDK sends a stale Bearer one when refreshing) is ignored.
func oauthForm(r *http.Request) (url.Values, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, &stackgate.Error{Code: stackgate.ETOOLARGE, Fields: map[string][]string{}, Err: err}
	}
	v := url.Values{}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "application/json" {
		if len(strings.TrimSpace(string(body))) > 0 {
			if v, err = oauthJSON(body); err != nil {
				return nil, err
			}
		}
	} else if v, err = url.ParseQuery(string(body)); err != nil {
		return nil, &service.OAuthError{Code: "invalid_request", Problem: service.ProblemGrantType}
	}
	// RFC 6749 §3.2: no parameter is given twice; which one counts would be
	// a guess (and a proxy may guess otherwise).
	for _, x := range v {
		if len(x) > 1 {
			return nil, &service.OAuthError{Code: "invalid_request", Problem: service.ProblemRepeated}
		}
	}
	if id, secret, ok := r.BasicAuth(); ok {
		id, err1 := url.QueryUnescape(id)
		secret, err2 := url.QueryUnescape(secret)
		// §2.3: one way of authenticating the client per request.
		if err1 != nil || err2 != nil || v.Has("client_secret") || v.Has("client_id") && v.Get("client_id") != id {
			return nil, &service.OAuthError{Code: "invalid_request", Problem: service.ProblemRepeated}
		}
		v.Set("client_id", id)
		v.Set("client_secret", secret)
	}
	return v, nil
}

// oauthJSON reads a JSON object's string members as parameters, keeping a
// key given twice twice (encoding/json would keep the last silently).
func oauthJSON(body []byte) (url.Values, error) {
	bad := &service.OAuthError{Code: "invalid_request", Problem: service.ProblemGrantType}
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, bad
	}
	v := url.Values{}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, bad
		}
		k, _ := t.(string)
		var x any
		if err := dec.Decode(&x); err != nil {
			return nil, bad
		}
		if seen[k] {
			return nil, &service.OAuthError{Code: "invalid_request", Problem: service.ProblemRepeated}
		}
		seen[k] = true
		if s, ok := x.(string); ok {
			v.Set(k, s)
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, bad
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, bad
	}
	return v, nil
}

// handleOAuthToken handles "POST /token", "POST /apps-api/token" and "POST
// /apps-api/apps/token".
func (s *Server) handleOAuthToken(w http.ResponseWriter, r *http.Request) error {
	f, err := oauthForm(r)
	if err != nil {
		return err
	}
	// A token request is credentials through and through (codes,
	// verifiers, refresh tokens, secrets): the audit entry of what it
	// revokes (a replay) keeps none of its body.
	ac := stackgate.AuditFrom(r.Context())
	ac.Request = nil
	r = r.WithContext(stackgate.WithAudit(r.Context(), ac))
	g, err := s.svc.Token(r.Context(), service.TokenRequest{GrantType: f.Get("grant_type"), ClientID: f.Get("client_id"),
		ClientSecret: f.Get("client_secret"), Code: f.Get("code"), CodeVerifier: f.Get("code_verifier"),
		RedirectURI: f.Get("redirect_uri"), RefreshToken: f.Get("refresh_token"), Scope: f.Get("scope")})
	if err != nil {
		return err
	}
	kind := "user"
	if g.Token.UserUID == "" {
		kind = "app"
	}
	info(r.Context()).principal = "oauth_" + kind + ":" + g.Token.AppUID
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": g.AccessToken, "refresh_token": g.RefreshToken, "token_type": "Bearer",
		"expires_in": g.ExpiresIn, "location": "NA", "region": "NA", "organization_uid": g.OrgUID,
		"user_uid": g.Token.UserUID, "authorization_type": kind, "stack_api_key": g.StackAPIKey,
		"scope": strings.Join(g.Token.Scopes, " "),
	})
	return nil
}

// handleOAuthIntrospect handles "POST /apps-api/introspect" (RFC 7662): an
// authenticated client's own live token is described, anything else is
// {"active":false}.
func (s *Server) handleOAuthIntrospect(w http.ResponseWriter, r *http.Request) error {
	f, err := oauthForm(r)
	if err != nil {
		return err
	}
	a, err := s.svc.IntrospectingClient(r.Context(), f.Get("client_id"), f.Get("client_secret"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	t, err := s.acc.OAuthToken(r.Context(), f.Get("token"))
	if stackgate.IsCode(err, stackgate.EUNAUTHORIZED) || err == nil && t.AppUID != a.UID {
		writeJSON(w, http.StatusOK, map[string]bool{"active": false})
		return nil
	} else if err != nil {
		return err
	}
	kind := "user"
	if t.UserUID == "" {
		kind = "app"
	}
	writeJSON(w, http.StatusOK, map[string]any{"active": true, "scope": strings.Join(t.Scopes, " "),
		"token_type": "Bearer", "exp": t.ExpiresAt.Unix(), "iat": t.CreatedAt.Unix(), "app_uid": t.AppUID,
		"sub": t.UserUID, "user_uid": t.UserUID, "authorization_type": kind})
	return nil
}

// consentBody is POST /manifests/{app_uid}/authorize's body.
type consentBody struct {
	ClientID            string `json:"client_id"`
	RedirectURI         string `json:"redirect_uri"`
	ResponseType        string `json:"response_type"`
	Scope               string `json:"scope"`
	State               string `json:"state"`
	CodeChallenge       string `json:"code_challenge"`
	CodeChallengeMethod string `json:"code_challenge_method"`
}

// handleOAuthAuthorize handles "POST /manifests/{app_uid}/authorize": the
// consent of the user whose authtoken it carries (the consent page's
// Authorize button, and scripts). A bad request is a Contentstack error,
// never a redirect.
func (s *Server) handleOAuthAuthorize(w http.ResponseWriter, r *http.Request) error {
	uid, err := s.user(r)
	if err != nil {
		return err
	}
	b, err := decode[consentBody](r, false)
	if err != nil {
		return err
	}
	to, err := s.svc.Authorize(r.Context(), uid, service.Consent{AppUID: r.PathValue("app_uid"), ClientID: b.ClientID,
		RedirectURI: b.RedirectURI, ResponseType: b.ResponseType, Scope: b.Scope, State: b.State,
		CodeChallenge: b.CodeChallenge, Method: b.CodeChallengeMethod})
	if err != nil {
		return consentError(err)
	}
	info(r.Context()).principal = "user:" + uid
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]string{"redirect_url": to}})
	return nil
}

// consentError turns an OAuth refusal of a consent into a Contentstack
// validation error on the parameter at fault.
func consentError(err error) error {
	var oe *service.OAuthError
	if !errors.As(err, &oe) {
		return err
	}
	field := string(oe.Problem)
	if oe.Problem == service.ProblemClient {
		field = "client_id"
	}
	return &stackgate.Error{Code: stackgate.EINVALID, Message: oauthDescriptions[oe.Problem],
		Fields: map[string][]string{field: {stackgate.ProblemNotValid}}, Err: errors.New(oe.Error())} // not wrapped: Error would render it as OAuth
}

// oauthUser is the user a manifests request acts for: the user of its Bearer
// token (which must be of the app in the path), or of its authtoken.
func (s *Server) oauthUser(r *http.Request) (string, error) {
	if v, ok := access.BearerToken(header(r, hAuthorization)); ok {
		t, err := s.acc.OAuthToken(r.Context(), v)
		if err != nil {
			return "", err
		}
		if t.UserUID == "" || t.AppUID != r.PathValue("app_uid") {
			return "", access.ErrForbidden("the token is not a user token of this app")
		}
		return t.UserUID, nil
	}
	return s.user(r)
}

// handleOAuthAuthorizations handles "GET /manifests/{app_uid}/authorizations":
// the caller's own authorizations of the app.
func (s *Server) handleOAuthAuthorizations(w http.ResponseWriter, r *http.Request) error {
	uid, err := s.oauthUser(r)
	if err != nil {
		return err
	}
	list, err := s.svc.Authorizations(r.Context(), r.PathValue("app_uid"), uid)
	if err != nil {
		return err
	}
	data := make([]map[string]any, 0, len(list))
	for _, a := range list {
		data = append(data, map[string]any{"authorization_uid": a.UID, "app_uid": a.AppUID,
			"user": map[string]string{"uid": a.UserUID}, "created_at": stackgate.FormatTime(a.CreatedAt)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data})
	return nil
}

// handleOAuthRevoke handles "DELETE
// /manifests/{app_uid}/authorizations/{authorization_uid}": logout. Every
// token the authorization gave stops working at once, on every node.
func (s *Server) handleOAuthRevoke(w http.ResponseWriter, r *http.Request) error {
	uid, err := s.oauthUser(r)
	if err != nil {
		return err
	}
	if err := s.svc.RevokeAuthorization(r.Context(), r.PathValue("app_uid"), r.PathValue("authorization_uid"), uid); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, notice{"Authorization revoked successfully."})
	return nil
}
