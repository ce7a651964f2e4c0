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

// gateRequest reads the original request from forward-auth headers.
func gateRequest(r *http.Request) service.GateRequest {
	method := firstHeader(r, "X-Original-Method", "X-Forwarded-Method")
	if method == "" {
		method = r.Method
	}
	uri := firstHeader(r, "X-Original-URI", "X-Forwarded-Uri")
	if uri == "" {
		uri = r.URL.RequestURI()
	}
	path, rawQuery, _ := strings.Cut(uri, "?")
	if u, err := url.Parse(uri); err == nil && u.Path != "" {
		path = u.Path // absolute-form URIs, percent-decoding
	}
	q, _ := url.ParseQuery(rawQuery)
	c := service.Credentials{
		APIKey:        orQuery(r.Header.Get("api_key"), q, "api_key"),
		AccessToken:   orQuery(r.Header.Get("access_token"), q, "access_token"),
		PreviewToken:  r.Header.Get("preview_token"),
		Authtoken:     r.Header.Get("authtoken"),
		Authorization: r.Header.Get("authorization"),
	}
	c.HasAuthtoken, c.HasAuthorizat = c.Authtoken != "", c.Authorization != ""
	return service.GateRequest{Credentials: c, Method: strings.ToUpper(method), Path: path,
		Environment: q.Get("environment"), Locale: q.Get("locale"), Branch: r.Header.Get("branch")}
}

func firstHeader(r *http.Request, names ...string) string {
	for _, n := range names {
		if v := r.Header.Get(n); v != "" {
			return v
		}
	}
	return ""
}

func orQuery(v string, q url.Values, name string) string {
	if v != "" {
		return v
	}
	return q.Get(name)
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
	info(r.Context()).principal = p.Kind.String() + ":" + p.UID
	if !d.Allowed {
		s.metrics.gateDecision(p.Kind.String(), http.StatusForbidden)
		return service.ErrForbidden(d.Reason)
	}
	s.metrics.gateDecision(p.Kind.String(), http.StatusOK)
	h := w.Header()
	h.Set("X-Stackgate-Stack", p.Stack.APIKey)
	h.Set("X-Stackgate-Principal", p.Kind.String()+":"+p.UID)
	h.Set("X-Stackgate-Branch", d.Branch)
	if greq.Environment != "" {
		h.Set("X-Stackgate-Environment", greq.Environment)
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
