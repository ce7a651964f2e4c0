package access

import (
	"context"
	"crypto/sha256"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/authz"
)

// GateRequest is a request a proxy asks about, as the one request model of
// the HTTP edge parsed it: the API the proxy fronts, the original method
// and path, the credentials it carried, and the content coordinates it
// named.
type GateRequest struct {
	API         authz.API // which API the proxy fronts: cda, preview or cma
	Credentials Credentials
	Method      string
	Path        string // decoded, canonical
	Environment string // environment query parameter (name or uid)
	Locale      string // locale query parameter
	Branch      string // branch header ("" = main; an alias counts for its branch)

	// Body is what a publish-like request names in its body; nil when the
	// asker did not see the body (forward auth).
	Body *BodyScope

	// PreflightFor is, for a CORS preflight (OPTIONS with Origin and
	// Access-Control-Request-Method), the method it announces.
	PreflightFor string
}

// BodyScope is what the body of a publish, unpublish, bulk or deploy
// request names: every environment and locale, and for bulk requests the
// entries (with their content types) and assets. Empty lists name nothing.
type BodyScope struct {
	Environments []string
	Locales      []string
	Items        []BodyItem
}

// BodyItem is one entry or asset a bulk request names.
type BodyItem struct {
	ContentType string // entries only
	Entry       string
	Asset       string
	Locale      string
}

// GateDecision is the gate's answer, with why.
type GateDecision struct {
	Allowed   bool
	Principal *Principal
	API       authz.API
	Route     authz.Route // zero when no route matched
	Branch    string      // the branch decided on, aliases resolved
	Reason    string
	Rule      *authz.RuleRef
	// Refusal, on a refused decision, says which refusal it is when the wire
	// has a code of its own for it; RefusedByRule (zero) is the engine's 316.
	Refusal Refusal
}

// Refusal classifies refused gate decisions whose answer is not 403/316.
type Refusal uint8

const (
	RefusedByRule        Refusal = iota // 403 / 316
	RefusedNoBranch                     // 422 / 905: the branch header names no branch or alias
	RefusedOffBranch                    // 403 / 901: the branch is outside the principal's branches
	RefusedNoEnvironment                // 422 / 141: a CDA or preview request without environment
)

// Reasons of gate refusals that are not the engine's.
const (
	ReasonNoRoute       = "route is not in the gate's route table"
	reasonNoBranch      = "the branch named by the branch header does not exist"
	reasonNoEnvironment = "the environment query parameter is required with a delivery or preview token"
	// ReasonBodyScope explains why a forward-auth gate refuses a publish it
	// could otherwise allow.
	ReasonBodyScope = "the request names its environments and locales in its body, which a forward-auth gate " +
		"does not see, and the principal's right to it depends on them: send it through stackgate's proxy " +
		"listener (--cma-upstream), which reads the body"
	reasonBodyTooBroad = "the request's body names more environment, locale and item combinations than the gate decides"
	reasonPreflight    = "a CORS preflight carries no credential and reads nothing: the upstream answers it"
)

// maxBodyDecisions bounds the decisions one body-scoped request may cost.
const maxBodyDecisions = 4096

// Decide authenticates the credential req.API accepts (401/412 come back
// as errors) and decides it: the original route must be in authz.Routes
// (an unknown route is denied, never allowed by default), and the
// principal must be allowed the route's module and action on the branch,
// environment and objects it names — for publish-like requests, on every
// environment and locale their body names. Every gate endpoint and proxy
// listener calls it with a request from the one parser, so they cannot
// disagree.
func (a *Checker) Decide(ctx context.Context, req GateRequest) (GateDecision, error) {
	if req.PreflightFor != "" {
		return decidePreflight(req), nil
	}
	p, err := a.AuthenticateFor(ctx, req.API, req.Credentials)
	if err != nil {
		return GateDecision{}, err
	}
	d := GateDecision{Principal: p, API: req.API}
	route, params, ok := matchRoute(req.API, req.Method, req.Path)
	if !ok {
		d.Reason = ReasonNoRoute
		return d, nil
	}
	d.Route = route
	branch, ok := p.ResolveBranch(req.Branch)
	if !ok {
		d.Reason, d.Refusal = reasonNoBranch, RefusedNoBranch
		return d, nil
	}
	d.Branch = branch
	areq := params.Request(route)
	areq.Branch = branch
	areq.Environment = req.Environment
	if areq.Locale == "" {
		areq.Locale = req.Locale
	}
	if req.API != authz.CMA && req.Environment == "" {
		d.Reason, d.Refusal = reasonNoEnvironment, RefusedNoEnvironment
		return d, nil
	}
	if route.BodyScoped() && req.Body != nil {
		d.decideBody(p, areq, req.Body)
		return d, nil
	}
	dec := p.Allowed(req.API, areq)
	d.Allowed, d.Reason, d.Rule = dec.Allowed, dec.Reason, dec.Rule
	if dec.OffBranch {
		d.Refusal = RefusedOffBranch
	}
	if route.BodyScoped() && p.member != nil && p.member.LimitedBy(dec.Rule) {
		// Decided without the body: the environments and locales it names
		// could change the answer.
		d.Allowed, d.Reason = false, ReasonBodyScope
	}
	return d, nil
}

// decidePreflight lets a browser's CORS preflight through, with no
// principal, when the request it announces is on a route of the table:
// browsers send it without credentials, and the upstream answers it
// without content. The real request is decided when it comes.
func decidePreflight(req GateRequest) GateDecision {
	d := GateDecision{API: req.API, Branch: stackgate.MainBranch}
	route, _, ok := matchRoute(req.API, req.PreflightFor, req.Path)
	if !ok {
		d.Reason = ReasonNoRoute
		return d
	}
	d.Route, d.Allowed, d.Reason = route, true, reasonPreflight
	return d
}

// matchRoute is authz.Match for a gate request: on the preview service a
// path may come without /v3, as the Delivery SDK sends it there.
func matchRoute(api authz.API, method, path string) (authz.Route, authz.Params, bool) {
	route, params, ok := authz.Match(api, method, path)
	if !ok && api == authz.Preview && !hasV3(path) {
		route, params, ok = authz.Match(api, method, "/v3"+path)
	}
	return route, params, ok
}

func hasV3(path string) bool { return len(path) >= 4 && path[:4] == "/v3/" || path == "/v3" }

// decideBody decides a publish-like request on every combination of
// environment, locale and item its body names; all must be allowed. A body
// naming no environment (or locale) is decided as a request naming none.
func (d *GateDecision) decideBody(p *Principal, base authz.Request, body *BodyScope) {
	envs := body.Environments
	if len(envs) == 0 {
		envs = []string{base.Environment}
	}
	locales := body.Locales
	if len(locales) == 0 {
		locales = []string{base.Locale}
	}
	items := body.Items
	if len(items) == 0 {
		items = []BodyItem{{}}
	}
	if len(envs)*len(locales)*len(items) > maxBodyDecisions {
		d.Reason = reasonBodyTooBroad
		return
	}
	var last authz.Decision
	for _, it := range items {
		req := base
		if it.Entry != "" || it.ContentType != "" {
			req.Module, req.ContentType, req.Entry = stackgate.ModuleEntry, it.ContentType, it.Entry
		} else if it.Asset != "" {
			req.Module, req.Asset = stackgate.ModuleAsset, it.Asset
		}
		for _, env := range envs {
			req.Environment = env
			for _, loc := range locales {
				req.Locale = loc
				if it.Locale != "" {
					req.Locale = it.Locale
				}
				last = p.Allowed(d.API, req)
				if !last.Allowed {
					d.Allowed, d.Reason, d.Rule = false, last.Reason, last.Rule
					if last.OffBranch {
						d.Refusal = RefusedOffBranch
					}
					return
				}
			}
		}
	}
	d.Allowed, d.Reason, d.Rule = true, last.Reason, last.Rule
}

// AuthenticateFor authenticates the credential an API accepts, after the
// stack (412 first): on the CDA the delivery token (an accompanying
// preview token, which the Delivery SDK sends with Live Preview, is
// ignored), on the Preview Service the preview token (an accompanying
// delivery token is ignored), on the CMA an authtoken or management token.
// A credential of another API authenticates nothing.
func (a *Checker) AuthenticateFor(ctx context.Context, api authz.API, c Credentials) (*Principal, error) {
	switch api {
	case authz.CMA:
		if c.Authtoken == "" && c.Authorization == "" && (c.AccessToken != "" || c.PreviewToken != "") {
			if _, err := a.snapshotFor(ctx, c.APIKey); err != nil {
				return nil, err
			}
			return nil, errDeliveryOnCMA
		}
		return a.Authenticate(ctx, c)
	case authz.CDA, authz.Preview:
	default:
		return nil, ErrNoAPI
	}
	snap, err := a.snapshotFor(ctx, c.APIKey)
	if err != nil {
		return nil, err
	}
	preview := api == authz.Preview
	value := c.AccessToken
	if preview {
		value = c.PreviewToken
	}
	if value == "" {
		if preview {
			return nil, errNeedPreviewToken
		}
		return nil, errNeedAccessToken
	}
	var h [sha256.Size]byte
	a.keys.HashInto(&h, value)
	p, ok := snap.delivery[h]
	if preview {
		p, ok = snap.preview[h]
	}
	if !ok {
		var err error
		if p, err = a.deliverySlow(ctx, snap, h, value, preview); err != nil {
			return nil, err
		}
	}
	// Expiry, and the end of a rotated value's grace, are checked on every
	// request (on every node, by its clock), not by a sweeper.
	now := a.Now()
	if !p.notAfter.IsZero() && !now.Before(p.notAfter) {
		if preview {
			return nil, errBadPreviewToken
		}
		return nil, errBadAccessToken
	}
	p.use.record(now)
	return p, nil
}
