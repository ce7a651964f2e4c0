package http_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/internal/testdb"
)

const rolesPath = "/v3/roles"

func ruleBranch(branches ...string) map[string]any {
	return map[string]any{"module": "branch", "branches": branches, "acl": map[string]any{"read": true}}
}

// rolePayload is {"role":{name, description, rules}}.
func rolePayload(name string, rules ...any) map[string]any {
	return map[string]any{"role": map[string]any{"name": name, "description": "about " + name, "rules": rules}}
}

// fullACL is a content acl with every sub_acl right.
func fullACL() map[string]any {
	return map[string]any{"read": true, "sub_acl": map[string]any{"read": true, "create": true, "update": true, "delete": true, "publish": true}}
}

func roleUsers(t testing.TB, role map[string]any) []string {
	t.Helper()
	var out []string
	for _, u := range jlist(t, role["users"]) {
		out = append(out, u.(string))
	}
	sort.Strings(out)
	if out == nil {
		out = []string{}
	}
	return out
}

// asJSON is v as it comes back from a JSON round trip, for comparing what
// was sent with what is echoed.
func asJSON(t testing.TB, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func sortedStrings(s ...string) []string {
	out := append([]string{}, s...)
	sort.Strings(out)
	return out
}

// getRole fetches a role with its rules.
func getRole(t testing.TB, f *fixture, uid string) map[string]any {
	t.Helper()
	return jobj(t, mustDo(t, f, f.as(Owner), "GET", rolesPath+"/"+uid+"?include_rules=true", nil, 200).body["role"])
}

// mgmtFor creates a management token with one module entry on main.
func mgmtFor(t testing.TB, f *fixture, name, module string, acl map[string]any) string {
	t.Helper()
	return createMgmt(t, f, mgmtTokenBody(name, []any{mgmtModule(module, acl), scopeBranch("main")}, nil))["token"].(string)
}

// notRoleCreator is the refusal of a change to a custom role by a user who
// neither owns the stack nor created the role.
var notRoleCreator = map[string]any{"error_message": "Only the stack owner or the user who created this role can modify it.",
	"error_code": float64(316), "errors": map[string]any{"role": []any{"was created by another user."}}}

// systemRulesShown are the rules Developer and Content Manager show with
// include_rules (authz.SystemRoleRules: Contentstack's user-session sample).
var systemRulesShown = []any{
	map[string]any{"module": "locale", "locales": []any{"$all"}, "acl": map[string]any{"read": true}},
	map[string]any{"module": "environment", "environments": []any{"$all"}, "acl": map[string]any{"read": true}},
	map[string]any{"module": "asset", "assets": []any{"$all"}, "acl": map[string]any{"create": true, "read": true, "update": true, "delete": true, "publish": true}},
}

// TestRoleList: the three system roles, the include flags and the list
// conventions.
func TestRoleList(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		holders := map[string]cred{stackgate.RoleAdmin: Admin, stackgate.RoleDeveloper: Developer, stackgate.RoleContentManager: ContentManager}
		names := func(want []string, count int) func(t *testing.T, f *fixture, r reply) {
			return func(t *testing.T, f *fixture, r reply) {
				got := []string{}
				for _, x := range jlist(t, r.body["roles"]) {
					got = append(got, jobj(t, x)["name"].(string))
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("roles %v, want %v", got, want)
				}
				if c, has := r.body["count"]; count < 0 && has || count >= 0 && c != float64(count) {
					t.Fatalf("count = %v, want %d", c, count)
				}
			}
		}
		all := []string{stackgate.RoleContentManager, stackgate.RoleDeveloper, stackgate.RoleAdmin} // newest first: the reverse of the seed's order
		list := func(name, query string, want []string, count int) scenario {
			return scenario{name: name, method: "GET", path: rolesPath + query, who: ContentManager, status: 200, bodyCheck: names(want, count)}
		}
		runScenarios(t, f, []scenario{
			{name: "system roles as content manager", method: "GET", path: rolesPath, who: ContentManager, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					names(all, -1)(t, f, r)
					for _, x := range jlist(t, r.body["roles"]) {
						role := jobj(t, x)
						name := role["name"].(string)
						if role["description"] != stackgate.SystemRoleDescriptions[name] {
							t.Fatalf("%s: description %v", name, role["description"])
						}
						for _, k := range []string{"rules", "permissions", "org_uid", "api_key"} {
							if _, has := role[k]; has {
								t.Fatalf("%s: %s without asking: %v", name, k, role)
							}
						}
						if !bltUIDPattern.MatchString(fmt.Sprint(role["uid"])) || role["uid"] != f.roleUIDs[name] {
							t.Fatalf("%s: uid %v", name, role["uid"])
						}
						if got, want := roleUsers(t, role), []string{f.users[holders[name]].UID}; !reflect.DeepEqual(got, want) {
							t.Fatalf("%s: users %v, want %v", name, got, want)
						}
						if !reflect.DeepEqual(role["roles"], []any{}) || !reflect.DeepEqual(role["SYS_ACL"], map[string]any{}) || role["owner"] != "owner@example.com" {
							t.Fatalf("%s: %v", name, role)
						}
						if jobj(t, role["stack"])["api_key"] != f.stack.APIKey || jobj(t, role["stack"])["uid"] != f.stack.UID {
							t.Fatalf("%s: stack %v", name, role["stack"])
						}
						if !wireTimePattern.MatchString(fmt.Sprint(role["created_at"])) || !wireTimePattern.MatchString(fmt.Sprint(role["updated_at"])) {
							t.Fatalf("%s: times %v", name, role)
						}
					}
				}},
			{name: "include_rules: system roles show Contentstack's rules", method: "GET", path: rolesPath + "?include_rules=true", who: Developer, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					for _, x := range jlist(t, r.body["roles"]) {
						role := jobj(t, x)
						want := systemRulesShown
						if role["name"] == stackgate.RoleAdmin {
							want = []any{}
						}
						if rules, has := role["rules"]; !has || !reflect.DeepEqual(rules, want) {
							t.Fatalf("%s: rules %v (present %v)", role["name"], rules, has)
						}
					}
				}},
			{name: "include_rules=1", method: "GET", path: rolesPath + "/" + f.roleUIDs[stackgate.RoleContentManager] + "?include_rules=1", who: Developer, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if rules := jobj(t, r.body["role"])["rules"]; !reflect.DeepEqual(rules, systemRulesShown) {
						t.Fatalf("rules %v", rules)
					}
				}},
			{name: "include_permissions", method: "GET", path: rolesPath + "?include_permissions=true", who: Developer, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					for _, x := range jlist(t, r.body["roles"]) {
						role := jobj(t, x)
						want := map[string]any{
							"assets":       []any{map[string]any{"uid": "$all", "SYS_ACL": map[string]any{"read": true, "create": true, "update": true, "delete": true, "publish": true}}},
							"environments": []any{map[string]any{"uid": "$all", "SYS_ACL": map[string]any{"read": true}}},
							"locales":      []any{map[string]any{"uid": "$all", "SYS_ACL": map[string]any{"read": true}}},
						}
						if role["name"] == stackgate.RoleAdmin {
							want = map[string]any{}
						}
						if perms, has := role["permissions"]; !has || !reflect.DeepEqual(perms, want) {
							t.Fatalf("%s: permissions %v (present %v)", role["name"], perms, has)
						}
						if _, has := role["rules"]; has {
							t.Fatalf("rules with include_permissions only: %v", role)
						}
					}
				}},
			{name: "include_rules=false", method: "GET", path: rolesPath + "?include_rules=false", who: Developer, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					for _, x := range jlist(t, r.body["roles"]) {
						if _, has := jobj(t, x)["rules"]; has {
							t.Fatalf("rules with include_rules=false: %s", r.raw)
						}
					}
				}},
			list("include_count", "?include_count=true", all, 3),
			list("limit", "?limit=1", all[:1], -1),
			list("limit and skip", "?limit=1&skip=1", all[1:2], -1),
			list("skip", "?skip=2&include_count=true", all[2:], 3),
			list("skip past the end", "?skip=3", []string{}, -1),
			list("asc name", "?asc=name", []string{"Admin", "Content Manager", "Developer"}, -1),
			list("desc name", "?desc=name&limit=2", []string{"Developer", "Content Manager"}, -1),
			list("query by name", "?query="+url.QueryEscape(`{"name":"Developer"}`)+"&include_count=true", []string{"Developer"}, 1),
			list("query by name $in", "?query="+url.QueryEscape(`{"name":{"$in":["Admin","Content Manager","Nobody"]}}`), []string{"Content Manager", "Admin"}, -1),
			list("query by uid", "?query="+url.QueryEscape(`{"uid":"`+f.roleUIDs["Developer"]+`"}`), []string{"Developer"}, -1),
			list("query on rules without include_rules", "?query="+url.QueryEscape(`{"rules.module":"locale","rules.assets":"$all"}`), []string{"Content Manager", "Developer"}, -1),
			{name: "a query on rules does not show them", method: "GET", path: rolesPath + "?query=" + url.QueryEscape(`{"rules.module":"asset"}`), who: Owner, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					for _, x := range jlist(t, r.body["roles"]) {
						for _, k := range []string{"rules", "permissions"} {
							if _, has := jobj(t, x)[k]; has {
								t.Fatalf("%s without asking: %s", k, r.raw)
							}
						}
					}
				}},
			list("query matching nothing", "?query="+url.QueryEscape(`{"name":"Nobody"}`)+"&include_count=true", []string{}, 0),
			{name: "bad query", method: "GET", path: rolesPath + "?query={name", who: Owner, status: 400, code: 400, field: "query"},
			{name: "bad include_rules", method: "GET", path: rolesPath + "?include_rules=yes", who: Owner, status: 400, code: 400, field: "include_rules"},
			{name: "bad include_permissions", method: "GET", path: rolesPath + "?include_permissions=2", who: Owner, status: 400, code: 400, field: "include_permissions"},
			{name: "bad limit", method: "GET", path: rolesPath + "?limit=x", who: Owner, status: 400, code: 400, field: "limit"},
			{name: "get one", method: "GET", path: rolesPath + "/" + f.roleUIDs["Developer"], who: ContentManager, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					role := jobj(t, r.body["role"])
					if role["name"] != "Developer" || role["uid"] != f.roleUIDs["Developer"] {
						t.Fatalf("%s", r.raw)
					}
					if _, has := role["rules"]; has {
						t.Fatalf("rules without include_rules: %s", r.raw)
					}
				}},
			{name: "get unknown", method: "GET", path: rolesPath + "/bltdoesnotexist0", who: Owner, status: 422, code: 141, field: "uid"},
			{name: "get another stack's role", method: "GET", path: rolesPath + "/" + f.roleUIDs["Admin"], who: Outsider, headers: map[string]string{"api_key": f.other.APIKey}, status: 422, code: 141},
		})
	})
}

// TestRoleLifecycle: create, fetch, list, update and delete a custom role.
func TestRoleLifecycle(t *testing.T) {
	rules := []any{
		ruleBranch("main"),
		map[string]any{"module": "content_type", "content_types": []any{"blog", "page"}, "acl": fullACL()},
		map[string]any{"module": "entry", "content_type": "blog", "entries": []any{"blt0123456789abcdef"}, "acl": map[string]any{"read": true}},
		map[string]any{"module": "asset", "assets": []any{"$all"}, "acl": map[string]any{"read": true, "update": true}},
		map[string]any{"module": "folder", "folders": []any{"bltfolder"}, "acl": map[string]any{"read": true, "sub_acl": map[string]any{"read": true}}},
		map[string]any{"module": "environment", "environments": []any{"production"}, "acl": map[string]any{"read": true}},
		map[string]any{"module": "locale", "locales": []any{"en-us"}, "acl": map[string]any{"read": true}},
		map[string]any{"module": "locale", "locales": []any{"en-us"}, "restrict": true, "acl": map[string]any{"read": true, "sub_acl": map[string]any{"delete": true}}},
		map[string]any{"module": "taxonomy", "taxonomies": []any{"regions"}, "terms": []any{"regions.europe"},
			"content_types": []any{map[string]any{"uid": "$all", "acl": fullACL()}}, "acl": map[string]any{"read": true}},
	}
	newRules := []any{ruleBranch("main"), map[string]any{"module": "asset", "assets": []any{"$all"}, "acl": map[string]any{"read": true}}}
	// Each row gets a role of its own, created by the developer with rules;
	// r is that role as a fetch with include_rules shows it. Placeholders in
	// bodies and expectations: "{uid}" (in any string) the role's uid,
	// "{user:…}" a user's uid, "{org}" and "{api_key}" the stack's, and
	// "{forged:…}" a forged read-only value.
	rows := []roleRow{
		{name: "fetch", step: roleStep{ContentManager, "GET", "/{uid}", nil, 200},
			want: func(r role) any { return map[string]any{"role": withoutKeys(r, "rules")} }},
		{name: "fetch with rules", step: roleStep{ContentManager, "GET", "/{uid}?include_rules=true", nil, 200},
			want: func(r role) any { return map[string]any{"role": r} }},
		{name: "list", step: roleStep{Owner, "GET", `?include_rules=true&include_count=true&query={"uid":"{uid}"}`, nil, 200},
			want: func(r role) any { return map[string]any{"roles": []any{r}, "count": 1} }},
		{name: "update by its creator",
			step: roleStep{Developer, "PUT", "/{uid}", func(role) any {
				return map[string]any{"role": map[string]any{"name": "Editors 2 {uid}", "description": "changed", "rules": newRules}}
			}, 200},
			want: func(r role) any {
				return map[string]any{"notice": "The role updated successfully.", "role": with(r, "name", "Editors 2 {uid}", "description", "changed",
					"rules", newRules, "updated_by", "{user:developer}", "org_uid", "{org}", "api_key", "{api_key}")}
			},
			after: func(r role) role {
				return with(r, "name", "Editors 2 {uid}", "description", "changed", "rules", newRules, "updated_by", "{user:developer}")
			}},
		// Contentstack's "Update a Role" / "Delete a Role": only the stack
		// owner, or the admin or developer who created the role.
		{name: "update by an admin who did not create it",
			step: roleStep{Admin, "PUT", "/{uid}", func(role) any { return map[string]any{"role": map[string]any{"name": "Taken {uid}"}} }, 403},
			want: func(role) any { return notRoleCreator }},
		{name: "delete by an admin who did not create it", step: roleStep{Admin, "DELETE", "/{uid}", nil, 403},
			want: func(role) any { return notRoleCreator }},
		{name: "the refused admin changed nothing", before: []roleStep{{Admin, "DELETE", "/{uid}", nil, 403}},
			step: roleStep{ContentManager, "GET", "/{uid}?include_rules=true", nil, 200},
			want: func(r role) any { return map[string]any{"role": r} }},
		{name: "update by the owner, who did not create it",
			step:  roleStep{Owner, "PUT", "/{uid}", func(role) any { return map[string]any{"role": map[string]any{"name": "Owned {uid}"}} }, 200},
			after: func(r role) role { return with(r, "name", "Owned {uid}", "updated_by", "{user:owner}") }},
		{name: "delete by the owner, who did not create it", step: roleStep{Owner, "DELETE", "/{uid}", nil, 200},
			want: func(role) any { return map[string]any{"notice": "The role deleted successfully."} }},
		{name: "update without rules keeps them",
			step:  roleStep{Owner, "PUT", "/{uid}", func(role) any { return map[string]any{"role": map[string]any{"description": "again"}} }, 200},
			after: func(r role) role { return with(r, "description", "again", "updated_by", "{user:owner}") }},
		{name: "update as the SDK does: the fetched object sent back",
			step: roleStep{Developer, "PUT", "/{uid}", func(r role) any {
				return map[string]any{"role": with(r, "name", "Editors 3 {uid}", "permissions", map[string]any{"branches": []any{map[string]any{"uid": "main"}}})}
			}, 200},
			after: func(r role) role { return with(r, "name", "Editors 3 {uid}") }},
		{name: "a forged system flag does not protect the role",
			before: []roleStep{{Owner, "PUT", "/{uid}", func(role) any { return map[string]any{"role": map[string]any{"system": true}} }, 200}},
			step:   roleStep{Owner, "PUT", "/{uid}", func(role) any { return map[string]any{"role": map[string]any{"name": "Editors 4 {uid}"}} }, 200},
			after:  func(r role) role { return with(r, "name", "Editors 4 {uid}", "updated_by", "{user:owner}") }},
		{name: "delete", step: roleStep{Developer, "DELETE", "/{uid}", nil, 200},
			want: func(role) any { return map[string]any{"notice": "The role deleted successfully."} }},
		{name: "deleted: gone from the list", before: []roleStep{{Developer, "DELETE", "/{uid}", nil, 200}},
			step: roleStep{Owner, "GET", `?include_count=true&query={"uid":"{uid}"}`, nil, 200},
			want: func(role) any { return map[string]any{"roles": []any{}, "count": 0} }},
		{name: "deleted: the name is free", before: []roleStep{{Developer, "DELETE", "/{uid}", nil, 200}},
			step: roleStep{Owner, "POST", "", func(r role) any { return rolePayload(r["name"].(string), ruleBranch("main")) }, 201}},
		{name: "include_permissions resolves rules per object", step: roleStep{Owner, "GET", "/{uid}?include_permissions=true", nil, 200},
			check: func(t *testing.T, got reply) {
				role := jobj(t, got.body["role"])
				if _, has := role["rules"]; has {
					t.Fatalf("rules with include_permissions only: %v", role)
				}
				perms := jobj(t, role["permissions"])
				cts := map[string]any{}
				for _, x := range jlist(t, perms["content_types"]) {
					p := jobj(t, x)
					cts[p["uid"].(string)] = p["SYS_ACL"]
				}
				// The taxonomy's content_types stay inside the taxonomy: they
				// grant nothing on the types themselves.
				want := map[string]any{"blog": asJSON(t, fullACL()), "page": asJSON(t, fullACL())}
				if diff := cmp.Diff(want, cts); diff != "" {
					t.Errorf("permissions.content_types (-want +got):\n%s", diff)
				}
				tax := jobj(t, jlist(t, perms["taxonomies"])[0])
				wantTax := map[string]any{"uid": "regions", "SYS_ACL": map[string]any{"read": true},
					"content_types": []any{map[string]any{"uid": "$all", "SYS_ACL": asJSON(t, fullACL())}}}
				if diff := cmp.Diff(wantTax, tax); diff != "" {
					t.Errorf("permissions.taxonomies[0] (-want +got):\n%s", diff)
				}
				for _, k := range []string{"environments", "locales", "assets", "folders", "entries", "taxonomies", "branches"} {
					if len(jlist(t, perms[k])) == 0 {
						t.Errorf("permissions.%s missing: %v", k, perms)
					}
				}
			}},
	}
	for _, field := range []string{"uid", "org_uid", "api_key", "stack", "owner", "SYS_ACL", "roles", "permissions", "created_at", "created_by", "system"} {
		rows = append(rows, roleRow{name: "read-only field " + field + " is ignored",
			step:  roleStep{Owner, "PUT", "/{uid}", func(role) any { return map[string]any{"role": map[string]any{field: "{forged:" + field + "}"}} }, 200},
			after: func(r role) role { return with(r, "updated_by", "{user:owner}") }})
	}
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		forged := map[string]any{"uid": "bltforged00000000", "org_uid": "bltforgedorg", "api_key": f.other.APIKey,
			"stack": map[string]any{"api_key": f.other.APIKey, "uid": f.other.UID}, "owner": "outsider@example.com",
			"SYS_ACL": map[string]any{"others": map[string]any{"read": true}}, "roles": []any{f.roleUIDs["Admin"]},
			"permissions": map[string]any{"content_types": []any{map[string]any{"uid": "$all", "SYS_ACL": fullACL()}}},
			"created_at":  "2000-01-01T00:00:00.000Z", "created_by": "bltforged00000000", "system": true}
		for i, row := range rows {
			t.Run(row.name, func(t *testing.T) {
				created := mustDo(t, f, f.as(Developer), "POST", rolesPath, map[string]any{"role": map[string]any{
					"name": fmt.Sprintf("Editors %d", i), "description": "edit things", "rules": rules}}, 201)
				uid := jobj(t, created.body["role"])["uid"].(string)
				var fill func(v any) any
				fill = func(v any) any {
					switch v := v.(type) {
					case string:
						switch {
						case v == "{org}":
							return f.users[Owner].OrgUID
						case v == "{api_key}":
							return f.stack.APIKey
						case strings.HasPrefix(v, "{user:"):
							return f.users[map[string]cred{"{user:owner}": Owner, "{user:admin}": Admin, "{user:developer}": Developer}[v]].UID
						case strings.HasPrefix(v, "{forged:"):
							return forged[strings.TrimSuffix(strings.TrimPrefix(v, "{forged:"), "}")]
						}
						return strings.ReplaceAll(v, "{uid}", uid)
					case map[string]any:
						out := map[string]any{}
						for k, x := range v {
							out[k] = fill(x)
						}
						return out
					case []any:
						out := []any{}
						for _, x := range v {
							out = append(out, fill(x))
						}
						return out
					}
					return v
				}
				r := getRole(t, f, uid)
				send := func(s roleStep) reply {
					var body any
					if s.body != nil {
						body = fill(asJSON(t, s.body(r)))
					}
					return mustDo(t, f, f.as(s.who), s.method, rolesPath+strings.ReplaceAll(s.path, "{uid}", uid), body, s.status)
				}
				for _, s := range row.before {
					send(s)
				}
				got := send(row.step)
				ignore := cmpopts.IgnoreMapEntries(func(k string, _ any) bool { return k == "updated_at" })
				if row.want != nil {
					if diff := cmp.Diff(fill(asJSON(t, row.want(r))), any(got.body), ignore); diff != "" {
						t.Errorf("reply (-want +got):\n%s", diff)
					}
				}
				if row.after != nil {
					if diff := cmp.Diff(fill(asJSON(t, row.after(r))), any(getRole(t, f, uid)), ignore); diff != "" {
						t.Errorf("stored role (-want +got):\n%s", diff)
					}
				}
				if row.check != nil {
					row.check(t, got)
				}
			})
		}
		t.Run("create reply", func(t *testing.T) {
			created := mustDo(t, f, f.as(Developer), "POST", rolesPath, map[string]any{"role": map[string]any{"name": "Editors", "description": "edit things", "rules": rules}}, 201)
			r := jobj(t, created.body["role"])
			uid, _ := r["uid"].(string)
			if !bltUIDPattern.MatchString(uid) {
				t.Fatalf("uid %q", uid)
			}
			want := map[string]any{"notice": "The role created successfully.", "role": map[string]any{
				"name": "Editors", "description": "edit things", "uid": uid, "created_by": f.users[Developer].UID, "updated_by": f.users[Developer].UID,
				"created_at": r["created_at"], "updated_at": r["updated_at"], "roles": []any{}, "users": []any{}, "owner": "owner@example.com",
				"stack": jobj(t, mustDo(t, f, f.as(Owner), "GET", "/v3/stacks", nil, 200).body["stack"]), "SYS_ACL": map[string]any{},
				"rules": asJSON(t, rules), "org_uid": f.users[Owner].OrgUID, "api_key": f.stack.APIKey}}
			if diff := cmp.Diff(want, created.body); diff != "" {
				t.Errorf("create reply (-want +got):\n%s", diff)
			}
		})
		for _, tc := range []struct{ name, method string }{{"deleted: fetch", "GET"}, {"deleted: update", "PUT"}, {"deleted: delete", "DELETE"}} {
			t.Run(tc.name, func(t *testing.T) {
				uid := jobj(t, mustDo(t, f, f.as(Developer), "POST", rolesPath, rolePayload(tc.name, ruleBranch("main")), 201).body["role"])["uid"].(string)
				mustDo(t, f, f.as(Developer), "DELETE", rolesPath+"/"+uid, nil, 200)
				var body any
				field := ""
				switch tc.method {
				case "PUT":
					body = rolePayload("x", ruleBranch("main"))
				case "GET":
					field = "uid"
				}
				wantError(t, f.do(req{method: tc.method, path: rolesPath + "/" + uid, headers: f.as(Owner), body: body}), 422, 141, field)
			})
		}
	})
}

// role is a role as a reply shows it.
type role = map[string]any

// roleStep is one request of a TestRoleLifecycle row; path follows rolesPath.
type roleStep struct {
	who    cred
	method string
	path   string
	body   func(r role) any
	status int
}

// roleRow is one independent scenario of TestRoleLifecycle: the requests
// made first, the one whose reply is compared (updated_at aside) with want,
// and the role expected in the store afterwards.
type roleRow struct {
	name   string
	before []roleStep
	step   roleStep
	want   func(r role) any
	after  func(r role) role
	check  func(t *testing.T, got reply) // what a comparison cannot say
}

// with returns a copy of r with the keys and values kv set.
func with(r role, kv ...any) role {
	out := withoutKeys(r)
	for i := 0; i < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// TestRoleSystemRolesImmutable: system roles refuse update and delete by
// anyone allowed to write roles, and stay as they were.
func TestRoleSystemRolesImmutable(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		roleWriter := mgmtFor(t, f, "role writer", "role", readWriteACL())
		for _, name := range []string{stackgate.RoleAdmin, stackgate.RoleDeveloper, stackgate.RoleContentManager} {
			uid := f.roleUIDs[name]
			before := getRole(t, f, uid)
			for _, w := range []struct {
				who     string
				headers map[string]string
			}{{"owner", f.as(Owner)}, {"admin", f.as(Admin)}, {"developer", f.as(Developer)}, {"management token with role write", f.withToken(roleWriter)}} {
				for _, op := range []struct {
					method string
					body   any
				}{
					{"PUT", rolePayload("Renamed", ruleBranch("main"))},
					{"PUT", map[string]any{"role": map[string]any{"description": "changed"}}},
					{"PUT", map[string]any{"role": map[string]any{"users": []string{}}}},
					{"DELETE", nil},
				} {
					t.Run(fmt.Sprintf("%s %s %s %v", name, w.who, op.method, op.body), func(t *testing.T) {
						r := f.do(req{method: op.method, path: rolesPath + "/" + uid, headers: w.headers, body: op.body})
						wantError(t, r, 403, 316, "role")
						if r.body["error_message"] != "System roles cannot be modified." {
							t.Fatalf("error_message %v", r.body["error_message"])
						}
						if got := jobj(t, r.body["errors"])["role"]; !reflect.DeepEqual(got, []any{"is a system role."}) {
							t.Fatalf("errors.role %v", got)
						}
					})
				}
			}
			t.Run(name+" unchanged", func(t *testing.T) {
				if after := getRole(t, f, uid); !reflect.DeepEqual(after, before) {
					t.Fatalf("before %v\nafter  %v", before, after)
				}
			})
		}
		t.Run("holders keep their rights", func(t *testing.T) {
			mustDo(t, f, f.as(Admin), "GET", managementTokensPath, nil, 200)
			mustDo(t, f, f.as(Developer), "POST", "/v3/environments", envBody("still a developer"), 201)
			mustDo(t, f, f.as(ContentManager), "GET", rolesPath, nil, 200)
		})
	})
}

// TestRoleValidation: every validation rule answers 422 / 141 with its
// field, and nothing refused is written.
func TestRoleValidation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		owner := f.as(Owner)
		mustDo(t, f, owner, "PUT", "/v3/stacks/branch_aliases/deploy", map[string]any{"branch_alias": map[string]any{"target_branch": "main"}}, 200)
		envs := environmentsByName(t, f)
		prodUID := envs["production"]["uid"].(string)
		loc := mustDo(t, f, owner, "GET", "/v3/locales", nil, 200)
		enUID := jobj(t, jlist(t, loc.body["locales"])[0])["uid"].(string)
		const createFailed = "Role creation failed. Please try again."
		post := func(name string, body any, status int, field string) scenario {
			sc := scenario{name: name, method: "POST", path: rolesPath, who: Owner, body: body, status: status, field: field}
			switch status {
			case 400:
				sc.code = 400
			case 422:
				sc.code = 141
				sc.bodyCheck = func(t *testing.T, f *fixture, r reply) {
					if r.body["error_message"] != createFailed {
						t.Fatalf("error_message %v", r.body["error_message"])
					}
				}
			}
			return sc
		}
		postKey := func(name string, body any, part string) scenario {
			sc := post(name, body, 422, "")
			sc.bodyCheck = func(t *testing.T, f *fixture, r reply) { wantErrorKeyContaining(t, r, 422, 141, part) }
			return sc
		}
		rule := func(module string, kv ...any) map[string]any {
			m := map[string]any{"module": module, "acl": map[string]any{"read": true}}
			for i := 0; i+1 < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m
		}
		main := ruleBranch("main")
		var accepted []string
		ok := func(name string, body map[string]any) scenario {
			accepted = append(accepted, jobj(t, body["role"])["name"].(string))
			return post(name, body, 201, "")
		}
		var editors string
		table := []scenario{
			{name: "create", method: "POST", path: rolesPath, who: Owner, body: rolePayload("Editors", main), status: 201,
				bodyCheck: func(t *testing.T, f *fixture, r reply) { editors = jobj(t, r.body["role"])["uid"].(string) }},
			ok("environment by name", rolePayload("env by name", main, rule("environment", "environments", []string{"production"}))),
			ok("environment by uid", rolePayload("env by uid", main, rule("environment", "environments", []string{prodUID}))),
			ok("environments $all", rolePayload("env all", main, rule("environment", "environments", []string{"$all"}))),
			ok("locale by code", rolePayload("locale by code", main, rule("locale", "locales", []string{"en-us"}))),
			ok("locale by uid", rolePayload("locale by uid", main, rule("locale", "locales", []string{enUID}))),
			ok("branch $all", rolePayload("all branches", ruleBranch("$all"))),
			ok("a branch alias rule instead of a branch rule", rolePayload("alias", rule("branch_alias", "branch_aliases", []string{"deploy"}))),
			ok("branch rule without acl", rolePayload("no acl", map[string]any{"module": "branch", "branches": []string{"main"}})),
			ok(`string booleans in acl`, rolePayload("strings", main, map[string]any{"module": "asset", "assets": []string{"$all"}, "acl": map[string]any{"read": "true", "update": "false"}})),
			ok("name of 255 characters", rolePayload(strings.Repeat("r", 255), main)),
			post("name duplicate", rolePayload("Editors", main), 422, "name"),
			post("name of a system role", rolePayload("Admin", main), 422, "name"),
			post("name missing", map[string]any{"role": map[string]any{"rules": []any{main}}}, 422, "name"),
			post("name empty", rolePayload("", main), 422, "name"),
			post("name of 256 characters", rolePayload(strings.Repeat("r", 256), main), 422, "name"),
			post("no branch rule", rolePayload("nb", rule("content_type", "content_types", []string{"$all"})), 422, "rules.branch"),
			post("rules missing", map[string]any{"role": map[string]any{"name": "nr"}}, 422, "rules.branch"),
			post("rules empty", rolePayload("re"), 422, "rules.branch"),
			postKey("rules not a list", map[string]any{"role": map[string]any{"name": "rl", "rules": map[string]any{"module": "branch"}}}, "rules"),
			postKey("rule not an object", rolePayload("ro", main, "asset"), "rules"),
			postKey("branch rule with no branches", rolePayload("bn", ruleBranch()), "branches"),
			postKey("unknown module", rolePayload("um", main, rule("spaceship")), "module"),
			postKey("management-token module in a role", rolePayload("mt", main, rule("management_token")), "module"),
			postKey("module missing", rolePayload("mm", main, map[string]any{"acl": map[string]any{"read": true}}), "module"),
			postKey("branches a string", rolePayload("bs", map[string]any{"module": "branch", "branches": "main", "acl": map[string]any{"read": true}}), "branches"),
			postKey("content_types a string", rolePayload("cs", main, rule("content_type", "content_types", "blog")), "content_types"),
			postKey("environments a string", rolePayload("es", main, rule("environment", "environments", "production")), "environments"),
			postKey("locales an object", rolePayload("lo", main, rule("locale", "locales", map[string]any{"code": "en-us"})), "locales"),
			postKey("entries of numbers", rolePayload("en", main, rule("entry", "content_type", "blog", "entries", []int{1})), "entries"),
			postKey("entry rule content_type a list", rolePayload("ec", main, rule("entry", "content_type", []string{"blog"}, "entries", []string{"$all"})), "content_type"),
			postKey("taxonomy content_types of strings", rolePayload("tc", main, rule("taxonomy", "taxonomies", []string{"$all"}, "content_types", []string{"blog"})), "content_types"),
			postKey("acl missing", rolePayload("am", main, map[string]any{"module": "asset", "assets": []string{"$all"}}), "acl"),
			postKey("acl true", rolePayload("at", main, map[string]any{"module": "asset", "assets": []string{"$all"}, "acl": true}), "acl"),
			postKey("acl flag not a boolean", rolePayload("af", main, map[string]any{"module": "asset", "assets": []string{"$all"}, "acl": map[string]any{"read": 1}}), "acl"),
			postKey("restrict not a boolean", rolePayload("rn", main, rule("locale", "locales", []string{"en-us"}, "restrict", "yes")), "restrict"),
			post("unknown environment by name", rolePayload("ue", main, rule("environment", "environments", []string{"nope"})), 422, "rules.environments"),
			post("unknown environment by uid", rolePayload("uu", main, rule("environment", "environments", []string{"blt0000000000000000"})), 422, "rules.environments"),
			post("environment of another stack", rolePayload("eo", main, rule("environment", "environments", []string{otherStackEnvUID(t, f)})), 422, "rules.environments"),
			post("unknown locale", rolePayload("ul", main, rule("locale", "locales", []string{"xx-xx"})), 422, "rules.locales"),
			post("unknown branch", rolePayload("ub", ruleBranch("nope")), 422, "rules.branches"),
			post("unknown branch among known ones", rolePayload("ub2", ruleBranch("main", "nope")), 422, "rules.branches"),
			post("unknown alias", rolePayload("ua", rule("branch_alias", "branch_aliases", []string{"nope"})), 422, "rules.branch_aliases"),
			post("users: an unknown uid", map[string]any{"role": map[string]any{"name": "uu1", "rules": []any{main}, "users": []string{"bltdoesnotexist0"}}}, 422, "users"),
			post("users: a user who is not a member", map[string]any{"role": map[string]any{"name": "uu2", "rules": []any{main}, "users": []string{f.users[Outsider].UID}}}, 422, "users"),
			post("users: not a list", map[string]any{"role": map[string]any{"name": "uu3", "rules": []any{main}, "users": "everyone"}}, 422, "users"),
			post("description not a string", map[string]any{"role": map[string]any{"name": "ds", "rules": []any{main}, "description": 5}}, 422, "description"),
			post("role missing", map[string]any{"name": "rm", "rules": []any{main}}, 422, "role"),
			post("role not an object", map[string]any{"role": "rm"}, 400, ""),
			post("malformed JSON", `{"role":{"name":`, 400, ""),
		}
		runScenarios(t, f, table)
		const updateFailed = "Role update failed. Please try again."
		put := func(name string, body any, field string) scenario {
			return scenario{name: "update: " + name, method: "PUT", path: rolesPath + "/" + editors, who: Owner, body: body, status: 422, code: 141, field: field,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if r.body["error_message"] != updateFailed {
						t.Fatalf("error_message %v", r.body["error_message"])
					}
				}}
		}
		before := getRole(t, f, editors)
		runScenarios(t, f, []scenario{
			put("name taken by a custom role", rolePayload("alias", main), "name"),
			put("name taken by a system role", rolePayload("Developer", main), "name"),
			put("no branch rule", rolePayload("Editors", rule("asset", "assets", []string{"$all"})), "rules.branch"),
			put("unknown environment", rolePayload("Editors", main, rule("environment", "environments", []string{"nope"})), "rules.environments"),
			put("unknown user", map[string]any{"role": map[string]any{"users": []string{"bltdoesnotexist0"}}}, "users"),
			{name: "update: unknown role", method: "PUT", path: rolesPath + "/bltdoesnotexist0", who: Owner, body: rolePayload("x", main), status: 422, code: 141, field: "uid"},
		})
		t.Run("nothing refused was written", func(t *testing.T) {
			if after := getRole(t, f, editors); !reflect.DeepEqual(after, before) {
				t.Fatalf("before %v\nafter  %v", before, after)
			}
			r := mustDo(t, f, owner, "GET", rolesPath, nil, 200)
			var got []string
			for _, x := range jlist(t, r.body["roles"]) {
				got = append(got, jobj(t, x)["name"].(string))
			}
			want := append([]string{"Admin", "Developer", "Content Manager", "Editors"}, accepted...)
			slices.Reverse(want) // newest first
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("roles %v\nwant  %v", got, want)
			}
		})
	})
}

// TestRoleReferences: environments, locales, branches and aliases a role
// names cannot be deleted until the role lets go of them.
func TestRoleReferences(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		owner := f.as(Owner)
		mustDo(t, f, owner, "POST", "/v3/environments", envBody("staging"), 201)
		mustDo(t, f, owner, "POST", "/v3/locales", map[string]any{"locale": map[string]any{"code": "fr-fr", "name": "French"}}, 201)
		mustDo(t, f, owner, "POST", "/v3/stacks/branches", map[string]any{"branch": map[string]any{"uid": "development", "source": "main"}}, 201)
		mustDo(t, f, owner, "PUT", "/v3/stacks/branch_aliases/deploy", map[string]any{"branch_alias": map[string]any{"target_branch": "main"}}, 200)
		r := mustDo(t, f, owner, "POST", rolesPath, rolePayload("refs", ruleBranch("development"),
			map[string]any{"module": "branch_alias", "branch_aliases": []string{"deploy"}, "acl": map[string]any{"read": true}},
			map[string]any{"module": "environment", "environments": []string{"staging"}, "acl": map[string]any{"read": true}},
			map[string]any{"module": "locale", "locales": []string{"fr-fr"}, "acl": map[string]any{"read": true}}), 201)
		uid := jobj(t, r.body["role"])["uid"].(string)
		r = mustDo(t, f, owner, "POST", rolesPath, rolePayload("refs 2", ruleBranch("main"),
			map[string]any{"module": "environment", "environments": []string{"staging"}, "acl": map[string]any{"read": true}}), 201)
		uid2 := jobj(t, r.body["role"])["uid"].(string)
		runScenarios(t, f, []scenario{
			{name: "environment in use", method: "DELETE", path: "/v3/environments/staging", who: Owner, status: 422, code: 141},
			{name: "locale in use", method: "DELETE", path: "/v3/locales/fr-fr", who: Owner, status: 422, code: 141},
			{name: "branch in use", method: "DELETE", path: "/v3/stacks/branches/development", who: Owner, status: 422, code: 141},
			{name: "alias in use", method: "DELETE", path: "/v3/stacks/branch_aliases/deploy", who: Owner, status: 422, code: 141},
			{name: "delete the role", method: "DELETE", path: rolesPath + "/" + uid, who: Owner, status: 200},
			{name: "locale free", method: "DELETE", path: "/v3/locales/fr-fr", who: Owner, status: 200},
			{name: "branch free", method: "DELETE", path: "/v3/stacks/branches/development", who: Owner, status: 200},
			{name: "alias free", method: "DELETE", path: "/v3/stacks/branch_aliases/deploy", who: Owner, status: 200},
			{name: "environment still used by the other role", method: "DELETE", path: "/v3/environments/staging", who: Owner, status: 422, code: 141},
			{name: "update the other role off the environment", method: "PUT", path: rolesPath + "/" + uid2, who: Owner, body: rolePayload("refs 2", ruleBranch("main")), status: 200},
			{name: "environment free after the update", method: "DELETE", path: "/v3/environments/staging", who: Owner, status: 200},
		})
	})
}

// TestRoleUsers: the users of a role are the members holding it.
func TestRoleUsers(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		dev, cm := f.users[Developer].UID, f.users[ContentManager].UID
		// Created by the admin, who may then update it (its creator).
		r := mustDo(t, f, f.as(Admin), "POST", rolesPath, map[string]any{"role": map[string]any{"name": "Reviewers", "rules": []any{ruleBranch("main")}, "users": []string{dev}}}, 201)
		role := jobj(t, r.body["role"])
		uid := role["uid"].(string)
		users := func(want ...string) func(t *testing.T, f *fixture, r reply) {
			return func(t *testing.T, f *fixture, r reply) {
				if got := roleUsers(t, jobj(t, r.body["role"])); !reflect.DeepEqual(got, sortedStrings(want...)) {
					t.Fatalf("users %v, want %v", got, want)
				}
			}
		}
		if got := roleUsers(t, role); !reflect.DeepEqual(got, []string{dev}) {
			t.Fatalf("create reply users %v", got)
		}
		runScenarios(t, f, []scenario{
			{name: "GET shows the holder", method: "GET", path: rolesPath + "/" + uid, who: ContentManager, status: 200, bodyCheck: users(dev)},
			{name: "the holder keeps the Developer role too", method: "GET", path: rolesPath + "/" + f.roleUIDs["Developer"], who: Owner, status: 200, bodyCheck: users(dev)},
			{name: "the list shows the holder", method: "GET", path: rolesPath + "?query=" + url.QueryEscape(`{"name":"Reviewers"}`), who: Owner, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if got := roleUsers(t, jobj(t, jlist(t, r.body["roles"])[0])); !reflect.DeepEqual(got, []string{dev}) {
						t.Fatalf("users %v", got)
					}
				}},
			{name: "update sets the holders", method: "PUT", path: rolesPath + "/" + uid, who: Admin, body: map[string]any{"role": map[string]any{"users": []string{dev, cm}}}, status: 200, bodyCheck: users(dev, cm)},
			{name: "GET after the update", method: "GET", path: rolesPath + "/" + uid, who: Owner, status: 200, bodyCheck: users(dev, cm)},
			{name: "update without users keeps them", method: "PUT", path: rolesPath + "/" + uid, who: Owner, body: map[string]any{"role": map[string]any{"description": "d"}}, status: 200, bodyCheck: users(dev, cm)},
			{name: "update with an unknown user", method: "PUT", path: rolesPath + "/" + uid, who: Owner, body: map[string]any{"role": map[string]any{"users": []string{cm, "bltdoesnotexist0"}}}, status: 422, code: 141, field: "users"},
			{name: "the refused update kept the holders", method: "GET", path: rolesPath + "/" + uid, who: Owner, status: 200, bodyCheck: users(dev, cm)},
			{name: "update with no users empties it", method: "PUT", path: rolesPath + "/" + uid, who: Owner, body: map[string]any{"role": map[string]any{"users": []string{}}}, status: 200, bodyCheck: users()},
			{name: "the former holders keep their system roles", method: "GET", path: rolesPath + "/" + f.roleUIDs["Content Manager"], who: Owner, status: 200, bodyCheck: users(cm)},
		})
	})
}

// TestRoleDeletionShrinksRights: a member whose only role is a custom role
// loses what it granted on the very next request when the role is deleted,
// and stays a member who may read roles.
func TestRoleDeletionShrinksRights(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		owner := f.as(Owner)
		outsider := f.users[Outsider].UID
		cmRole := f.roleUIDs[stackgate.RoleContentManager]
		f.join(t, Outsider, cmRole)
		r := mustDo(t, f, f.as(Developer), "POST", rolesPath, rolePayload("Writers", ruleBranch("main"),
			map[string]any{"module": "content_type", "content_types": []string{"$all"},
				"acl": map[string]any{"read": true, "sub_acl": map[string]any{"read": true, "create": true}}}), 201)
		writers := jobj(t, r.body["role"])["uid"].(string)
		me := f.as(Outsider)
		gate := func(method, uri string) int { return gateStatus(t, f, me, method, uri) }
		const entries = "/v3/content_types/blog/entries"

		t.Run("as Content Manager", func(t *testing.T) {
			if s := gate("POST", entries); s != 200 {
				t.Fatalf("create entry: %d", s)
			}
			if s := gate("GET", "/v3/assets"); s != 200 {
				t.Fatalf("read assets: %d", s)
			}
		})
		mustDo(t, f, owner, "POST", "/v3/stacks/users/roles", map[string]any{"users": map[string][]string{outsider: {writers}}}, 200)
		t.Run("with only the custom role", func(t *testing.T) {
			if got := roleUsers(t, getRole(t, f, writers)); !reflect.DeepEqual(got, []string{outsider}) {
				t.Fatalf("Writers users %v", got)
			}
			for _, u := range roleUsers(t, getRole(t, f, cmRole)) {
				if u == outsider {
					t.Fatal("the replaced role still lists the user")
				}
			}
			if s := gate("POST", entries); s != 200 {
				t.Fatalf("create entry (granted by Writers): %d", s)
			}
			if s := gate("GET", "/v3/content_types/blog"); s != 200 {
				t.Fatalf("read content type (granted by Writers): %d", s)
			}
			if s := gate("DELETE", entries+"/blt0123456789abcdef"); s != 403 {
				t.Fatalf("delete entry (not granted): %d", s)
			}
			if s := gate("GET", "/v3/assets"); s != 403 {
				t.Fatalf("read assets (no longer a Content Manager): %d", s)
			}
			mustDo(t, f, me, "GET", rolesPath, nil, 200)
			wantError(t, f.do(req{method: "POST", path: rolesPath, headers: me, body: rolePayload("mine", ruleBranch("main"))}), 403, 316, "")
			wantError(t, f.do(req{method: "GET", path: deliveryTokensPath, headers: me}), 403, 316, "")
		})
		mustDo(t, f, f.as(Developer), "DELETE", rolesPath+"/"+writers, nil, 200)
		t.Run("after the role is deleted", func(t *testing.T) {
			if s := gate("POST", entries); s != 403 {
				t.Fatalf("create entry after the role was deleted: %d, want 403", s)
			}
			if s := gate("GET", "/v3/content_types/blog"); s != 403 {
				t.Fatalf("read content type after the role was deleted: %d, want 403", s)
			}
			r := mustDo(t, f, me, "GET", rolesPath+"?include_count=true", nil, 200)
			for _, x := range jlist(t, r.body["roles"]) {
				for _, u := range roleUsers(t, jobj(t, x)) {
					if u == outsider {
						t.Fatalf("a role still lists the user: %v", x)
					}
				}
			}
			if r.body["count"] != float64(3) {
				t.Fatalf("%s", r.raw)
			}
			mustDo(t, f, me, "GET", rolesPath+"/"+cmRole, nil, 200)
			mustDo(t, f, me, "GET", "/v3/environments", nil, 200)
			wantError(t, f.do(req{method: "POST", path: "/v3/environments", headers: me, body: envBody("nope")}), 403, 316, "")
			m, err := f.store.FindMember(t.Context(), f.stack.UID, outsider)
			if err != nil || len(m.RoleUIDs) != 0 {
				t.Fatalf("membership %+v, %v; want a member with no roles", m, err)
			}
		})
	})
}

// TestRoleAccess: who may read and write roles.
func TestRoleAccess(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		tokens := map[string]string{
			"token role read":        mgmtFor(t, f, "role read", "role", readACL()),
			"token role read/write":  mgmtFor(t, f, "role rw", "role", readWriteACL()),
			"token $all read":        mgmtFor(t, f, "all read", "$all", readACL()),
			"token $all read/write":  mgmtFor(t, f, "all rw", "$all", readWriteACL()),
			"token environment only": mgmtFor(t, f, "env rw", "environment", readWriteACL()),
		}
		principals := map[string]map[string]string{"owner": f.as(Owner), "admin": f.as(Admin), "developer": f.as(Developer),
			"content_manager": f.as(ContentManager), "outsider": f.as(Outsider)}
		for name, tok := range tokens {
			principals[name] = f.withToken(tok)
		}
		headers := func(who string) map[string]string {
			h, ok := principals[who]
			if !ok {
				t.Fatalf("no principal %q", who)
			}
			return h
		}
		target := jobj(t, mustDo(t, f, f.as(Owner), "POST", rolesPath, rolePayload("Target", ruleBranch("main")), 201).body["role"])
		tuid := target["uid"].(string)
		readers := map[string]bool{"owner": true, "admin": true, "developer": true, "content_manager": true, "outsider": false,
			"token role read": true, "token role read/write": true, "token $all read": true, "token $all read/write": true, "token environment only": false}
		for who, ok := range readers {
			for _, path := range []string{rolesPath, rolesPath + "/" + tuid, rolesPath + "/" + f.roleUIDs["Admin"] + "?include_rules=true&include_permissions=true"} {
				t.Run(fmt.Sprintf("%s GET %s", who, path), func(t *testing.T) {
					r := f.do(req{method: "GET", path: path, headers: headers(who)})
					if !ok {
						wantError(t, r, 403, 316, "")
					} else if r.status != 200 {
						t.Fatalf("status %d: %s", r.status, r.raw)
					}
				})
			}
		}
		for _, who := range []string{"content_manager", "outsider", "token role read", "token $all read", "token environment only"} {
			for _, op := range []struct{ method, path string }{{"POST", rolesPath}, {"PUT", rolesPath + "/" + tuid}, {"DELETE", rolesPath + "/" + tuid}} {
				t.Run(fmt.Sprintf("%s %s refused", who, op.method), func(t *testing.T) {
					var body any
					if op.method != "DELETE" {
						body = rolePayload("by "+who, ruleBranch("main"))
					}
					wantError(t, f.do(req{method: op.method, path: op.path, headers: headers(who), body: body}), 403, 316, "")
				})
			}
		}
		for _, op := range []struct{ method, path string }{{"GET", rolesPath + "/" + tuid}, {"PUT", rolesPath + "/" + tuid}, {"DELETE", rolesPath + "/" + tuid}} {
			t.Run("another stack's owner on that stack "+op.method+" is told the role does not exist", func(t *testing.T) {
				var body any
				if op.method == "PUT" {
					body = rolePayload("hijacked", ruleBranch("main"))
				}
				h := map[string]string{"api_key": f.other.APIKey, "authtoken": f.tokens[Outsider]}
				wantError(t, f.do(req{method: op.method, path: op.path, headers: h, body: body}), 422, 141, "uid")
			})
		}
		t.Run("the refused writes changed nothing", func(t *testing.T) {
			after := getRole(t, f, tuid)
			if !reflect.DeepEqual(withoutKeys(after, "rules"), withoutKeys(target, "rules", "org_uid", "api_key")) {
				t.Fatalf("before %v\nafter  %v", target, after)
			}
			r := mustDo(t, f, f.as(Owner), "GET", rolesPath+"?include_count=true", nil, 200)
			if r.body["count"] != float64(4) {
				t.Fatalf("%s", r.raw)
			}
		})
		for _, who := range []string{"owner", "admin", "developer", "token role read/write", "token $all read/write"} {
			t.Run(who+" writes", func(t *testing.T) {
				h := headers(who)
				r := mustDo(t, f, h, "POST", rolesPath, rolePayload("by "+who, ruleBranch("main")), 201)
				uid := jobj(t, r.body["role"])["uid"].(string)
				r = mustDo(t, f, h, "PUT", rolesPath+"/"+uid, map[string]any{"role": map[string]any{"name": "renamed by " + who}}, 200)
				if jobj(t, r.body["role"])["name"] != "renamed by "+who {
					t.Fatalf("%s", r.raw)
				}
				mustDo(t, f, h, "DELETE", rolesPath+"/"+uid, nil, 200)
			})
		}
	})
}

// TestRoleEnvironmentRenamed: a role may name an environment by name (spec
// §5); the reference is to the environment, so renaming it keeps the role
// granting on it and keeps the role editable.
func TestRoleEnvironmentRenamed(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		owner := f.as(Owner)
		outsider := f.users[Outsider].UID
		mustDo(t, f, owner, "POST", "/v3/environments", envBody("staging"), 201)
		f.join(t, Outsider, f.roleUIDs[stackgate.RoleContentManager])
		r := mustDo(t, f, owner, "POST", rolesPath, rolePayload("Publishers", ruleBranch("main"),
			map[string]any{"module": "content_type", "content_types": []string{"$all"}, "acl": fullACL()},
			map[string]any{"module": "environment", "environments": []string{"production"}, "acl": map[string]any{"read": true}}), 201)
		uid := jobj(t, r.body["role"])["uid"].(string)
		mustDo(t, f, owner, "POST", "/v3/stacks/users/roles", map[string]any{"users": map[string][]string{outsider: {uid}}}, 200)
		me := f.as(Outsider)
		const publish = "/v3/content_types/blog/entries/blt0123456789abcdef/publish"
		if s := publishStatus(t, f, me, publish, "production"); s != 200 {
			t.Fatalf("publish to production: %d, want 200", s)
		}
		if s := publishStatus(t, f, me, publish, "staging"); s != 403 {
			t.Fatalf("publish to an environment the role does not name: %d, want 403", s)
		}
		mustDo(t, f, owner, "PUT", "/v3/environments/production", envBody("live"), 200)
		t.Run("the role still grants publishing to the renamed environment", func(t *testing.T) {
			if s := publishStatus(t, f, me, publish, "live"); s != 200 {
				t.Fatalf("publish to the renamed environment: %d, want 200", s)
			}
		})
		t.Run("the environment is still referenced", func(t *testing.T) {
			wantError(t, f.do(req{method: "DELETE", path: "/v3/environments/live", headers: owner}), 422, 141, "")
		})
		t.Run("the role can still be updated", func(t *testing.T) {
			mustDo(t, f, owner, "PUT", rolesPath+"/"+uid, map[string]any{"role": map[string]any{"description": "still editable"}}, 200)
		})
	})
}

// publishStatus is the gate's status for a publish of path to environment
// by the member of headers, decided as a proxy listener does, on the body.
func publishStatus(t testing.TB, f *fixture, headers map[string]string, path, environment string) int {
	t.Helper()
	r := f.do(req{method: "POST", path: "/gate/check", body: map[string]any{"api": "cma", "method": "POST", "path": path,
		"api_key": headers["api_key"], "credential": map[string]string{"authtoken": headers["authtoken"]},
		"body": map[string]any{"entry": map[string]any{"environments": []string{environment}}}}})
	status, _ := r.body["status"].(float64)
	return int(status)
}
