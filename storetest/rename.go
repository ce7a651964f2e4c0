package storetest

import (
	"testing"

	"github.com/stackgate/stackgate"
)

// testEnvironmentRename: UpdateEnvironment follows a rename into the role
// rules that name the environment by its old name, and nowhere else (rules
// naming it by uid, other environments, other stacks' roles and the roles'
// other fields stay as they were).
func testEnvironmentRename(t *testing.T, s stackgate.Store) {
	f := newFixture(t, s)
	other := newFixture(t, s)
	staging := f.environment(t, s, "staging")
	other.environment(t, s, "staging")
	yes := true
	envRule := func(envs ...string) stackgate.Rule {
		return stackgate.Rule{Module: stackgate.ModuleEnvironment, Environments: envs, ACL: stackgate.ACL{Read: &yes}}
	}
	role := func(fx *fixture, name string, rules ...stackgate.Rule) *stackgate.Role {
		r := fx.newRole(name)
		r.Rules = rules
		must(t, s.CreateRole(ctx(t), r, nil, nil, 0))
		return r
	}
	byName := role(f, "by name", envRule("production", "staging"), envRule("staging"))
	byUID := role(f, "by uid", envRule(staging.UID))
	unrelated := role(f, "unrelated", envRule("production"))
	// A branch rule naming "staging" is not an environment.
	branch := role(f, "branch", stackgate.Rule{Module: stackgate.ModuleBranch, Branches: []string{"staging"}, ACL: stackgate.ACL{Read: &yes}})
	elsewhere := role(other, "elsewhere", envRule("staging"))

	e := *staging
	e.Name, e.UpdatedAt = "preview", now()
	must(t, s.UpdateEnvironment(ctx(t), &e))

	for _, tc := range []struct {
		fx    *fixture
		role  *stackgate.Role
		rules []stackgate.Rule
	}{
		{f, byName, []stackgate.Rule{envRule("production", "preview"), envRule("preview")}},
		{f, byUID, byUID.Rules},
		{f, unrelated, unrelated.Rules},
		{f, branch, branch.Rules},
		{other, elsewhere, elsewhere.Rules},
	} {
		got, err := s.FindRole(ctx(t), tc.fx.stack, tc.role.UID)
		must(t, err)
		want := *tc.role
		want.Rules = tc.rules
		diff(t, "role "+tc.role.Name, &want, got)
	}
	// The renamed environment is still referenced through its uid.
	must(t, s.CreateDeliveryToken(ctx(t), f.newDeliveryToken("dt"), []stackgate.Ref{{Kind: stackgate.RefEnvironment, Value: "preview"}}, 0))
	wantCode(t, s.DeleteEnvironment(ctx(t), f.stack, staging.UID), stackgate.EINVALID, "environment")
}
