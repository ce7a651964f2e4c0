package service

import (
	"context"

	"github.com/stackgate/stackgate/authz"
)

// GateRequest is a request a proxy asks about: the original method and path,
// the credentials it carried, and the content coordinates it named.
type GateRequest struct {
	Credentials Credentials
	Method      string
	Path        string
	Environment string // environment query parameter (name or uid)
	Locale      string // locale query parameter
	Branch      string // branch header ("" = main; an alias counts for its branch)
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
}

// Decide authenticates the credential of req (401/412 come back as errors)
// and decides it: the original route must be in authz.Routes (an unknown
// route is denied, never allowed by default), and the principal must be
// allowed the route's module and action on the branch, environment and
// objects it names. /gate/auth and /gate/check both call it, so they cannot
// disagree.
func (s *Service) Decide(ctx context.Context, req GateRequest) (GateDecision, error) {
	p, err := s.AuthenticateAny(ctx, req.Credentials)
	if err != nil {
		return GateDecision{}, err
	}
	d := GateDecision{Principal: p, API: authz.CMA}
	if p.Kind == KindDeliveryToken || p.Kind == KindPreviewToken {
		d.API = authz.CDA
	}
	route, params, ok := authz.Match(d.API, req.Method, req.Path)
	if !ok {
		d.Reason = "route is not in the gate's route table"
		return d, nil
	}
	d.Route = route
	branch, ok := p.ResolveBranch(req.Branch)
	if !ok {
		d.Reason = "the branch header names no branch or alias of the stack" // never the value: it may be a misplaced secret
		return d, nil
	}
	d.Branch = branch
	areq := params.Request(route)
	areq.Branch = branch
	areq.Environment = req.Environment
	if areq.Locale == "" {
		areq.Locale = req.Locale
	}
	if d.API == authz.CDA && req.Environment == "" {
		d.Reason = "the environment query parameter is required with a delivery or preview token"
		return d, nil
	}
	dec := p.Allowed(d.API, areq)
	d.Allowed, d.Reason, d.Rule = dec.Allowed, dec.Reason, dec.Rule
	return d, nil
}
