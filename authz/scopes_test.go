package authz_test

import (
	"testing"

	"github.com/stackgate/stackgate/authz"
)

// TestRouteScopes pins the scope column of the route table: the scopes the
// OAuth issue names for the served routes, the content scopes of gated ones,
// none for what an OAuth token may not do.
func TestRouteScopes(t *testing.T) {
	for _, tc := range []struct {
		api          authz.API
		method, path string
		want         string
	}{
		{authz.CMA, "GET", "/v3/roles", "cm.roles.management:read"},
		{authz.CMA, "POST", "/v3/roles", "cm.roles.management:write"},
		{authz.CMA, "DELETE", "/v3/roles/blt1", "cm.roles.management:write"},
		{authz.CMA, "GET", "/v3/stacks/delivery_tokens", "cm.stack.delivery-tokens:read"},
		{authz.CMA, "POST", "/v3/stacks/delivery_tokens/blt1/preview_token", "cm.stack.delivery-tokens:write"},
		{authz.CMA, "PUT", "/v3/stacks/management_tokens/blt1", "cm.stack.management-tokens:write"},
		{authz.CMA, "GET", "/v3/stacks/management_tokens", "cm.stack.management-tokens:read"},
		{authz.CMA, "GET", "/v3/environments/production", "cm.environments.management:read"},
		{authz.CMA, "POST", "/v3/environments", "cm.environments.management:write"},
		{authz.CMA, "GET", "/v3/locales", "cm.languages.management:read"},
		{authz.CMA, "DELETE", "/v3/locales/fr-fr", "cm.languages.management:write"},
		{authz.CMA, "GET", "/v3/stacks/branches", "cm.branches.management:read"},
		{authz.CMA, "GET", "/v3/stacks/branch_aliases/live", "cm.branches.management:read"},
		{authz.CMA, "GET", "/v3/stacks", "cm.stacks.management:read"},
		{authz.CMA, "GET", "/v3/stacks/settings", "cm.stacks.management:read"},
		{authz.CMA, "POST", "/v3/stacks/share", "cm.stack.users:write"},
		{authz.CMA, "POST", "/v3/stacks/users/roles", "cm.stack.users:write"},
		{authz.CMA, "GET", "/v3/audit-logs", "cm.audit-logs:read"},
		{authz.CMA, "GET", "/v3/user", "user:read"},
		{authz.CMA, "GET", "/v3/content_types/blog/entries", "cm.entries.management:read"},
		{authz.CMA, "POST", "/v3/content_types/blog/entries/e1/publish", "cm.entries.management:write"},
		{authz.CMA, "PUT", "/v3/assets/a1", "cm.assets.management:write"},
		{authz.CMA, "GET", "/v3/content_types", "cm.content-types.management:read"},
		// No OAuth token may log in, out, or answer invitations; the CDA takes delivery tokens.
		{authz.CMA, "POST", "/v3/user-session", ""},
		{authz.CMA, "DELETE", "/v3/user-session", ""},
		{authz.CMA, "GET", "/v3/user/stack_invitations", ""},
		{authz.CDA, "GET", "/v3/content_types", ""},
	} {
		r, _, ok := authz.Match(tc.api, tc.method, tc.path)
		if !ok {
			t.Fatalf("%s %s matches no route", tc.method, tc.path)
		}
		if r.Scope != tc.want {
			t.Errorf("%s %s %s: scope %q, want %q", tc.api, tc.method, tc.path, r.Scope, tc.want)
		}
		if tc.want != "" && (!authz.KnownScope(tc.want) || !authz.ScopeGrants([]string{"x", tc.want}, r.Scope) || authz.ScopeGrants([]string{"x"}, r.Scope)) {
			t.Errorf("%s: KnownScope/ScopeGrants disagree", tc.want)
		}
	}
	// Every served CMA route but the session's is reachable by some scope.
	for _, r := range authz.Routes {
		if r.API == authz.CMA && r.Module != "user_session" && r.Scope == "" {
			t.Errorf("%s %s has no scope", r.Method, r.Pattern)
		}
	}
	if authz.KnownScope("cm.everything:write") || authz.ScopeGrants([]string{""}, "") {
		t.Error("an unknown or empty scope is granted")
	}
}
