package http_test

import (
	"testing"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/internal/testdb"
)

// TestMembers: joining a stack (invited, accepted) and replacing roles change what a user may do
// on the very next request.
func TestMembers(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		dev, cm := f.roleUIDs[stackgate.RoleDeveloper], f.roleUIDs[stackgate.RoleContentManager]
		outsider := f.users[Outsider].UID
		runScenarios(t, f, []scenario{
			{name: "outsider is refused", method: "GET", path: "/v3/environments", who: Outsider, status: 403, code: 316},
			{name: "share with an unknown role", method: "POST", path: "/v3/stacks/share", who: Owner,
				body: map[string]any{"emails": []string{"outsider@example.com"}, "roles": map[string][]string{"outsider@example.com": {"bltnorole"}}}, status: 422, code: 141},
		})
		f.join(t, Outsider, dev)
		runScenarios(t, f, []scenario{
			{name: "now a developer", method: "POST", path: "/v3/environments", who: Outsider, body: envBody("outsiders"), status: 201},
			{name: "content manager cannot assign roles", method: "POST", path: "/v3/stacks/users/roles", who: ContentManager,
				body: map[string]any{"users": map[string][]string{outsider: {cm}}}, status: 403, code: 316},
			{name: "developer cannot assign roles", method: "POST", path: "/v3/stacks/users/roles", who: Developer,
				body: map[string]any{"users": map[string][]string{outsider: {cm}}}, status: 403, code: 316},
			{name: "assign roles of a non-member", method: "POST", path: "/v3/stacks/users/roles", who: Admin,
				body: map[string]any{"users": map[string][]string{"bltnobody": {cm}}}, status: 422, code: 141},
			{name: "demote to content manager", method: "POST", path: "/v3/stacks/users/roles", who: Admin,
				body: map[string]any{"users": map[string][]string{outsider: {cm}}}, status: 200},
			{name: "rights shrink at once", method: "POST", path: "/v3/environments", who: Outsider, body: envBody("more"), status: 403, code: 316},
			{name: "reads still allowed", method: "GET", path: "/v3/environments", who: Outsider, status: 200},
			{name: "other stack's data does not leak", method: "GET", path: "/v3/environments", who: Developer,
				headers: map[string]string{"api_key": f.other.APIKey}, status: 403, code: 316},
		})
	})
}
