package http_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/internal/testdb"
)

// TestBodyProblemsAfterLookup: the rules of a role body and the scope of a
// token body are decoded at the edge, but their problems are reported where
// the use case reports its own: after the object the path names is found
// (an unknown one is "doesn't exist", a system role a 403, whatever the
// body), and
// together with the problems only the stack can tell (an unknown
// environment), in the order they always came.
func TestBodyProblemsAfterLookup(t *testing.T) {
	f := newFixture(t, testdb.SQLite)
	create := func(path string, body any) string {
		t.Helper()
		r := f.do(req{method: "POST", path: path, headers: f.as(Owner), body: body})
		if r.status != 201 && r.status != 200 {
			t.Fatalf("POST %s: %d %s", path, r.status, r.raw)
		}
		for _, v := range r.body {
			if obj, ok := v.(map[string]any); ok && obj["uid"] != nil {
				return obj["uid"].(string)
			}
		}
		t.Fatalf("POST %s: no uid in %s", path, r.raw)
		return ""
	}
	role := create(rolesPath, rolePayload("Editors", ruleBranch("main")))
	dt := create("/v3/stacks/delivery_tokens", deliveryTokenBody("d", standardDeliveryScope()...))
	mt := create("/v3/stacks/management_tokens", map[string]any{"token": map[string]any{"name": "m",
		"scope": []any{map[string]any{"module": "$all", "acl": map[string]any{"read": true}}, scopeBranch("main")}}})

	badRules := map[string]any{"role": map[string]any{"rules": []any{
		map[string]any{"module": "nope"},
		map[string]any{"module": "entry", "acl": map[string]any{"read": true}},
		map[string]any{"module": "locale", "locales": "en-us", "acl": map[string]any{"read": true}},
	}}}
	badRulesWant := map[string]any{
		"rules.0.module":       []any{"is not a valid module."},
		"rules.1.content_type": []any{stackgate.ProblemRequired},
		"rules.2.locales":      []any{"must be a list of strings."},
		"rules.branch":         []any{stackgate.ProblemRequired},
	}
	badScope := map[string]any{"token": map[string]any{"scope": []any{
		map[string]any{"module": "environment", "environments": []any{"nope", 7}},
		map[string]any{"module": "webhook"},
		map[string]any{"module": "branch", "branches": []string{}},
	}}}
	badDeliveryWant := map[string]any{
		"scope.1.module":     []any{"is not a valid module."},
		"scope.branches":     []any{stackgate.ProblemRequired},
		"scope.environments": []any{stackgate.ProblemNotValid, "nope " + stackgate.ProblemNotValid},
	}
	badManagementWant := map[string]any{
		"scope.branches":     []any{stackgate.ProblemRequired},
		"scope.environments": []any{stackgate.ProblemNotValid},
	}
	notFound := map[string]any{"uid": []any{stackgate.ProblemNotValid}} // Contentstack's "doesn't exist", error_code 141
	for _, c := range []struct {
		name, method, path string
		body               any
		status             int
		errors             map[string]any
	}{
		{"bad rules, unknown role", "PUT", rolesPath + "/bltnope", badRules, 422, notFound},
		{"bad rules, system role", "PUT", rolesPath + "/" + f.roleUIDs[stackgate.RoleDeveloper], badRules, 403,
			map[string]any{"role": []any{"is a system role."}}},
		{"bad rules, custom role", "PUT", rolesPath + "/" + role, badRules, 422, badRulesWant},
		{"bad rules, new role", "POST", rolesPath, badRules, 422, with(badRulesWant, "name", []any{stackgate.ProblemRequired})},
		{"rules null", "PUT", rolesPath + "/" + role, map[string]any{"role": map[string]any{"rules": nil}}, 422,
			map[string]any{"rules.branch": []any{stackgate.ProblemRequired}}},
		{"rules not a list", "PUT", rolesPath + "/" + role, map[string]any{"role": map[string]any{"rules": "x"}}, 422,
			map[string]any{"rules": []any{"must be a list of rule objects."}}},
		{"no rules, new role", "POST", rolesPath, map[string]any{"role": map[string]any{"name": "x"}}, 422,
			map[string]any{"rules.branch": []any{stackgate.ProblemRequired}}},
		{"bad scope, unknown delivery token", "PUT", "/v3/stacks/delivery_tokens/bltnope", badScope, 422, notFound},
		{"bad scope, delivery token", "PUT", "/v3/stacks/delivery_tokens/" + dt, badScope, 422, badDeliveryWant},
		{"bad scope, new delivery token", "POST", "/v3/stacks/delivery_tokens", badScope, 422,
			with(badDeliveryWant, "name", []any{stackgate.ProblemRequired})},
		{"no scope, new delivery token", "POST", "/v3/stacks/delivery_tokens", map[string]any{"token": map[string]any{"name": "x"}}, 422,
			map[string]any{"scope": []any{stackgate.ProblemRequired}}},
		{"bad scope, unknown management token", "PUT", "/v3/stacks/management_tokens/bltnope", badScope, 422, notFound},
		{"bad scope, management token", "PUT", "/v3/stacks/management_tokens/" + mt, badScope, 422, badManagementWant},
		{"scope null, management token", "PUT", "/v3/stacks/management_tokens/" + mt, map[string]any{"token": map[string]any{"scope": nil}}, 422,
			map[string]any{"scope": []any{stackgate.ProblemRequired}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := f.do(req{method: c.method, path: c.path, headers: f.as(Owner), body: c.body})
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %s", r.status, c.status, r.raw)
			}
			if d := cmp.Diff(c.errors, r.body["errors"]); d != "" {
				t.Errorf("errors (-want +got):\n%s", d)
			}
		})
	}
}
