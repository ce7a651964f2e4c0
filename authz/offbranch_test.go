package authz_test

import (
	"testing"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/authz"
)

// TestOffBranch: a refusal is marked OffBranch exactly when the branch
// alone refuses it, so that the edge can answer with Contentstack's branch
// code (901) and keep 316 for every other refusal.
func TestOffBranch(t *testing.T) {
	on := true
	read := stackgate.ACL{Read: &on}
	rw := stackgate.ACL{Read: &on, Write: &on}
	env := authz.NewEnvIndex([]*stackgate.Environment{{UID: "bltprod", Name: "production"}})
	devOnly := &stackgate.Role{UID: "bltdev", Name: "dev only", Rules: []stackgate.Rule{
		{Module: stackgate.ModuleBranch, Branches: []string{"development"}, ACL: read},
		{Module: stackgate.ModuleAsset, Assets: []string{stackgate.Wildcard}, ACL: read},
	}}
	mainNoAssets := &stackgate.Role{UID: "bltmain", Name: "main, entries", Rules: []stackgate.Rule{
		{Module: stackgate.ModuleBranch, Branches: []string{"main"}, ACL: read},
		{Module: stackgate.ModuleContentType, ContentTypes: []string{stackgate.Wildcard}, ACL: read},
	}}
	cm := &stackgate.Role{UID: "bltcm", Name: stackgate.RoleContentManager, System: true}
	member := func(roles ...*stackgate.Role) func(authz.Request) authz.Decision {
		m := authz.CompileMember(false, roles, env, nil)
		return m.Allowed
	}
	mgmt := authz.CompileManagementToken(&stackgate.ManagementToken{UID: "bltmt", Scope: []stackgate.ScopeEntry{
		{Module: stackgate.ModuleAsset, ACL: rw},
		{Module: stackgate.ModuleBranch, Branches: []string{"development"}, ACL: read},
	}}, nil)
	delivery := authz.CompileDeliveryToken(&stackgate.DeliveryToken{UID: "bltdt", Scope: []stackgate.ScopeEntry{
		{Module: stackgate.ModuleEnvironment, Environments: []string{"bltprod"}, ACL: read},
		{Module: stackgate.ModuleBranch, Branches: []string{"development"}, ACL: read},
	}}, env, nil)
	asset := func(branch string, a authz.Action) authz.Request {
		return authz.Request{Module: stackgate.ModuleAsset, Action: a, Branch: branch, Asset: "bltasset"}
	}
	for _, tc := range []struct {
		name             string
		decide           func(authz.Request) authz.Decision
		req              authz.Request
		allowed, offBrch bool
	}{
		{"role on its branch", member(devOnly), asset("development", authz.Read), true, false},
		{"role off its branch", member(devOnly), asset("main", authz.Read), false, true},
		{"role on its branch, right missing", member(devOnly), asset("development", authz.Update), false, false},
		{"two roles, both off the branch", member(devOnly, devOnly), asset("staging", authz.Read), false, true},
		{"two roles, one covers the branch but not the right", member(devOnly, mainNoAssets), asset("main", authz.Read), false, false},
		{"a system role covers every branch", member(cm, devOnly), authz.Request{Module: stackgate.ModuleContentType, Action: authz.Update, Branch: "main"}, false, false},
		{"no role at all", member(), asset("main", authz.Read), false, false},
		{"management token off its branch", func(r authz.Request) authz.Decision { return mgmt.Allowed(r) }, asset("main", authz.Read), false, true},
		{"management token on its branch", func(r authz.Request) authz.Decision { return mgmt.Allowed(r) }, asset("development", authz.Update), true, false},
		{"management token, forbidden module", func(r authz.Request) authz.Decision { return mgmt.Allowed(r) },
			authz.Request{Module: stackgate.ModuleDeliveryToken, Action: authz.Read, Branch: "main"}, false, false},
		{"delivery token off its branch", func(r authz.Request) authz.Decision { return delivery.Allowed(authz.CDA, r) },
			authz.Request{Module: stackgate.ModuleEntry, Action: authz.Read, Branch: "main", Environment: "production"}, false, true},
		{"delivery token off its environment", func(r authz.Request) authz.Decision { return delivery.Allowed(authz.CDA, r) },
			authz.Request{Module: stackgate.ModuleEntry, Action: authz.Read, Branch: "main", Environment: "staging"}, false, false},
		{"delivery token in scope", func(r authz.Request) authz.Decision { return delivery.Allowed(authz.CDA, r) },
			authz.Request{Module: stackgate.ModuleEntry, Action: authz.Read, Branch: "development", Environment: "production"}, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.decide(tc.req)
			if d.Allowed != tc.allowed || d.OffBranch != tc.offBrch {
				t.Fatalf("Allowed %v OffBranch %v (%s), want %v %v", d.Allowed, d.OffBranch, d.Reason, tc.allowed, tc.offBrch)
			}
		})
	}
}
