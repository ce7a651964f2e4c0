package http

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/service"
)

// The gate: reverse proxies ask stackgate whether a request may reach the
// content API behind them.
//
//   - /gate/auth (any method) is for nginx auth_request (X-Original-Method,
//     X-Original-URI) and Traefik/Caddy forward auth (X-Forwarded-Method,
//     X-Forwarded-Uri). Allow is 200 with an empty body and X-Stackgate-*
//     headers the upstream can trust; deny is 401/403/412 with the spec's
//     JSON error body.
//   - /gate/check (POST) takes the same request as JSON and explains the
//     decision: which rule or scope entry allowed it, or what was missing.

// gateRequest reads the original request from forward-auth headers. It
// parses the original URI by hand: this runs on every proxied request, and
// only four query parameters matter.
func gateRequest(r *http.Request) service.GateRequest {
	method := firstHeader(r, hOriginalMethod, hForwardMethod)
	if method == "" {
		method = r.Method
	}
	uri := firstHeader(r, hOriginalURI, hForwardURI)
	if uri == "" {
		uri = r.URL.RequestURI()
	}
	path, rawQuery, _ := strings.Cut(uri, "?")
	if i := strings.Index(path, "://"); i >= 0 { // absolute form: drop scheme and host
		if j := strings.IndexByte(path[i+3:], '/'); j >= 0 {
			path = path[i+3+j:]
		} else {
			path = "/"
		}
	}
	if strings.IndexByte(path, '%') >= 0 {
		// An encoded slash, backslash or dot could make the upstream see
		// another path than the one decided here: such paths match nothing.
		lower := strings.ToLower(path)
		if strings.Contains(lower, "%2f") || strings.Contains(lower, "%5c") || strings.Contains(lower, "%2e") {
			path = ""
		} else if p, err := url.PathUnescape(path); err == nil {
			path = p
		} else {
			path = "" // undecodable: matches no route
		}
	}
	var qAPIKey, qAccessToken, qEnvironment, qLocale string
	for rawQuery != "" {
		var kv string
		kv, rawQuery, _ = strings.Cut(rawQuery, "&")
		k, v, _ := strings.Cut(kv, "=")
		if strings.ContainsAny(v, "%+") {
			if u, err := url.QueryUnescape(v); err == nil {
				v = u
			}
		}
		switch k {
		case "api_key":
			qAPIKey = v
		case "access_token":
			qAccessToken = v
		case "environment":
			qEnvironment = v
		case "locale":
			qLocale = v
		}
	}
	c := service.Credentials{
		APIKey:        or(header(r, hAPIKey), qAPIKey),
		AccessToken:   or(header(r, hAccessToken), qAccessToken),
		PreviewToken:  header(r, hPreviewToken),
		Authtoken:     header(r, hAuthtoken),
		Authorization: header(r, hAuthorization),
	}
	c.HasAuthtoken, c.HasAuthorizat = c.Authtoken != "", c.Authorization != ""
	if m := strings.ToUpper(method); m != method {
		method = m
	}
	return service.GateRequest{Credentials: c, Method: method, Path: path,
		Environment: qEnvironment, Locale: qLocale, Branch: header(r, hBranch)}
}

func firstHeader(r *http.Request, canonical ...string) string {
	for _, n := range canonical {
		if v := header(r, n); v != "" {
			return v
		}
	}
	return ""
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// handleGateAuth handles "/gate/auth" (any method).
func (s *Server) handleGateAuth(w http.ResponseWriter, r *http.Request) error {
	greq := gateRequest(r)
	d, err := s.svc.Decide(r.Context(), greq)
	if err != nil {
		s.metrics.gateDecision("none", statusOf(err))
		return err
	}
	p := d.Principal
	if i, ok := r.Context().Value(infoKey).(*reqInfo); ok {
		i.principal = p.Kind.String() + ":" + p.UID
	}
	if !d.Allowed {
		s.metrics.gateDecision(p.Kind.String(), http.StatusForbidden)
		return service.ErrForbidden(d.Reason)
	}
	s.metrics.gateDecision(p.Kind.String(), http.StatusOK)
	// Values are shared, precomputed slices where possible: this is the
	// hot path of every proxied request.
	h := w.Header()
	h["X-Stackgate-Stack"] = p.StackHeader
	h["X-Stackgate-Principal"] = p.PrincipalHeader
	h["X-Stackgate-Branch"] = []string{d.Branch}
	if greq.Environment != "" {
		h["X-Stackgate-Environment"] = []string{greq.Environment}
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// checkBody is the body of POST /gate/check.
type checkBody struct {
	APIKey     string `json:"api_key"`
	Credential struct {
		Authtoken     string `json:"authtoken"`
		Authorization string `json:"authorization"`
		AccessToken   string `json:"access_token"`
		PreviewToken  string `json:"preview_token"`
	} `json:"credential"`
	Method      string `json:"method"`
	Path        string `json:"path"`
	Environment string `json:"environment"`
	Branch      string `json:"branch"`
	Locale      string `json:"locale"`
}

type checkReply struct {
	Allowed   bool           `json:"allowed"`
	Status    int            `json:"status"`
	Principal *principalJSON `json:"principal"`
	Reason    string         `json:"reason"`
	Rule      any            `json:"rule"`
	Route     *routeJSON     `json:"route,omitempty"`
	Branch    string         `json:"branch,omitempty"`
	Error     *errorBody     `json:"error,omitempty"`
}

type principalJSON struct {
	Kind  string `json:"kind"`
	UID   string `json:"uid"`
	Name  string `json:"name,omitempty"`
	Owner bool   `json:"owner,omitempty"`
	Stack string `json:"stack"`
}

type routeJSON struct {
	Method  string `json:"method"`
	Pattern string `json:"pattern"`
	Module  string `json:"module"`
	Action  string `json:"action"`
	API     string `json:"api"`
}

// handleGateCheck handles "POST /gate/check": the decision /gate/auth would
// make, explained.
func (s *Server) handleGateCheck(w http.ResponseWriter, r *http.Request) error {
	body, _, err := decode[checkBody](r, false)
	if err != nil {
		return err
	}
	method := strings.ToUpper(body.Method)
	if method == "" {
		method = http.MethodGet
	}
	path, rawQuery, _ := strings.Cut(body.Path, "?")
	q, _ := url.ParseQuery(rawQuery)
	c := service.Credentials{APIKey: body.APIKey, Authtoken: body.Credential.Authtoken, Authorization: body.Credential.Authorization,
		AccessToken: body.Credential.AccessToken, PreviewToken: body.Credential.PreviewToken}
	c.HasAuthtoken, c.HasAuthorizat = c.Authtoken != "", c.Authorization != ""
	req := service.GateRequest{Credentials: c, Method: method, Path: path, Environment: body.Environment,
		Locale: body.Locale, Branch: body.Branch}
	if req.Environment == "" {
		req.Environment = q.Get("environment")
	}
	if req.Locale == "" {
		req.Locale = q.Get("locale")
	}
	d, err := s.svc.Decide(r.Context(), req)
	if err != nil {
		if stackgate.ErrorCode(err) == stackgate.EINTERNAL {
			return err
		}
		var e *stackgate.Error
		_ = asError(err, &e)
		m := errorMapping[e.Code]
		writeJSON(w, http.StatusOK, checkReply{Status: m.status, Reason: e.Message,
			Error: &errorBody{ErrorMessage: e.Message, ErrorCode: m.code, Errors: e.Fields}})
		return nil
	}
	p := d.Principal
	reply := checkReply{Allowed: d.Allowed, Status: http.StatusOK, Reason: d.Reason, Branch: d.Branch,
		Principal: &principalJSON{Kind: p.Kind.String(), UID: p.UID, Name: p.Name, Owner: p.Owner, Stack: p.Stack.APIKey}}
	if d.Rule != nil {
		reply.Rule = d.Rule
	}
	if !d.Allowed {
		reply.Status = http.StatusForbidden
	}
	if d.Route.Pattern != "" {
		reply.Route = &routeJSON{Method: d.Route.Method, Pattern: d.Route.Pattern, Module: d.Route.Module,
			Action: d.Route.Action.String(), API: d.API.String()}
	}
	writeJSON(w, http.StatusOK, reply)
	return nil
}
