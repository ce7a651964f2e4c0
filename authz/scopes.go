package authz

import (
	"slices"
	"sort"

	"github.com/stackgate/stackgate"
)

// moduleScopes is the OAuth scope family of each module: a CMA route of the
// module needs family+":read" to read and family+":write" to create, update,
// delete or publish (Route.Scope). A module missing here cannot be reached
// with an OAuth token at all.
var moduleScopes = map[stackgate.Module]string{
	stackgate.ModuleRole:            "cm.roles.management",
	stackgate.ModuleDeliveryToken:   "cm.stack.delivery-tokens",
	stackgate.ModuleManagementToken: "cm.stack.management-tokens",
	stackgate.ModuleEnvironment:     "cm.environments.management",
	stackgate.ModuleLocale:          "cm.languages.management",
	stackgate.ModuleBranch:          "cm.branches.management",
	stackgate.ModuleBranchAlias:     "cm.branches.management",
	stackgate.ModuleStack:           "cm.stacks.management",
	stackgate.ModuleStackUser:       "cm.stack.users",
	stackgate.ModuleAuditLog:        "cm.audit-logs",
	// The content the gate guards.
	stackgate.ModuleContentType:  "cm.content-types.management",
	stackgate.ModuleEntry:        "cm.entries.management",
	stackgate.ModuleAsset:        "cm.assets.management",
	stackgate.ModuleFolder:       "cm.assets.management",
	stackgate.ModuleGlobalField:  "cm.global-fields.management",
	stackgate.ModuleTaxonomy:     "cm.taxonomies.management",
	stackgate.ModuleRelease:      "cm.releases.management",
	stackgate.ModuleWorkflow:     "cm.workflows.management",
	stackgate.ModuleWebhook:      "cm.webhooks.management",
	stackgate.ModuleExtension:    "cm.extensions.management",
	stackgate.ModuleLabel:        "cm.labels.management",
	stackgate.ModulePublishQueue: "cm.publish-queue.management",
}

// routeScopes are the scopes of routes that do not follow their module's
// family: of the user's own session routes only reading the user is open to
// OAuth tokens (login, logout and invitations take an authtoken).
var routeScopes = map[string]string{
	"GET /v3/user": "user:read",
}

// scopeOf is the scope a route needs; "" when no OAuth token may use it
// (the CDA's routes, the session routes but GET /v3/user).
func scopeOf(r *Route) string {
	if r.API != CMA {
		return ""
	}
	if s, ok := routeScopes[r.Method+" "+r.Pattern]; ok {
		return s
	}
	if r.Module == stackgate.ModuleUserSession {
		return ""
	}
	family, ok := moduleScopes[r.Module]
	if !ok {
		return ""
	}
	if r.Action == Read {
		return family + ":read"
	}
	return family + ":write"
}

// Scopes lists every scope some route needs, sorted: what an app may be
// given.
func Scopes() []string { return slices.Clone(knownScopes) }

var knownScopes []string

func initScopes() {
	seen := map[string]bool{}
	for i := range Routes {
		r := &Routes[i]
		r.Scope = scopeOf(r)
		if r.Scope != "" && !seen[r.Scope] {
			seen[r.Scope] = true
			knownScopes = append(knownScopes, r.Scope)
		}
	}
	sort.Strings(knownScopes)
}

// KnownScope reports whether some route needs scope s.
func KnownScope(s string) bool {
	_, ok := slices.BinarySearch(knownScopes, s)
	return ok
}

// ScopeGrants reports whether granted holds need; an empty need (a route no
// OAuth token may use) is never granted.
func ScopeGrants(granted []string, need string) bool {
	return need != "" && slices.Contains(granted, need)
}
