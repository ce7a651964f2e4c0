package http

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/authz"
	"github.com/stackgate/stackgate/console"
)

// routeAccess says what a route needs before its handler runs.
type routeAccess uint8

const (
	public      routeAccess = iota // no credential (login, health)
	session                        // an authtoken, no stack (the user's own session)
	stack                          // api_key + one CMA credential, authorized by the route's module and action
	stackOrUser                    // stack with an api_key; without one, a user's own (userForm): GET /v3/stacks
	gate                           // the gate decides itself (gate.go)
)

// route is one line of the API surface. failed is the error_message of the
// route's EINVALID and ECONFLICT errors ("<Kind> <verb> failed. Please try
// again."); empty, they say their code's sentence (http/errors.go).
type route struct {
	method  string
	pattern string
	access  routeAccess
	handle  handlerFunc
	failed  string
}

// routes is the entire API surface. Every stack route's module and action
// come from authz.Routes, the one route → permission table; buildMux panics
// if a route here has no entry there.
func (s *Server) routes() []route {
	// Token requests are credential attempts (codes, refresh tokens, client
	// secrets): each client address may make 20 a second, bursts of 100.
	token := withRateLimit(newLimiter(20, 100), s.handleOAuthToken)
	return []route{
		{"GET", "/healthz", public, s.handleHealth, ""},
		{"GET", "/readyz", public, s.handleReady, ""},
		{"GET", "/metrics", public, s.handleMetrics, ""},

		// Served on the fast path (Server.ServeHTTP); listed for the table.
		// STACKGATE-HOOK(issue 11): gateAuthLimited applies --gate-refusal-rate.
		{"", "/gate/auth", gate, s.gateAuthLimited, ""},
		{"", "/gate/forward-auth", gate, s.gateAuthLimited, ""},
		{"POST", "/gate/check", gate, s.handleGateCheck, ""},

		// OAuth (oauth.go, consent.go): the Developer Hub's and the UI's paths.
		{"POST", "/token", public, token, ""},
		{"POST", "/apps-api/token", public, token, ""},
		{"POST", "/apps-api/apps/token", public, token, ""},
		{"POST", "/apps-api/introspect", public, s.handleOAuthIntrospect, ""},
		{"POST", "/manifests/{app_uid}/authorize", public, s.handleOAuthAuthorize, "App authorization failed. Please try again."},
		{"GET", "/manifests/{app_uid}/authorizations", public, s.handleOAuthAuthorizations, ""},
		{"DELETE", "/manifests/{app_uid}/authorizations/{authorization_uid}", public, s.handleOAuthRevoke, ""},
		{"GET", "/manifests/{app_uid}/consent", public, s.handleConsentCheck, ""},
		{"GET", "/{$}", public, s.handleConsentPage, ""},
		{"GET", "/apps/{app_uid}/authorize", public, s.handleConsentPage, ""},
		{"GET", "/consent/{file}", public, s.handleConsentAsset, ""},

		{"POST", "/v3/user-session", public, withRateLimit(s.loginLimiter, s.handleLogin), "Looks like your email or password is invalid."},
		{"DELETE", "/v3/user-session", session, s.handleLogout, ""},
		{"GET", "/v3/user", session, s.handleUserGet, ""},
		{"GET", "/v3/user/sessions", session, s.handleSessionList, ""},
		{"DELETE", "/v3/user/sessions/{session_uid}", session, s.handleSessionDelete, ""},
		{"GET", "/v3/user/stack_invitations", session, s.handleInvitationList, ""},
		{"POST", "/v3/user/stack_invitations/{invitation_uid}/accept", session, s.handleInvitationAccept, "Invitation acceptance failed. Please try again."},
		{"DELETE", "/v3/user/stack_invitations/{invitation_uid}", session, s.handleInvitationDecline, ""},

		{"GET", "/v3/stacks", stackOrUser, s.handleStackGet, ""},
		{"GET", "/v3/stacks/settings", stack, s.handleStackSettings, ""},
		{"POST", "/v3/stacks/users/roles", stack, s.handleStackUsersRoles, "User roles update failed. Please try again."},
		{"POST", "/v3/stacks/share", stack, s.handleStackShare, "Stack sharing failed. Please try again."},
		{"POST", "/v3/stacks/unshare", stack, s.handleStackUnshare, "Stack unsharing failed. Please try again."},

		{"GET", "/v3/stacks/delivery_tokens", stack, s.handleDeliveryTokenList, ""},
		{"POST", "/v3/stacks/delivery_tokens", stack, s.handleDeliveryTokenCreate, "Delivery Token creation failed. Please try again."},
		{"GET", "/v3/stacks/delivery_tokens/{token_uid}", stack, s.handleDeliveryTokenGet, ""},
		{"PUT", "/v3/stacks/delivery_tokens/{token_uid}", stack, s.handleDeliveryTokenUpdate, "Delivery Token update failed. Please try again."},
		{"DELETE", "/v3/stacks/delivery_tokens/{token_uid}", stack, s.handleDeliveryTokenDelete, ""},
		{"POST", "/v3/stacks/delivery_tokens/{delivery_token_uid}/preview_token", stack, s.handlePreviewTokenCreate, ""},
		{"DELETE", "/v3/stacks/delivery_tokens/{delivery_token_uid}/preview_token", stack, s.handlePreviewTokenDelete, ""},
		{"POST", "/v3/stacks/delivery_tokens/{token_uid}/rotate", stack, s.handleDeliveryTokenRotate, "Delivery Token rotation failed. Please try again."},
		{"POST", "/v3/stacks/delivery_tokens/{delivery_token_uid}/preview_token/rotate", stack, s.handlePreviewTokenRotate, "Preview token rotation failed. Please try again."},

		{"GET", "/v3/stacks/management_tokens", stack, s.handleManagementTokenList, ""},
		{"POST", "/v3/stacks/management_tokens", stack, s.handleManagementTokenCreate, "Management Token creation failed. Please try again."},
		{"GET", "/v3/stacks/management_tokens/{token_uid}", stack, s.handleManagementTokenGet, ""},
		{"PUT", "/v3/stacks/management_tokens/{token_uid}", stack, s.handleManagementTokenUpdate, "Management Token update failed. Please try again."},
		{"DELETE", "/v3/stacks/management_tokens/{token_uid}", stack, s.handleManagementTokenDelete, ""},
		{"POST", "/v3/stacks/management_tokens/{token_uid}/rotate", stack, s.handleManagementTokenRotate, "Management Token rotation failed. Please try again."},

		{"GET", "/v3/roles", stack, s.handleRoleList, ""},
		{"POST", "/v3/roles", stack, s.handleRoleCreate, "Role creation failed. Please try again."},
		{"GET", "/v3/roles/{role_uid}", stack, s.handleRoleGet, ""},
		{"PUT", "/v3/roles/{role_uid}", stack, s.handleRoleUpdate, "Role update failed. Please try again."},
		{"DELETE", "/v3/roles/{role_uid}", stack, s.handleRoleDelete, ""},

		{"GET", "/v3/environments", stack, s.handleEnvironmentList, ""},
		{"POST", "/v3/environments", stack, s.handleEnvironmentCreate, "Environment creation failed. Please try again."},
		{"GET", "/v3/environments/{environment_name}", stack, s.handleEnvironmentGet, ""},
		{"PUT", "/v3/environments/{environment_name}", stack, s.handleEnvironmentUpdate, "Environment update failed. Please try again."},
		{"DELETE", "/v3/environments/{environment_name}", stack, s.handleEnvironmentDelete, "Environment deletion failed. Please try again."},

		{"GET", "/v3/locales", stack, s.handleLocaleList, ""},
		{"POST", "/v3/locales", stack, s.handleLocaleCreate, "Language creation failed. Please try again."},
		{"GET", "/v3/locales/{locale_code}", stack, s.handleLocaleGet, ""},
		{"PUT", "/v3/locales/{locale_code}", stack, s.handleLocaleUpdate, "Language update failed. Please try again."},
		{"DELETE", "/v3/locales/{locale_code}", stack, s.handleLocaleDelete, "Language deletion failed. Please try again."},

		{"GET", "/v3/stacks/branches", stack, s.handleBranchList, ""},
		{"POST", "/v3/stacks/branches", stack, s.handleBranchCreate, "Branch creation failed. Please try again."},
		{"GET", "/v3/stacks/branches/{branch_uid}", stack, s.handleBranchGet, ""},
		{"DELETE", "/v3/stacks/branches/{branch_uid}", stack, s.handleBranchDelete, "Branch deletion failed. Please try again."},
		{"GET", "/v3/stacks/branch_aliases", stack, s.handleBranchAliasList, ""},
		{"GET", "/v3/stacks/branch_aliases/{alias_uid}", stack, s.handleBranchAliasGet, ""},
		{"PUT", "/v3/stacks/branch_aliases/{alias_uid}", stack, s.handleBranchAliasPut, "Branch alias update failed. Please try again."},
		{"DELETE", "/v3/stacks/branch_aliases/{alias_uid}", stack, s.handleBranchAliasDelete, "Branch alias deletion failed. Please try again."},

		{"GET", "/v3/stacks/token_webhook", stack, s.handleTokenWebhookGet, ""},
		{"PUT", "/v3/stacks/token_webhook", stack, s.handleTokenWebhookPut, "Token webhook update failed. Please try again."},
		{"DELETE", "/v3/stacks/token_webhook", stack, s.handleTokenWebhookDelete, ""},
		{"POST", "/v3/stacks/token_webhook/rotate_secret", stack, s.handleTokenWebhookRotateSecret, ""},

		{"GET", "/v3/audit-logs", stack, s.handleAuditLogList, ""},
		{"GET", "/v3/audit-logs/{log_uid}", stack, s.handleAuditLogGet, ""},
	}
}

// handlerFunc is a handler that returns its error for handle to render.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// buildMux registers every route, a method-less pattern per path that
// answers 405 in the spec's shape, and a catch-all 404.
func (s *Server) buildMux() *http.ServeMux {
	mux := http.NewServeMux()
	paths := map[string]bool{}
	for _, rt := range s.routes() {
		var perm authz.Route
		if rt.access == stack || rt.access == stackOrUser {
			p, ok := authz.Lookup(rt.method, rt.pattern)
			if !ok {
				panic(fmt.Sprintf("http: route %s %s has no entry in authz.Routes", rt.method, rt.pattern))
			}
			perm = p
		}
		full := strings.TrimSpace(rt.method + " " + rt.pattern)
		mux.Handle(full, s.handle(rt, perm))
		s.metrics.register(full)
		if rt.method != "" {
			paths[rt.pattern] = true
		}
	}
	s.metrics.register("/")
	s.metrics.register("unmatched")
	for p := range paths {
		s.metrics.register(p)
		mux.Handle(p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			Error(w, r, nil, &stackgate.Error{Code: stackgate.EMETHOD})
		}))
	}
	// The web console: static files (package console) that call the routes
	// above like any other client.
	con := console.New()
	for _, p := range []string{console.Prefix, console.Prefix + "/"} {
		mux.Handle(p, con)
		s.metrics.register(p)
	}
	// Everything else is 404, unless the main listener proxies the CMA:
	// then every /v3 route stackgate does not serve goes to the gate and,
	// allowed, upstream.
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cma != nil && strings.HasPrefix(r.URL.Path, "/v3/") {
			s.cma.ServeHTTP(w, r)
			return
		}
		Error(w, r, nil, &stackgate.Error{Code: stackgate.EROUTE})
	}))
	return mux
}
