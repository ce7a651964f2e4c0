package http

import (
	"context"
	"net/http"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/access"
	"github.com/stackgate/stackgate/authz"
)

// handle wraps a route: for stack routes it resolves the stack (412 first),
// authenticates the one credential (401), and asks the permission engine
// about the route's module and action on the requested branch (403) before
// the handler runs. Every error is rendered by Error, the handler's with the
// route's failure message (withFailure).
func (s *Server) handle(rt route, perm authz.Route) http.Handler {
	return withBodyLimit(MaxBodyBytes)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt.access == stack || rt.access == stackOrUser && !userForm(r) {
			p, err := s.authorize(w, r, perm)
			if p != nil && s.cmaLimit != nil {
				// Every request of a known credential counts, refused ones
				// (403, 422) included, and says what is left.
				if lerr := s.cmaLimit.take(w, r, p.Stack.UID); err == nil {
					err = lerr
				}
			}
			if err == nil {
				// The token's own limits, after the stack's (its headers win).
				err = s.admitToken(w.Header(), r, p, isWrite(r.Method), true)
			}
			if err != nil {
				Error(w, r, s.log, err)
				return
			}
			r = r.WithContext(context.WithValue(r.Context(), principalKey, p))
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && rt.access != gate {
			// A write: its audit entries get the request and then the reply.
			by := ""
			if p := principal(r); p != nil {
				by = p.Actor().UID
			}
			r = s.audited(r, by)
			c := &responseCapture{ResponseWriter: w}
			defer s.recordResponse(r, c)
			w = c
		}
		if err := rt.handle(w, r); err != nil {
			Error(w, r, s.log, withFailure(err, rt.failed))
		}
	}))
}

// authorize authenticates and decides a stack route's request. A refusal of
// an authenticated principal (403, 422) comes back with the principal, whom
// the caller must not let in but may count (--cma-rate-limit).
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, perm authz.Route) (*access.Principal, error) {
	authenticate := s.acc.Authenticate
	if bothDocumented(perm) {
		authenticate = s.acc.AuthenticateBoth
	}
	p, err := authenticate(r.Context(), credentials(r))
	if err != nil {
		return nil, err
	}
	if p.TokenExpiresHeader != nil {
		// A management token that expires says when, on every reply to it.
		w.Header()[hTokenExpires] = p.TokenExpiresHeader
	}
	i := info(r.Context())
	i.principal = p.Label()
	branch, ok := p.ResolveBranch(header(r, hBranch))
	if !ok {
		return p, errNoBranch("the branch named by the branch header does not exist")
	}
	d := p.Allowed(authz.CMA, authz.Request{Module: perm.Module, Action: perm.Action, Scope: perm.Scope, Branch: branch})
	switch {
	case d.OffBranch:
		return p, errOffBranch(branch, d.Reason)
	case !d.Allowed:
		return p, access.ErrForbidden(d.Reason)
	}
	return p, nil
}

// userForm reports whether a stackOrUser request is its user's form: no
// api_key and one user credential, an authtoken or a Bearer token. Anything
// else (a management token, both credentials, none) goes the stack way and
// is refused as it always was.
func userForm(r *http.Request) bool {
	if header(r, hAPIKey) != "" {
		return false
	}
	authtoken, authorization := header(r, hAuthtoken), header(r, hAuthorization)
	if authorization == "" {
		return authtoken != ""
	}
	_, bearer := access.BearerToken(authorization)
	return authtoken == "" && bearer
}

// routeUser authenticates the user of a user route that takes an OAuth
// user token too: the authtoken, or else a Bearer token holding the route's
// scope (GET /v3/user: user:read; GET /v3/stacks: cm.stacks.management:read).
func (s *Server) routeUser(r *http.Request, method, pattern string) (string, error) {
	a := header(r, hAuthorization)
	if a == "" || header(r, hAuthtoken) != "" {
		return s.user(r)
	}
	perm, _ := authz.Lookup(method, pattern)
	return s.acc.AuthenticateOAuthUser(r.Context(), a, perm.Scope)
}

// bothDocumented reports whether a route takes authtoken and authorization
// together: role create and update, whose page marks both required (spec
// §2 leaves it to the fidelity issue; access.AuthenticateBoth decides).
// Everywhere else both are refused (401 / 105).
func bothDocumented(perm authz.Route) bool {
	return perm.Module == stackgate.ModuleRole && (perm.Action == authz.Create || perm.Action == authz.Update)
}

// credentials reads the CMA credential headers. An empty header counts as
// absent.
func credentials(r *http.Request) access.Credentials {
	return access.Credentials{
		APIKey:        header(r, hAPIKey),
		Authtoken:     header(r, hAuthtoken),
		Authorization: header(r, hAuthorization),
	}
}

// principal returns the authenticated principal of a stack route.
func principal(r *http.Request) *access.Principal {
	p, _ := r.Context().Value(principalKey).(*access.Principal)
	return p
}

// actor returns who a stack route's writes are made by.
func actor(r *http.Request) stackgate.Actor { return principal(r).Actor() }

// user authenticates the authtoken of a user route (the user's own
// session, invitations) and returns the user's uid.
func (s *Server) user(r *http.Request) (string, error) {
	return s.acc.AuthenticateUser(r.Context(), header(r, hAuthtoken))
}

// hTokenExpires is the reply header naming when the management token that
// authenticated the request stops working (RFC 3339).
const hTokenExpires = "X-Stackgate-Token-Expires"
