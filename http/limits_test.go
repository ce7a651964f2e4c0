package http_test

import (
	"fmt"
	"strings"
	"testing"

	sghttp "github.com/stackgate/stackgate/http"
	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/service"
)

// TestStackLimits: for every per-stack limit, the write that reaches it is
// accepted, the one past it is 422 with an errors entry saying which limit,
// and nothing changed (the list is as long as before).
func TestStackLimits(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		base := newFixture(t, open)
		limits := service.StackLimits{Environments: 3, Locales: 3, Branches: 3, BranchAliases: 2, CustomRoles: 2,
			RulesPerRole: 3, RoleItems: 4, UsersPerRole: 1}
		svc, acc := newServices(base.store, service.Config{Limits: limits})
		f := *base
		f.svc, f.acc, f.srv = svc, acc, sghttp.NewServer(svc, acc, nil)
		owner := f.as(Owner)
		count := func(path, key string) int {
			r := mustDo(t, &f, owner, "GET", path, nil, 200)
			return len(r.body[key].([]any))
		}
		ct := func(n int) map[string]any {
			uids := make([]string, n)
			for i := range uids {
				uids[i] = fmt.Sprint("ct", i)
			}
			return map[string]any{"module": "content_type", "content_types": uids, "acl": fullACL()}
		}
		for _, tc := range []struct {
			name      string
			list, key string // what must not change
			write     func(i int) (method, path string, body any)
			creates   int // accepted writes before the limit (the stack starts with some)
			field     string
		}{
			{"environments", "/v3/environments", "environments", func(i int) (string, string, any) {
				return "POST", "/v3/environments", envBody(fmt.Sprint("env", i))
			}, 2, "environment"}, // production exists
			{"locales", "/v3/locales", "locales", func(i int) (string, string, any) {
				return "POST", "/v3/locales", map[string]any{"locale": map[string]any{"code": fmt.Sprint("x-", i), "name": "X"}}
			}, 2, "locale"}, // en-us exists
			{"branches", "/v3/stacks/branches", "branches", func(i int) (string, string, any) {
				return "POST", "/v3/stacks/branches", map[string]any{"branch": map[string]any{"uid": fmt.Sprint("b", i), "source": "main"}}
			}, 2, "branch"}, // main exists
			{"aliases", "/v3/stacks/branch_aliases", "branch_aliases", func(i int) (string, string, any) {
				return "PUT", fmt.Sprint("/v3/stacks/branch_aliases/a", i), map[string]any{"branch_alias": map[string]any{"target_branch": "main"}}
			}, 2, "branch_alias"},
			{"custom roles", rolesPath, "roles", func(i int) (string, string, any) {
				return "POST", rolesPath, rolePayload(fmt.Sprint("Role ", i), ruleBranch("main"))
			}, 2, "role"},
			{"rules per role", rolesPath, "roles", func(i int) (string, string, any) {
				rules := []any{ruleBranch("main")}
				for range i + 1 { // 2, then 3 (the limit), then 4 rules
					rules = append(rules, ct(1))
				}
				return "PUT", rolesPath + "/" + roleUID(t, &f, "Role 0"), rolePayload("Role 0", rules...)
			}, 2, "rules"},
			{"items per role", rolesPath, "roles", func(i int) (string, string, any) {
				return "PUT", rolesPath + "/" + roleUID(t, &f, "Role 0"), rolePayload("Role 0", ruleBranch("main"), ct(i+3)) // 3, 4 (the limit), then 5 items
			}, 2, "rules"},
			{"users per role", rolesPath, "roles", func(i int) (string, string, any) {
				users := []string{f.users[Developer].UID, f.users[Admin].UID}[:i+1]
				body := rolePayload("Role 0", ruleBranch("main"))
				body["role"].(map[string]any)["users"] = users
				return "PUT", rolesPath + "/" + roleUID(t, &f, "Role 0"), body
			}, 1, "users"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				for i := range tc.creates {
					m, p, b := tc.write(i)
					if r := f.do(req{method: m, path: p, headers: owner, body: b}); r.status >= 300 {
						t.Fatalf("write %d, within the limit: %d %s", i, r.status, r.raw)
					}
				}
				before := count(tc.list, tc.key)
				roleBefore := ""
				if strings.HasPrefix(tc.list, rolesPath) && tc.name != "custom roles" {
					roleBefore = string(mustDo(t, &f, owner, "GET", rolesPath+"/"+roleUID(t, &f, "Role 0")+"?include_rules=true", nil, 200).raw)
				}
				m, p, b := tc.write(tc.creates)
				got := f.do(req{method: m, path: p, headers: owner, body: b})
				wantError(t, got, 422, 141, tc.field)
				if !strings.Contains(string(got.raw), "limit of") {
					t.Errorf("the error does not name the limit: %s", got.raw)
				}
				if after := count(tc.list, tc.key); after != before {
					t.Errorf("%d %s after the refused write, want %d", after, tc.key, before)
				}
				if roleBefore != "" {
					if now := string(mustDo(t, &f, owner, "GET", rolesPath+"/"+roleUID(t, &f, "Role 0")+"?include_rules=true", nil, 200).raw); now != roleBefore {
						t.Errorf("the refused update changed the role:\n%s\n%s", roleBefore, now)
					}
				}
			})
		}
	})
}

// roleUID returns the uid of the stack's role called name.
func roleUID(t *testing.T, f *fixture, name string) string {
	t.Helper()
	r := mustDo(t, f, f.as(Owner), "GET", rolesPath, nil, 200)
	for _, x := range r.body["roles"].([]any) {
		if m := x.(map[string]any); m["name"] == name {
			return m["uid"].(string)
		}
	}
	t.Fatalf("no role %q", name)
	return ""
}
