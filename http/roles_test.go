package http_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"

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
	return jobj(t, mustDo(t, f, f.as("owner"), "GET", rolesPath+"/"+uid+"?include_rules=true", nil, 200).body["role"])
}

// mgmtFor creates a management token with one module entry on main.
func mgmtFor(t testing.TB, f *fixture, name, module string, acl map[string]any) string {
	t.Helper()
	return createMgmt(t, f, mgmtTokenBody(name, []any{mgmtModule(module, acl), scopeBranch("main")}, nil))["token"].(string)
}

// TestRoleList: the three system roles, the include flags and the list
// conventions.
func TestRoleList(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		holders := map[string]string{stackgate.RoleAdmin: "admin", stackgate.RoleDeveloper: "developer", stackgate.RoleContentManager: "content_manager"}
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
		all := []string{stackgate.RoleAdmin, stackgate.RoleDeveloper, stackgate.RoleContentManager}
		list := func(name, query string, want []string, count int) scenario {
			return scenario{name: name, method: "GET", path: rolesPath + query, who: "content_manager", status: 200, bodyCheck: names(want, count)}
		}
		runScenarios(t, f, []scenario{
			{name: "system roles as content manager", method: "GET", path: rolesPath, who: "content_manager", status: 200,
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
			{name: "include_rules", method: "GET", path: rolesPath + "?include_rules=true", who: "developer", status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					for _, x := range jlist(t, r.body["roles"]) {
						if rules, has := jobj(t, x)["rules"]; !has || !reflect.DeepEqual(rules, []any{}) {
							t.Fatalf("rules %v (present %v)", rules, has)
						}
					}
				}},
			{name: "include_permissions", method: "GET", path: rolesPath + "?include_permissions=true", who: "developer", status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					for _, x := range jlist(t, r.body["roles"]) {
						role := jobj(t, x)
						if perms, has := role["permissions"]; !has || !reflect.DeepEqual(perms, map[string]any{}) {
							t.Fatalf("permissions %v (present %v)", perms, has)
						}
						if _, has := role["rules"]; has {
							t.Fatalf("rules with include_permissions only: %v", role)
						}
					}
				}},
			{name: "include_rules=false", method: "GET", path: rolesPath + "?include_rules=false", who: "developer", status: 200,
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
			list("query by name $in", "?query="+url.QueryEscape(`{"name":{"$in":["Admin","Content Manager","Nobody"]}}`), []string{"Admin", "Content Manager"}, -1),
			list("query by uid", "?query="+url.QueryEscape(`{"uid":"`+f.roleUIDs["Developer"]+`"}`), []string{"Developer"}, -1),
			list("query matching nothing", "?query="+url.QueryEscape(`{"name":"Nobody"}`)+"&include_count=true", []string{}, 0),
			{name: "bad query", method: "GET", path: rolesPath + "?query={name", who: "owner", status: 400, code: 400, field: "query"},
			{name: "bad include_rules", method: "GET", path: rolesPath + "?include_rules=yes", who: "owner", status: 400, code: 400, field: "include_rules"},
			{name: "bad include_permissions", method: "GET", path: rolesPath + "?include_permissions=1", who: "owner", status: 400, code: 400, field: "include_permissions"},
			{name: "bad limit", method: "GET", path: rolesPath + "?limit=x", who: "owner", status: 400, code: 400, field: "limit"},
			{name: "get one", method: "GET", path: rolesPath + "/" + f.roleUIDs["Developer"], who: "content_manager", status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					role := jobj(t, r.body["role"])
					if role["name"] != "Developer" || role["uid"] != f.roleUIDs["Developer"] {
						t.Fatalf("%s", r.raw)
					}
					if _, has := role["rules"]; has {
						t.Fatalf("rules without include_rules: %s", r.raw)
					}
				}},
			{name: "get unknown", method: "GET", path: rolesPath + "/bltdoesnotexist0", who: "owner", status: 422, code: 141, field: "uid"},
			{name: "get another stack's role", method: "GET", path: rolesPath + "/" + f.roleUIDs["Admin"], who: "outsider", headers: map[string]string{"api_key": f.other.APIKey}, status: 422, code: 141},
		})
	})
}

// TestRoleLifecycle: create, fetch, list, update and delete a custom role.
func TestRoleLifecycle(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
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
		created := mustDo(t, f, f.as("developer"), "POST", rolesPath, map[string]any{"role": map[string]any{"name": "Editors", "description": "edit things", "rules": rules}}, 201)
		role := jobj(t, created.body["role"])
		uid := role["uid"].(string)
		t.Run("create reply", func(t *testing.T) {
			if created.body["notice"] != "The role created successfully." {
				t.Fatalf("notice %v", created.body["notice"])
			}
			if !reflect.DeepEqual(role["rules"], asJSON(t, rules)) {
				t.Fatalf("rules not echoed:\n got %v\nwant %v", role["rules"], rules)
			}
			if role["org_uid"] != f.users["owner"].OrgUID || role["api_key"] != f.stack.APIKey {
				t.Fatalf("org_uid %v api_key %v", role["org_uid"], role["api_key"])
			}
			if role["name"] != "Editors" || role["description"] != "edit things" || !bltUIDPattern.MatchString(uid) ||
				role["created_by"] != f.users["developer"].UID || role["owner"] != "owner@example.com" ||
				!reflect.DeepEqual(role["users"], []any{}) || !reflect.DeepEqual(role["roles"], []any{}) || !reflect.DeepEqual(role["SYS_ACL"], map[string]any{}) {
				t.Fatalf("%s", created.raw)
			}
			if jobj(t, role["stack"])["api_key"] != f.stack.APIKey {
				t.Fatalf("stack %v", role["stack"])
			}
		})
		t.Run("fetch", func(t *testing.T) {
			plain := jobj(t, mustDo(t, f, f.as("content_manager"), "GET", rolesPath+"/"+uid, nil, 200).body["role"])
			if !reflect.DeepEqual(plain, withoutKeys(role, "rules", "org_uid", "api_key")) {
				t.Fatalf("fetch %v\ncreate %v", plain, role)
			}
			withRules := jobj(t, mustDo(t, f, f.as("content_manager"), "GET", rolesPath+"/"+uid+"?include_rules=true", nil, 200).body["role"])
			if !reflect.DeepEqual(withRules, withoutKeys(role, "org_uid", "api_key")) {
				t.Fatalf("fetch with rules %v\ncreate %v", withRules, role)
			}
		})
		t.Run("include_permissions resolves rules per object", func(t *testing.T) {
			got := jobj(t, mustDo(t, f, f.as("owner"), "GET", rolesPath+"/"+uid+"?include_permissions=true", nil, 200).body["role"])
			perms := jobj(t, got["permissions"])
			cts := jlist(t, perms["content_types"])
			var uids []string
			for _, x := range cts {
				p := jobj(t, x)
				uids = append(uids, p["uid"].(string))
				if p["uid"] == "blog" && !reflect.DeepEqual(p["SYS_ACL"], any(fullACL())) {
					t.Fatalf("blog SYS_ACL %v", p["SYS_ACL"])
				}
			}
			if !reflect.DeepEqual(sortedStrings(uids...), []string{"$all", "blog", "page"}) {
				t.Fatalf("content_types %v", uids)
			}
			for _, k := range []string{"environments", "locales", "assets", "folders", "entries", "taxonomies", "branches"} {
				if len(jlist(t, perms[k])) == 0 {
					t.Fatalf("permissions.%s missing: %v", k, perms)
				}
			}
			if _, has := got["rules"]; has {
				t.Fatalf("rules with include_permissions only: %v", got)
			}
		})
		t.Run("list", func(t *testing.T) {
			r := mustDo(t, f, f.as("owner"), "GET", rolesPath+"?include_rules=true&include_count=true", nil, 200)
			if r.body["count"] != float64(4) {
				t.Fatalf("%s", r.raw)
			}
			items := jlist(t, r.body["roles"])
			if last := jobj(t, items[3]); !reflect.DeepEqual(last, withoutKeys(role, "org_uid", "api_key")) {
				t.Fatalf("list item %v\ncreate %v", last, role)
			}
		})

		newRules := []any{ruleBranch("main"), map[string]any{"module": "asset", "assets": []any{"$all"}, "acl": map[string]any{"read": true}}}
		t.Run("update", func(t *testing.T) {
			r := mustDo(t, f, f.as("admin"), "PUT", rolesPath+"/"+uid, map[string]any{"role": map[string]any{"name": "Editors 2", "description": "changed", "rules": newRules}}, 200)
			got := jobj(t, r.body["role"])
			if r.body["notice"] != "The role updated successfully." || got["name"] != "Editors 2" || got["description"] != "changed" || got["uid"] != uid ||
				!reflect.DeepEqual(got["rules"], asJSON(t, newRules)) || got["org_uid"] != f.users["owner"].OrgUID || got["api_key"] != f.stack.APIKey ||
				got["created_at"] != role["created_at"] || got["created_by"] != role["created_by"] || got["updated_by"] != f.users["admin"].UID {
				t.Fatalf("%s", r.raw)
			}
			if fetched := getRole(t, f, uid); !reflect.DeepEqual(fetched, withoutKeys(got, "org_uid", "api_key")) {
				t.Fatalf("fetch after update %v\nupdate reply %v", fetched, got)
			}
		})
		t.Run("update without rules keeps them", func(t *testing.T) {
			r := mustDo(t, f, f.as("owner"), "PUT", rolesPath+"/"+uid, map[string]any{"role": map[string]any{"description": "again"}}, 200)
			if got := jobj(t, r.body["role"]); !reflect.DeepEqual(got["rules"], asJSON(t, newRules)) || got["name"] != "Editors 2" || got["description"] != "again" {
				t.Fatalf("%s", r.raw)
			}
		})
		t.Run("update as the SDK does: the fetched object sent back", func(t *testing.T) {
			fetched := jobj(t, mustDo(t, f, f.as("owner"), "GET", rolesPath+"/"+uid+"?include_rules=true&include_permissions=true", nil, 200).body["role"])
			prior := getRole(t, f, uid)
			fetched["name"] = "Editors 3"
			r := mustDo(t, f, f.as("developer"), "PUT", rolesPath+"/"+uid, map[string]any{"role": fetched}, 200)
			got := jobj(t, r.body["role"])
			if got["name"] != "Editors 3" || !reflect.DeepEqual(got["rules"], prior["rules"]) || got["uid"] != uid || got["created_at"] != prior["created_at"] {
				t.Fatalf("%s", r.raw)
			}
		})
		for _, tc := range []struct {
			field string
			value any
		}{
			{"uid", "bltforged00000000"},
			{"org_uid", "bltforgedorg"},
			{"api_key", f.other.APIKey},
			{"stack", map[string]any{"api_key": f.other.APIKey, "uid": f.other.UID}},
			{"owner", "outsider@example.com"},
			{"SYS_ACL", map[string]any{"others": map[string]any{"read": true}}},
			{"roles", []any{f.roleUIDs["Admin"]}},
			{"permissions", map[string]any{"content_types": []any{map[string]any{"uid": "$all", "SYS_ACL": fullACL()}}}},
			{"created_at", "2000-01-01T00:00:00.000Z"},
			{"created_by", "bltforged00000000"},
			{"system", true},
		} {
			t.Run("read-only field "+tc.field+" is ignored", func(t *testing.T) {
				prior := getRole(t, f, uid)
				mustDo(t, f, f.as("owner"), "PUT", rolesPath+"/"+uid, map[string]any{"role": map[string]any{tc.field: tc.value}}, 200)
				after := getRole(t, f, uid)
				if !reflect.DeepEqual(withoutKeys(after, "updated_at", "updated_by"), withoutKeys(prior, "updated_at", "updated_by")) {
					t.Fatalf("state changed:\nbefore %v\nafter  %v", prior, after)
				}
			})
		}
		t.Run("a forged system flag does not protect the role", func(t *testing.T) {
			mustDo(t, f, f.as("owner"), "PUT", rolesPath+"/"+uid, map[string]any{"role": map[string]any{"name": "Editors 4"}}, 200)
		})

		runScenarios(t, f, []scenario{
			{name: "delete", method: "DELETE", path: rolesPath + "/" + uid, who: "developer", status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if r.body["notice"] != "The role deleted successfully." {
						t.Fatalf("%s", r.raw)
					}
				}},
			{name: "deleted: fetch", method: "GET", path: rolesPath + "/" + uid, who: "owner", status: 422, code: 141, field: "uid"},
			{name: "deleted: update", method: "PUT", path: rolesPath + "/" + uid, who: "owner", body: rolePayload("x", ruleBranch("main")), status: 422, code: 141},
			{name: "deleted: delete", method: "DELETE", path: rolesPath + "/" + uid, who: "owner", status: 422, code: 141},
			{name: "deleted: the name is free", method: "POST", path: rolesPath, who: "owner", body: rolePayload("Editors 4", ruleBranch("main")), status: 201},
			{name: "deleted: gone from the list", method: "GET", path: rolesPath + "?include_count=true", who: "owner", status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					for _, x := range jlist(t, r.body["roles"]) {
						if jobj(t, x)["uid"] == uid {
							t.Fatalf("%s", r.raw)
						}
					}
					if r.body["count"] != float64(4) {
						t.Fatalf("%s", r.raw)
					}
				}},
		})
	})
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
			}{{"owner", f.as("owner")}, {"admin", f.as("admin")}, {"developer", f.as("developer")}, {"management token with role write", f.withToken(roleWriter)}} {
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
			mustDo(t, f, f.as("admin"), "GET", managementTokensPath, nil, 200)
			mustDo(t, f, f.as("developer"), "POST", "/v3/environments", envBody("still a developer"), 201)
			mustDo(t, f, f.as("content_manager"), "GET", rolesPath, nil, 200)
		})
	})
}

// TestRoleValidation: every validation rule answers 422 / 141 with its
// field, and nothing refused is written.
func TestRoleValidation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		owner := f.as("owner")
		mustDo(t, f, owner, "PUT", "/v3/stacks/branch_aliases/deploy", map[string]any{"branch_alias": map[string]any{"target_branch": "main"}}, 200)
		envs := environmentsByName(t, f)
		prodUID := envs["production"]["uid"].(string)
		loc := mustDo(t, f, owner, "GET", "/v3/locales", nil, 200)
		enUID := jobj(t, jlist(t, loc.body["locales"])[0])["uid"].(string)
		const createFailed = "Role creation failed. Please try again."
		post := func(name string, body any, status int, field string) scenario {
			sc := scenario{name: name, method: "POST", path: rolesPath, who: "owner", body: body, status: status, field: field}
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
			{name: "create", method: "POST", path: rolesPath, who: "owner", body: rolePayload("Editors", main), status: 201,
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
			post("users: a user who is not a member", map[string]any{"role": map[string]any{"name": "uu2", "rules": []any{main}, "users": []string{f.users["outsider"].UID}}}, 422, "users"),
			post("users: not a list", map[string]any{"role": map[string]any{"name": "uu3", "rules": []any{main}, "users": "everyone"}}, 422, "users"),
			post("description not a string", map[string]any{"role": map[string]any{"name": "ds", "rules": []any{main}, "description": 5}}, 422, "description"),
			post("role missing", map[string]any{"name": "rm", "rules": []any{main}}, 422, "role"),
			post("role not an object", map[string]any{"role": "rm"}, 400, ""),
			post("malformed JSON", `{"role":{"name":`, 400, ""),
		}
		runScenarios(t, f, table)
		const updateFailed = "Role update failed. Please try again."
		put := func(name string, body any, field string) scenario {
			return scenario{name: "update: " + name, method: "PUT", path: rolesPath + "/" + editors, who: "owner", body: body, status: 422, code: 141, field: field,
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
			{name: "update: unknown role", method: "PUT", path: rolesPath + "/bltdoesnotexist0", who: "owner", body: rolePayload("x", main), status: 422, code: 141, field: "uid"},
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
		owner := f.as("owner")
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
			{name: "environment in use", method: "DELETE", path: "/v3/environments/staging", who: "owner", status: 422, code: 141},
			{name: "locale in use", method: "DELETE", path: "/v3/locales/fr-fr", who: "owner", status: 422, code: 141},
			{name: "branch in use", method: "DELETE", path: "/v3/stacks/branches/development", who: "owner", status: 422, code: 141},
			{name: "alias in use", method: "DELETE", path: "/v3/stacks/branch_aliases/deploy", who: "owner", status: 422, code: 141},
			{name: "delete the role", method: "DELETE", path: rolesPath + "/" + uid, who: "owner", status: 200},
			{name: "locale free", method: "DELETE", path: "/v3/locales/fr-fr", who: "owner", status: 200},
			{name: "branch free", method: "DELETE", path: "/v3/stacks/branches/development", who: "owner", status: 200},
			{name: "alias free", method: "DELETE", path: "/v3/stacks/branch_aliases/deploy", who: "owner", status: 200},
			{name: "environment still used by the other role", method: "DELETE", path: "/v3/environments/staging", who: "owner", status: 422, code: 141},
			{name: "update the other role off the environment", method: "PUT", path: rolesPath + "/" + uid2, who: "owner", body: rolePayload("refs 2", ruleBranch("main")), status: 200},
			{name: "environment free after the update", method: "DELETE", path: "/v3/environments/staging", who: "owner", status: 200},
		})
	})
}

// TestRoleUsers: the users of a role are the members holding it.
func TestRoleUsers(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		dev, cm := f.users["developer"].UID, f.users["content_manager"].UID
		r := mustDo(t, f, f.as("owner"), "POST", rolesPath, map[string]any{"role": map[string]any{"name": "Reviewers", "rules": []any{ruleBranch("main")}, "users": []string{dev}}}, 201)
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
			{name: "GET shows the holder", method: "GET", path: rolesPath + "/" + uid, who: "content_manager", status: 200, bodyCheck: users(dev)},
			{name: "the holder keeps the Developer role too", method: "GET", path: rolesPath + "/" + f.roleUIDs["Developer"], who: "owner", status: 200, bodyCheck: users(dev)},
			{name: "the list shows the holder", method: "GET", path: rolesPath + "?query=" + url.QueryEscape(`{"name":"Reviewers"}`), who: "owner", status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if got := roleUsers(t, jobj(t, jlist(t, r.body["roles"])[0])); !reflect.DeepEqual(got, []string{dev}) {
						t.Fatalf("users %v", got)
					}
				}},
			{name: "update sets the holders", method: "PUT", path: rolesPath + "/" + uid, who: "admin", body: map[string]any{"role": map[string]any{"users": []string{dev, cm}}}, status: 200, bodyCheck: users(dev, cm)},
			{name: "GET after the update", method: "GET", path: rolesPath + "/" + uid, who: "owner", status: 200, bodyCheck: users(dev, cm)},
			{name: "update without users keeps them", method: "PUT", path: rolesPath + "/" + uid, who: "owner", body: map[string]any{"role": map[string]any{"description": "d"}}, status: 200, bodyCheck: users(dev, cm)},
			{name: "update with an unknown user", method: "PUT", path: rolesPath + "/" + uid, who: "owner", body: map[string]any{"role": map[string]any{"users": []string{cm, "bltdoesnotexist0"}}}, status: 422, code: 141, field: "users"},
			{name: "the refused update kept the holders", method: "GET", path: rolesPath + "/" + uid, who: "owner", status: 200, bodyCheck: users(dev, cm)},
			{name: "update with no users empties it", method: "PUT", path: rolesPath + "/" + uid, who: "owner", body: map[string]any{"role": map[string]any{"users": []string{}}}, status: 200, bodyCheck: users()},
			{name: "the former holders keep their system roles", method: "GET", path: rolesPath + "/" + f.roleUIDs["Content Manager"], who: "owner", status: 200, bodyCheck: users(cm)},
		})
	})
}

// TestRoleDeletionShrinksRights: a member whose only role is a custom role
// loses what it granted on the very next request when the role is deleted,
// and stays a member who may read roles.
func TestRoleDeletionShrinksRights(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		owner := f.as("owner")
		outsider := f.users["outsider"].UID
		cmRole := f.roleUIDs[stackgate.RoleContentManager]
		f.join(t, "outsider", cmRole)
		r := mustDo(t, f, f.as("developer"), "POST", rolesPath, rolePayload("Writers", ruleBranch("main"),
			map[string]any{"module": "content_type", "content_types": []string{"$all"},
				"acl": map[string]any{"read": true, "sub_acl": map[string]any{"read": true, "create": true}}}), 201)
		writers := jobj(t, r.body["role"])["uid"].(string)
		me := f.as("outsider")
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
		mustDo(t, f, f.as("developer"), "DELETE", rolesPath+"/"+writers, nil, 200)
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
		headers := func(who string) map[string]string {
			if tok, ok := tokens[who]; ok {
				return f.withToken(tok)
			}
			return f.as(who)
		}
		target := jobj(t, mustDo(t, f, f.as("owner"), "POST", rolesPath, rolePayload("Target", ruleBranch("main")), 201).body["role"])
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
				h := map[string]string{"api_key": f.other.APIKey, "authtoken": f.tokens["outsider"]}
				wantError(t, f.do(req{method: op.method, path: op.path, headers: h, body: body}), 422, 141, "uid")
			})
		}
		t.Run("the refused writes changed nothing", func(t *testing.T) {
			after := getRole(t, f, tuid)
			if !reflect.DeepEqual(withoutKeys(after, "rules"), withoutKeys(target, "rules", "org_uid", "api_key")) {
				t.Fatalf("before %v\nafter  %v", target, after)
			}
			r := mustDo(t, f, f.as("owner"), "GET", rolesPath+"?include_count=true", nil, 200)
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
		owner := f.as("owner")
		outsider := f.users["outsider"].UID
		mustDo(t, f, owner, "POST", "/v3/environments", envBody("staging"), 201)
		f.join(t, "outsider", f.roleUIDs[stackgate.RoleContentManager])
		r := mustDo(t, f, owner, "POST", rolesPath, rolePayload("Publishers", ruleBranch("main"),
			map[string]any{"module": "content_type", "content_types": []string{"$all"}, "acl": fullACL()},
			map[string]any{"module": "environment", "environments": []string{"production"}, "acl": map[string]any{"read": true}}), 201)
		uid := jobj(t, r.body["role"])["uid"].(string)
		mustDo(t, f, owner, "POST", "/v3/stacks/users/roles", map[string]any{"users": map[string][]string{outsider: {uid}}}, 200)
		me := f.as("outsider")
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
