package http

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/access"
	"github.com/stackgate/stackgate/authz"
)

// The gate: reverse proxies ask stackgate whether a request may reach the
// content API behind them. Each proxy convention has its own endpoint and
// trusts only the headers that proxy overwrites:
//
//   - /gate/auth?api=… (any method) is for nginx auth_request: it reads
//     X-Original-Method and X-Original-URI, which proxy_set_header
//     overwrites, and ignores X-Forwarded-*.
//   - /gate/forward-auth?api=… is for Caddy forward_auth and Traefik
//     forwardAuth: it reads X-Forwarded-Method and X-Forwarded-Uri, which
//     they overwrite, and ignores X-Original-* (they copy every client
//     header, so a client could send those).
//   - POST /gate/check takes the same request as JSON and explains the
//     decision: which rule or scope entry allowed it, or what was missing.
//
// api (cda, preview or cma) says which API the proxy fronts; the gate's own
// query must be exactly "api=<name>", so nothing a client appends can
// change it. Allow is 200 with an empty body and X-Stackgate-* headers the
// upstream can trust; deny is 400/401/403/412 with the spec's JSON body.
// All of them, and the proxy listeners (proxy.go), parse the original
// request with parseGateRequest (gaterequest.go) and decide it with
// access.Checker.Decide.

const (
	gateAuthPath        = "/gate/auth"
	gateForwardAuthPath = "/gate/forward-auth"
)

// The canonical names of the gate's own headers.
var (
	hStackgateStack       = http.CanonicalHeaderKey("X-Stackgate-Stack")
	hStackgatePrincipal   = http.CanonicalHeaderKey("X-Stackgate-Principal")
	hStackgateBranch      = http.CanonicalHeaderKey("X-Stackgate-Branch")
	hStackgateEnvironment = http.CanonicalHeaderKey("X-Stackgate-Environment")
)

// gateHeaderNames are the headers an upstream may trust.
var gateHeaderNames = [...]string{hStackgateStack, hStackgatePrincipal, hStackgateBranch, hStackgateEnvironment}

// gateAPI reads the api of a gate request from the gate's own query, which
// must be exactly "api=cda", "api=preview" or "api=cma".
func gateAPI(rawQuery string) (authz.API, error) {
	name, ok := strings.CutPrefix(rawQuery, "api=")
	if !ok {
		return 0, errGateAPI
	}
	api, ok := authz.ParseAPI(name)
	if !ok {
		return 0, errGateAPI
	}
	return api, nil
}

var errGateAPI = &stackgate.Error{Code: stackgate.EBADREQUEST, Message: msgGateAPI,
	Fields: map[string][]string{"api": {"must be given once, as the only query parameter of the gate's URI: api=cda, api=preview or api=cma."}}}

// originalHeader returns the one value of a header a proxy sets for the
// gate; a missing or repeated one is refused.
func originalHeader(r *http.Request, canonical, wire string) (string, error) {
	v := r.Header[canonical]
	if len(v) != 1 || v[0] == "" {
		return "", ambiguous(wire, problemMissing)
	}
	return v[0], nil
}

// forwardAuthRequest reads the original request of a /gate/auth or
// /gate/forward-auth request.
func forwardAuthRequest(r *http.Request) (access.GateRequest, error) {
	api, err := gateAPI(r.URL.RawQuery)
	if err != nil {
		return access.GateRequest{}, err
	}
	hMethod, hURI, wMethod, wURI := hOriginalMethod, hOriginalURI, "X-Original-Method", "X-Original-URI"
	if r.URL.Path == gateForwardAuthPath {
		hMethod, hURI, wMethod, wURI = hForwardMethod, hForwardURI, "X-Forwarded-Method", "X-Forwarded-Uri"
	}
	method, err := originalHeader(r, hMethod, wMethod)
	if err != nil {
		return access.GateRequest{}, err
	}
	uri, err := originalHeader(r, hURI, wURI)
	if err != nil {
		return access.GateRequest{}, err
	}
	return parseGateRequest(api, method, uri, r.Header)
}

// handleGateAuth handles "/gate/auth" and "/gate/forward-auth" (any
// method).
func (s *Server) handleGateAuth(w http.ResponseWriter, r *http.Request) error {
	greq, err := forwardAuthRequest(r)
	if err != nil {
		s.metrics.gateDecision("none", statusOf(err))
		return err
	}
	d, err := s.decide(w.Header(), r, greq)
	if err != nil {
		return err
	}
	setGateHeaders(w.Header(), d, greq.Environment)
	w.WriteHeader(http.StatusOK)
	return nil
}

// decide asks the access checker, holds an allowed request to its token's
// limits (tokenlimits.go; X-RateLimit-* go in h) and counts the outcome; a
// refusal comes back as its error.
func (s *Server) decide(h http.Header, r *http.Request, greq access.GateRequest) (access.GateDecision, error) {
	start := time.Now()
	d, err := s.acc.Decide(r.Context(), greq)
	s.metrics.decided(greq.API, d, err, time.Since(start)) // opsmetrics.go
	if err != nil {
		s.metrics.gateDecision("none", statusOf(err))
		return d, err
	}
	kind := "preflight"
	if p := d.Principal; p != nil {
		kind = p.Kind.String()
		if i, ok := r.Context().Value(infoKey).(*reqInfo); ok {
			i.principal = p.Label()
		}
	}
	if !d.Allowed {
		err := gateRefusal(d)
		s.metrics.gateDecision(kind, statusOf(err))
		return d, err
	}
	if err := s.admitToken(h, r, d.Principal, isWrite(greq.Method), true); err != nil {
		// Only allowed requests count: nginx asks again about a refusal
		// (error_page … @stackgate_denied), which must not count twice.
		s.metrics.gateDecision(kind, statusOf(err))
		return d, err
	}
	s.metrics.gateDecision(kind, http.StatusOK)
	return d, nil
}

// setGateHeaders sets the headers an upstream may trust on an allowed
// request. Values are shared, precomputed slices where possible: this is
// the hot path of every proxied request.
func setGateHeaders(h http.Header, d access.GateDecision, environment string) {
	p := d.Principal
	if p == nil { // a preflight: nobody to vouch for
		for _, k := range gateHeaderNames {
			delete(h, k)
		}
		return
	}
	h[hStackgateStack] = p.StackHeader
	h[hStackgatePrincipal] = p.PrincipalHeader
	h[hStackgateBranch] = []string{d.Branch}
	if environment != "" {
		h[hStackgateEnvironment] = []string{environment}
	} else {
		delete(h, hStackgateEnvironment)
	}
}

// checkBody is the body of POST /gate/check: the request a proxy would
// forward, as JSON. path is the original request-target (query included);
// environment, locale and branch, when given, are added as the query
// parameters and header a client would send; headers adds any other
// header (a value or a list of values).
type checkBody struct {
	API        string `json:"api"`
	APIKey     string `json:"api_key"`
	Credential struct {
		Authtoken     string `json:"authtoken"`
		Authorization string `json:"authorization"`
		AccessToken   string `json:"access_token"`
		PreviewToken  string `json:"preview_token"`
	} `json:"credential"`
	Method      string                  `json:"method"`
	Path        string                  `json:"path"`
	Environment string                  `json:"environment"`
	Branch      string                  `json:"branch"`
	Locale      string                  `json:"locale"`
	Headers     map[string]headerValues `json:"headers"`
	// Body is the original request's body, for publish-like requests: as a
	// proxy listener, the gate decides on what it names; without it, as a
	// forward-auth gate that does not see it.
	Body json.RawMessage `json:"body"`
	// Client is the client address to hold the token's ip_allow to
	// (default: this request's client, as --trusted-proxies defines it).
	Client string `json:"client"`
}

// headerValues is a header's value or values in a check body.
type headerValues []string

func (v *headerValues) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*v = headerValues{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*v = many
	return nil
}

// request turns a check body into what a proxy would have asked.
func (b *checkBody) request() (access.GateRequest, error) {
	api, ok := authz.ParseAPI(b.API)
	if !ok {
		return access.GateRequest{}, errGateAPI
	}
	method := b.Method
	if method == "" {
		method = http.MethodGet
	}
	h := http.Header{}
	for name, values := range b.Headers {
		h[name] = append(h[name], values...)
	}
	for _, c := range []struct{ name, value string }{{"api_key", b.APIKey}, {"authtoken", b.Credential.Authtoken},
		{"authorization", b.Credential.Authorization}, {"access_token", b.Credential.AccessToken},
		{"preview_token", b.Credential.PreviewToken}, {"branch", b.Branch}} {
		if c.value != "" {
			k := http.CanonicalHeaderKey(c.name)
			h[k] = append(h[k], c.value)
		}
	}
	target := b.Path
	for _, q := range []struct{ name, value string }{{"environment", b.Environment}, {"locale", b.Locale}} {
		if q.value == "" {
			continue
		}
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		target += sep + q.name + "=" + url.QueryEscape(q.value)
	}
	req, err := parseGateRequest(api, method, target, h)
	if err != nil || len(b.Body) == 0 {
		return req, err
	}
	req.Body, err = readBodyScope(b.Body)
	return req, err
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
	// Scopes are an OAuth token's (its app is Name); the route's scope is route.scope.
	Scopes []string `json:"scopes,omitempty"`
}

type routeJSON struct {
	Method  string           `json:"method"`
	Pattern string           `json:"pattern"`
	Module  stackgate.Module `json:"module"`
	Action  string           `json:"action"`
	API     string           `json:"api"`
	Scope   string           `json:"scope,omitempty"` // the OAuth scope the route needs
}

// handleGateCheck handles "POST /gate/check": the decision the gate would
// make, explained. A check body that is not JSON, or names no api, is 400;
// a request the gate would refuse before deciding (400, 401, 412) is
// explained with the status and error the gate would answer.
func (s *Server) handleGateCheck(w http.ResponseWriter, r *http.Request) error {
	body, err := decode[checkBody](r, false)
	if err != nil {
		return err
	}
	if _, ok := authz.ParseAPI(body.API); !ok {
		return errGateAPI
	}
	req, err := body.request()
	var d access.GateDecision
	if err == nil {
		d, err = s.acc.Decide(r.Context(), req)
	}
	if err != nil {
		if stackgate.ErrorCode(err) == stackgate.EINTERNAL {
			return err
		}
		var e *stackgate.Error
		_ = asError(err, &e)
		m := errorMapping[e.Code]
		msg := errorMessage(e, m.status, m.message)
		writeJSON(w, http.StatusOK, checkReply{Status: m.status, Reason: msg,
			Error: &errorBody{ErrorMessage: msg, ErrorCode: m.code, Errors: e.Fields}})
		return nil
	}
	var limitErr error
	if d.Allowed && d.Principal != nil && d.Principal.Limited() {
		// The token's limits, reported and not counted: a check is not a use.
		client, perr := netip.ParseAddr(body.Client)
		if body.Client == "" {
			client, perr = netip.ParseAddr(s.clientAddr(r))
		}
		if perr != nil && d.Principal.NeedsClient() {
			return stackgate.FieldError(stackgate.EINVALID, "client", "is not an IP address.")
		}
		limitErr = s.admitFrom(nil, d.Principal, client, isWrite(req.Method), false)
	}
	reply := checkReply{Allowed: d.Allowed && limitErr == nil, Status: http.StatusOK, Reason: d.Reason, Branch: d.Branch}
	if p := d.Principal; p != nil {
		reply.Principal = &principalJSON{Kind: p.Kind.String(), UID: p.UID, Name: p.Name, Owner: p.Owner, Stack: p.Stack.APIKey,
			Scopes: p.Scopes()}
	}
	if d.Rule != nil {
		reply.Rule = d.Rule
	}
	if !reply.Allowed {
		refusal := limitErr
		if refusal == nil {
			refusal = gateRefusal(d)
		}
		var e *stackgate.Error
		_ = asError(refusal, &e)
		m := errorMapping[e.Code]
		reply.Status = m.status
		reply.Error = &errorBody{ErrorMessage: errorMessage(e, m.status, m.message), ErrorCode: m.code, Errors: e.Fields}
		if limitErr != nil {
			reply.Reason = limitReason(limitErr)
		}
	}
	if d.Route.Pattern != "" {
		reply.Route = &routeJSON{Method: d.Route.Method, Pattern: d.Route.Pattern, Module: d.Route.Module,
			Action: d.Route.Action.String(), API: d.API.String(), Scope: d.Route.Scope}
	}
	writeJSON(w, http.StatusOK, reply)
	return nil
}

// gateRefusal is the error a refused decision answers with: Contentstack's
// branch codes (905 for a branch that does not exist, 901 for one outside
// the principal's branches), 422/141 for a CDA or preview request without
// environment (the Delivery SDKs' own fixtures show {"environment": ["is
// required."]}), else 403/316.
func gateRefusal(d access.GateDecision) error {
	switch d.Refusal {
	case access.RefusedNoBranch:
		return errNoBranch(d.Reason)
	case access.RefusedOffBranch:
		return errOffBranch(d.Branch, d.Reason)
	case access.RefusedNoEnvironment:
		return &stackgate.Error{Code: stackgate.EINVALID, Message: "The environment query parameter is required.",
			Fields: map[string][]string{"environment": {stackgate.ProblemIsRequired}}, Err: errors.New(d.Reason)}
	}
	return access.ErrForbidden(d.Reason)
}

// errNoBranch refuses a branch header naming no branch or alias (905).
func errNoBranch(reason string) error {
	return &stackgate.Error{Code: stackgate.ENOBRANCH, Fields: map[string][]string{"branch": {stackgate.ProblemNotValid}},
		Err: errors.New(reason)}
}

// errOffBranch refuses a request on a branch outside the principal's
// branches, in Contentstack's words, which name the branch (901; the branch
// is one of the stack's, never the header's raw text).
func errOffBranch(branch, reason string) error {
	return &stackgate.Error{Code: stackgate.EOFFBRANCH, Fields: map[string][]string{},
		Message: "Access denied. You have insufficient permissions to perform operation on this branch '" + branch + "'.",
		Err:     errors.New(reason)}
}
