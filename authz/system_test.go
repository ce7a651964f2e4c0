package authz_test

import (
	"testing"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/authz"
)

// TestSystemRoleRulesAgreeWithTheEngine: every right a system role's shown
// rules name, on every object they name, the engine grants a holder of that
// role, on any branch; a shown rule never claims more than is enforced.
func TestSystemRoleRulesAgreeWithTheEngine(t *testing.T) {
	env := authz.NewEnvIndex([]*stackgate.Environment{{UID: "bltprod", Name: "production"}}).
		WithLocales([]*stackgate.Locale{{UID: "bltfr", Code: "fr-fr"}})
	counted := 0
	for _, name := range []string{stackgate.RoleAdmin, stackgate.RoleDeveloper, stackgate.RoleContentManager} {
		m := authz.CompileMember(false, []*stackgate.Role{{UID: "blt" + name, Name: name, System: true}}, env, nil)
		for _, r := range authz.SystemRoleRules(name) {
			acts := map[authz.Action]*bool{authz.Read: r.ACL.Read, authz.Create: r.ACL.Create, authz.Update: r.ACL.Update,
				authz.Delete: r.ACL.Delete, authz.Publish: r.ACL.Publish}
			for act, shown := range acts {
				if !stackgate.True(shown) {
					continue
				}
				for _, branch := range []string{"main", "development"} {
					req := authz.Request{Module: r.Module, Action: act, Branch: branch, Asset: "bltasset", Locale: "fr-fr", Environment: "bltprod"}
					if d := m.Allowed(req); !d.Allowed {
						t.Errorf("%s shows %s %v but the engine refuses %+v: %s", name, r.Module, act, req, d.Reason)
					}
					counted++
				}
			}
		}
	}
	if counted == 0 {
		t.Fatal("no shown right was checked")
	}
}

// TestSystemRoleRulesAreCopies: a caller may change what it was given.
func TestSystemRoleRulesAreCopies(t *testing.T) {
	a := authz.SystemRoleRules(stackgate.RoleDeveloper)
	a[0].Locales[0] = "changed"
	*a[0].ACL.Read = false
	b := authz.SystemRoleRules(stackgate.RoleDeveloper)
	if b[0].Locales[0] != stackgate.Wildcard || !stackgate.True(b[0].ACL.Read) {
		t.Fatalf("a second call saw the first caller's change: %+v", b[0])
	}
	if got := authz.SystemRoleRules(stackgate.RoleAdmin); got == nil || len(got) != 0 {
		t.Fatalf("Admin rules = %#v, want an empty list", got)
	}
}
