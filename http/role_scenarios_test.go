package http_test

import (
	"testing"

	"github.com/stackgate/stackgate/internal/testdb"
)

var branchRule = map[string]any{"module": "branch", "branches": []string{"main"}, "acl": map[string]any{"read": true}}

func roleBody(name string, rules ...any) map[string]any {
	return map[string]any{"role": map[string]any{"name": name, "description": "", "rules": rules}}
}

// TestRoleScenarios covers the five role endpoints, their validation and
// who may call them, on both stores.
func TestRoleScenarios(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		envs := f.do(req{method: "GET", path: "/v3/environments", headers: f.as(Owner)}).body["environments"].([]any)
		prodUID := envs[0].(map[string]any)["uid"].(string)
		locales := f.do(req{method: "GET", path: "/v3/locales", headers: f.as(Owner)}).body["locales"].([]any)
		enUID := locales[0].(map[string]any)["uid"].(string)
		sub := map[string]any{"read": true, "create": true, "update": true, "delete": true, "publish": true}
		var uid string
		admin := f.roleUIDs["Admin"]
		runScenarios(t, f, []scenario{
			{name: "list system roles as content manager", method: "GET", path: "/v3/roles", who: ContentManager, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					roles := r.body["roles"].([]any)
					if len(roles) != 3 {
						t.Fatalf("%s", r.raw)
					}
					for _, x := range roles {
						role := x.(map[string]any)
						if _, has := role["rules"]; has {
							t.Fatal("rules without include_rules")
						}
						for _, k := range []string{"uid", "name", "users", "roles", "owner", "stack", "SYS_ACL", "created_at"} {
							if _, ok := role[k]; !ok {
								t.Fatalf("role lacks %s: %v", k, role)
							}
						}
						if role["owner"] != "owner@example.com" {
							t.Fatalf("owner %v", role["owner"])
						}
					}
				}},
			{name: "create the Roles page sample", method: "POST", path: "/v3/roles", who: Developer,
				body: map[string]any{"role": map[string]any{"name": "Regional", "description": "", "users": []string{f.users[ContentManager].UID},
					"uid": "bltforged", "org_uid": "x", "api_key": "y", "rules": []any{
						branchRule,
						map[string]any{"module": "environment", "environments": []string{prodUID}, "acl": map[string]any{"read": true}},
						map[string]any{"module": "locale", "locales": []string{enUID}, "acl": map[string]any{"read": true}},
						map[string]any{"module": "taxonomy", "taxonomies": []string{"regions"}, "terms": []string{"regions.north_america"},
							"content_types": []any{map[string]any{"uid": "$all", "acl": map[string]any{"read": true, "sub_acl": sub}}}, "acl": map[string]any{"read": true, "sub_acl": sub}},
						map[string]any{"module": "content_type", "content_types": []string{"marketing_blogs"}, "acl": map[string]any{"read": true, "sub_acl": sub}},
					}}}, status: 201,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					role := r.body["role"].(map[string]any)
					uid = role["uid"].(string)
					if r.body["notice"] != "The role created successfully." || uid == "bltforged" || len(role["rules"].([]any)) != 5 ||
						role["api_key"] != f.stack.APIKey || role["org_uid"] == nil {
						t.Fatalf("%s", r.raw)
					}
					if users := role["users"].([]any); len(users) != 1 || users[0] != f.users[ContentManager].UID {
						t.Fatalf("users %v", role["users"])
					}
				}},
			{name: "environment by name, locale by code", method: "POST", path: "/v3/roles", who: Owner,
				body: roleBody("names", branchRule, map[string]any{"module": "environment", "environments": []string{"production"}, "acl": map[string]any{"read": true}},
					map[string]any{"module": "locale", "locales": []string{"en-us"}, "acl": map[string]any{"read": true}}), status: 201},
			{name: "branch alias rule instead of branch", method: "POST", path: "/v3/roles", who: Owner,
				body: roleBody("all branches", map[string]any{"module": "branch", "branches": []string{"$all"}, "acl": map[string]any{"read": true}}), status: 201},
			{name: "content manager cannot create", method: "POST", path: "/v3/roles", who: ContentManager, body: roleBody("cm", branchRule), status: 403, code: 316},
			{name: "outsider cannot list", method: "GET", path: "/v3/roles", who: Outsider, status: 403, code: 316},
			{name: "duplicate name", method: "POST", path: "/v3/roles", who: Owner, body: roleBody("Regional", branchRule), status: 422, code: 141, field: "name"},
			{name: "system role name taken", method: "POST", path: "/v3/roles", who: Owner, body: roleBody("Admin", branchRule), status: 422, code: 141, field: "name"},
			{name: "name missing", method: "POST", path: "/v3/roles", who: Owner, body: map[string]any{"role": map[string]any{"rules": []any{branchRule}}}, status: 422, code: 141, field: "name"},
			{name: "no branch rule", method: "POST", path: "/v3/roles", who: Owner,
				body: roleBody("nb", map[string]any{"module": "content_type", "content_types": []string{"$all"}, "acl": map[string]any{"read": true}}), status: 422, code: 141, field: "rules.branch"},
			{name: "no rules", method: "POST", path: "/v3/roles", who: Owner, body: map[string]any{"role": map[string]any{"name": "none"}}, status: 422, code: 141, field: "rules.branch"},
			{name: "unknown module", method: "POST", path: "/v3/roles", who: Owner, body: roleBody("um", branchRule, map[string]any{"module": "spaceship", "acl": map[string]any{}}), status: 422, code: 141, field: "rules.1.module"},
			{name: "wrong field type", method: "POST", path: "/v3/roles", who: Owner, body: roleBody("wt", map[string]any{"module": "branch", "branches": "main", "acl": map[string]any{"read": true}}), status: 422, code: 141, field: "rules.0.branches"},
			{name: "acl missing", method: "POST", path: "/v3/roles", who: Owner, body: roleBody("am", branchRule, map[string]any{"module": "asset", "assets": []string{"$all"}}), status: 422, code: 141, field: "rules.1.acl"},
			{name: "unknown environment", method: "POST", path: "/v3/roles", who: Owner, body: roleBody("ue", branchRule, map[string]any{"module": "environment", "environments": []string{"nope"}, "acl": map[string]any{"read": true}}), status: 422, code: 141, field: "rules.environments"},
			{name: "unknown locale", method: "POST", path: "/v3/roles", who: Owner, body: roleBody("ul", branchRule, map[string]any{"module": "locale", "locales": []string{"xx-xx"}, "acl": map[string]any{"read": true}}), status: 422, code: 141, field: "rules.locales"},
			{name: "unknown branch", method: "POST", path: "/v3/roles", who: Owner, body: roleBody("ub", map[string]any{"module": "branch", "branches": []string{"nope"}, "acl": map[string]any{"read": true}}), status: 422, code: 141, field: "rules.branches"},
			{name: "unknown user", method: "POST", path: "/v3/roles", who: Owner, body: map[string]any{"role": map[string]any{"name": "uu", "rules": []any{branchRule}, "users": []string{"bltnobody"}}}, status: 422, code: 141, field: "users"},
			{name: "rules must be a list", method: "POST", path: "/v3/roles", who: Owner, body: map[string]any{"role": map[string]any{"name": "rl", "rules": "all"}}, status: 422, code: 141, field: "rules"},
			{name: "system role update refused", method: "PUT", path: "/v3/roles/" + admin, who: Owner, body: roleBody("Not Admin", branchRule), status: 403, code: 316, field: "role"},
			{name: "system role delete refused", method: "DELETE", path: "/v3/roles/" + admin, who: Owner, status: 403, code: 316, field: "role"},
			{name: "system role unchanged", method: "GET", path: "/v3/roles/" + admin, who: Owner, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if r.body["role"].(map[string]any)["name"] != "Admin" {
						t.Fatalf("%s", r.raw)
					}
				}},
			{name: "list with query, count and rules", method: "GET", path: `/v3/roles?include_count=true&include_rules=true&include_permissions=true&query={"name":{"$in":["Regional","Admin"]}}`, who: Owner, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					roles := r.body["roles"].([]any)
					if r.body["count"] != float64(2) || len(roles) != 2 {
						t.Fatalf("%s", r.raw)
					}
					for _, x := range roles {
						role := x.(map[string]any)
						if role["name"] == "Regional" {
							perms := role["permissions"].(map[string]any)
							if perms["environments"] == nil || perms["content_types"] == nil || perms["locales"] == nil {
								t.Fatalf("permissions %v", perms)
							}
						}
					}
				}},
			{name: "list with limit and skip", method: "GET", path: "/v3/roles?limit=2&skip=1", who: Owner, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if len(r.body["roles"].([]any)) != 2 {
						t.Fatalf("%s", r.raw)
					}
				}},
			{name: "bad include_rules", method: "GET", path: "/v3/roles?include_rules=perhaps", who: Owner, status: 400, code: 400},
			{name: "unknown role", method: "GET", path: "/v3/roles/bltnope", who: Owner, status: 422, code: 141, field: "uid"},
		})
		runScenarios(t, f, []scenario{
			{name: "get with rules", method: "GET", path: "/v3/roles/" + uid + "?include_rules=true", who: ContentManager, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if len(r.body["role"].(map[string]any)["rules"].([]any)) != 5 {
						t.Fatalf("%s", r.raw)
					}
				}},
			{name: "update", method: "PUT", path: "/v3/roles/" + uid, who: Developer,
				body: map[string]any{"role": map[string]any{"name": "Regional 2", "rules": []any{branchRule,
					map[string]any{"module": "taxonomy", "taxonomies": []string{"regions"}, "terms": []string{"regions.north_america", "regions.south_america"},
						"content_types": []any{map[string]any{"uid": "$all", "acl": map[string]any{"read": true}}}, "acl": map[string]any{"read": true}}},
					"stack": map[string]any{"api_key": "forged"}, "SYS_ACL": map[string]any{"x": 1}}}, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					role := r.body["role"].(map[string]any)
					if r.body["notice"] != "The role updated successfully." || role["name"] != "Regional 2" || len(role["rules"].([]any)) != 2 ||
						role["stack"].(map[string]any)["api_key"] != f.stack.APIKey {
						t.Fatalf("%s", r.raw)
					}
					if users := role["users"].([]any); len(users) != 1 {
						t.Fatalf("users changed without a users field: %v", users)
					}
				}},
			{name: "update with an empty name keeps the name", method: "PUT", path: "/v3/roles/" + uid, who: Owner, body: roleBody("", branchRule), status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if r.body["role"].(map[string]any)["name"] != "Regional 2" {
						t.Fatalf("%s", r.raw)
					}
				}},
			{name: "update without branch rule", method: "PUT", path: "/v3/roles/" + uid, who: Owner,
				body: roleBody("x", map[string]any{"module": "asset", "assets": []string{"$all"}, "acl": map[string]any{"read": true}}), status: 422, code: 141, field: "rules.branch"},
			{name: "content manager cannot delete", method: "DELETE", path: "/v3/roles/" + uid, who: ContentManager, status: 403, code: 316},
			{name: "delete", method: "DELETE", path: "/v3/roles/" + uid, who: Developer, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if r.body["notice"] != "The role deleted successfully." {
						t.Fatalf("%s", r.raw)
					}
				}},
			{name: "deleted is unknown", method: "GET", path: "/v3/roles/" + uid, who: Owner, status: 422, code: 141},
			{name: "its former holder keeps their system role", method: "GET", path: "/v3/roles", who: ContentManager, status: 200},
		})
	})
}
