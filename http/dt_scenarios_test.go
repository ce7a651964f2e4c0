package http_test

import (
	"strings"
	"testing"

	"github.com/stackgate/stackgate/internal/testdb"
)

func dtScope(extra ...map[string]any) []any {
	s := []any{
		map[string]any{"module": "environment", "environments": []string{"production"}, "acl": map[string]any{"read": true}},
		map[string]any{"module": "branch", "branches": []string{"main"}, "acl": map[string]any{"read": true}},
	}
	for _, e := range extra {
		s = append(s, e)
	}
	return s
}

func dtBody(name string, scope []any) map[string]any {
	return map[string]any{"token": map[string]any{"name": name, "description": "d", "scope": scope}}
}

// TestDeliveryTokenScenarios covers every delivery- and preview-token
// endpoint, validation rule and permission row, on both stores.
func TestDeliveryTokenScenarios(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		var uid, value string
		mt := f.do(req{method: "POST", path: "/v3/stacks/management_tokens", headers: f.as(Owner), body: map[string]any{"token": map[string]any{
			"name": "all", "scope": []any{map[string]any{"module": "$all", "acl": map[string]any{"read": true, "write": true}},
				map[string]any{"module": "branch", "branches": []string{"main"}, "acl": map[string]any{"read": true}}}}}})
		mgmt := mt.body["token"].(map[string]any)["token"].(string)
		onlyEnv := []any{dtScope()[0]}
		runScenarios(t, f, []scenario{
			{name: "create", method: "POST", path: "/v3/stacks/delivery_tokens", who: Developer, body: dtBody("site", dtScope()), status: 201,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					tok := r.body["token"].(map[string]any)
					uid, value = tok["uid"].(string), tok["token"].(string)
					if r.body["notice"] != "Delivery Token created successfully." || tok["type"] != "delivery" || len(value) != 26 || !strings.HasPrefix(value, "cs") {
						t.Fatalf("%s", r.raw)
					}
					if _, has := tok["preview_token"]; has {
						t.Fatal("preview_token without create_with_preview_token")
					}
					env := tok["scope"].([]any)[0].(map[string]any)["environments"].([]any)[0].(map[string]any)
					for _, k := range []string{"name", "uid", "urls", "_version", "ACL", "tags", "created_at"} {
						if _, ok := env[k]; !ok {
							t.Fatalf("environment not expanded (%s missing): %v", k, env)
						}
					}
					for _, s := range tok["scope"].([]any) {
						if s.(map[string]any)["_metadata"].(map[string]any)["uid"] == "" {
							t.Fatal("scope entry without _metadata.uid")
						}
					}
				}},
			{name: "create with preview", method: "POST", path: "/v3/stacks/delivery_tokens?create_with_preview_token=true", who: Admin, body: dtBody("preview", dtScope()), status: 201,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if p, _ := r.body["token"].(map[string]any)["preview_token"].(string); len(p) != 26 {
						t.Fatalf("no preview token: %s", r.raw)
					}
				}},
			{name: "create with string booleans", method: "POST", path: "/v3/stacks/delivery_tokens", who: Owner,
				body: `{"token":{"name":"strings","scope":[{"module":"environment","environments":["production"],"acl":{"read":"true"}},{"module":"branch","branches":["main"],"acl":{"read":"true"}}]}}`, status: 201},
			{name: "bad create_with_preview_token", method: "POST", path: "/v3/stacks/delivery_tokens?create_with_preview_token=maybe", who: Owner, body: dtBody("x", dtScope()), status: 400, code: 400},
			{name: "name missing", method: "POST", path: "/v3/stacks/delivery_tokens", who: Owner, body: map[string]any{"token": map[string]any{"scope": dtScope()}}, status: 422, code: 141, field: "name"},
			{name: "name blank", method: "POST", path: "/v3/stacks/delivery_tokens", who: Owner, body: dtBody("   ", dtScope()), status: 422, code: 141, field: "name"},
			{name: "name too long", method: "POST", path: "/v3/stacks/delivery_tokens", who: Owner, body: dtBody(strings.Repeat("n", 256), dtScope()), status: 422, code: 141, field: "name"},
			{name: "name duplicate", method: "POST", path: "/v3/stacks/delivery_tokens", who: Owner, body: dtBody("site", dtScope()), status: 422, code: 141, field: "name"},
			{name: "scope missing", method: "POST", path: "/v3/stacks/delivery_tokens", who: Owner, body: map[string]any{"token": map[string]any{"name": "s"}}, status: 422, code: 141, field: "scope"},
			{name: "no environment entry", method: "POST", path: "/v3/stacks/delivery_tokens", who: Owner, body: dtBody("s", []any{dtScope()[1]}), status: 422, code: 141, field: "scope.environments"},
			{name: "unknown environment", method: "POST", path: "/v3/stacks/delivery_tokens", who: Owner,
				body: dtBody("s", []any{map[string]any{"module": "environment", "environments": []string{"nope"}, "acl": map[string]any{"read": true}}, dtScope()[1]}), status: 422, code: 141, field: "scope.environments"},
			{name: "no branch entry", method: "POST", path: "/v3/stacks/delivery_tokens", who: Owner, body: dtBody("s", onlyEnv), status: 422, code: 141, field: "scope.branch_or_alias"},
			{name: "unknown branch", method: "POST", path: "/v3/stacks/delivery_tokens", who: Owner,
				body: dtBody("s", []any{dtScope()[0], map[string]any{"module": "branch", "branches": []string{"nope"}, "acl": map[string]any{"read": true}}}), status: 422, code: 141, field: "scope.branches"},
			{name: "unknown module", method: "POST", path: "/v3/stacks/delivery_tokens", who: Owner, body: dtBody("s", dtScope(map[string]any{"module": "content_type", "acl": map[string]any{"read": true}})), status: 422, code: 141, field: "scope.2.module"},
			{name: "acl not an object", method: "POST", path: "/v3/stacks/delivery_tokens", who: Owner,
				body: dtBody("s", []any{map[string]any{"module": "environment", "environments": []string{"production"}, "acl": true}, dtScope()[1]}), status: 422, code: 141, field: "scope.0.acl"},
			{name: "content manager refused", method: "POST", path: "/v3/stacks/delivery_tokens", who: ContentManager, body: dtBody("cm", dtScope()), status: 403, code: 316},
			{name: "content manager cannot list", method: "GET", path: "/v3/stacks/delivery_tokens", who: ContentManager, status: 403, code: 316},
			{name: "management token refused", method: "GET", path: "/v3/stacks/delivery_tokens", headers: map[string]string{"api_key": f.stack.APIKey, "authorization": mgmt}, status: 403, code: 316},
			{name: "outsider refused", method: "GET", path: "/v3/stacks/delivery_tokens", who: Outsider, status: 403, code: 316},
			{name: "list", method: "GET", path: "/v3/stacks/delivery_tokens?include_count=true", who: Developer, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if r.body["count"] != float64(3) || len(r.body["tokens"].([]any)) != 3 {
						t.Fatalf("%s", r.raw)
					}
				}},
			{name: "list limit skip", method: "GET", path: "/v3/stacks/delivery_tokens?limit=1&skip=1&asc=name", who: Developer, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					toks := r.body["tokens"].([]any)
					if len(toks) != 1 || toks[0].(map[string]any)["name"] != "site" {
						t.Fatalf("%s", r.raw)
					}
				}},
			{name: "list desc", method: "GET", path: "/v3/stacks/delivery_tokens?desc=name&limit=1", who: Developer, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if r.body["tokens"].([]any)[0].(map[string]any)["name"] != "strings" {
						t.Fatalf("%s", r.raw)
					}
				}},
			{name: "list query name", method: "GET", path: `/v3/stacks/delivery_tokens?query={"name":"preview"}`, who: Developer, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if toks := r.body["tokens"].([]any); len(toks) != 1 || toks[0].(map[string]any)["preview_token"] == nil {
						t.Fatalf("%s", r.raw)
					}
				}},
			{name: "list query $in", method: "GET", path: `/v3/stacks/delivery_tokens?query={"name":{"$in":["site","strings"]}}`, who: Developer, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if len(r.body["tokens"].([]any)) != 2 {
						t.Fatalf("%s", r.raw)
					}
				}},
			{name: "list bad query", method: "GET", path: `/v3/stacks/delivery_tokens?query=[1`, who: Developer, status: 400, code: 400},
			{name: "list bad operator", method: "GET", path: `/v3/stacks/delivery_tokens?query={"name":{"$where":"x"}}`, who: Developer, status: 400, code: 400},
		})
		get := func(t *testing.T) map[string]any {
			r := f.do(req{method: "GET", path: "/v3/stacks/delivery_tokens/" + uid, headers: f.as(Developer)})
			if r.status != 200 {
				t.Fatalf("get: %d %s", r.status, r.raw)
			}
			return r.body["token"].(map[string]any)
		}
		t.Run("update as the SDK does: fetch, change, send back everything", func(t *testing.T) {
			tok := get(t)
			tok["name"], tok["description"] = "site 2", "changed"
			tok["token"], tok["uid"], tok["type"], tok["created_at"] = "csffffffffffffffffffffffff", "bltforged", "management", "2000-01-01T00:00:00.000Z"
			tok["preview_token"] = "cs000000000000000000000000"
			r := f.do(req{method: "PUT", path: "/v3/stacks/delivery_tokens/" + uid, headers: f.as(Developer), body: map[string]any{"token": tok}})
			if r.status != 200 || r.body["notice"] != "Delivery Token updated successfully." {
				t.Fatalf("%d %s", r.status, r.raw)
			}
			got := r.body["token"].(map[string]any)
			if got["name"] != "site 2" || got["token"] != value || got["uid"] != uid || got["type"] != "delivery" || got["preview_token"] != nil {
				t.Fatalf("read-only fields changed state: %s", r.raw)
			}
			before := get(t)["scope"].([]any)
			for i, s := range got["scope"].([]any) {
				if s.(map[string]any)["_metadata"].(map[string]any)["uid"] != before[i].(map[string]any)["_metadata"].(map[string]any)["uid"] {
					t.Fatal("_metadata.uid changed")
				}
			}
		})
		runScenarios(t, f, []scenario{
			{name: "update validation", method: "PUT", path: "/v3/stacks/delivery_tokens/" + uid, who: Owner, body: dtBody("x", onlyEnv), status: 422, code: 141, field: "scope.branch_or_alias"},
			{name: "update unknown uid", method: "PUT", path: "/v3/stacks/delivery_tokens/bltnope", who: Owner, body: dtBody("x", dtScope()), status: 422, code: 141, field: "uid"},
			{name: "get unknown uid", method: "GET", path: "/v3/stacks/delivery_tokens/bltnope", who: Owner, status: 422, code: 141, field: "uid"},
			{name: "other stack's token is unknown", method: "GET", path: "/v3/stacks/delivery_tokens/" + uid, who: Outsider, headers: map[string]string{"api_key": f.other.APIKey}, status: 422, code: 141},
			{name: "preview token: create with an empty form body", method: "POST", path: "/v3/stacks/delivery_tokens/" + uid + "/preview_token", who: Developer,
				headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, body: "", status: 201,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if r.body["notice"] != "Preview token created successfully." || r.body["token"].(map[string]any)["preview_token"] == nil {
						t.Fatalf("%s", r.raw)
					}
				}},
			{name: "preview token: a non-JSON body is refused", method: "POST", path: "/v3/stacks/delivery_tokens/" + uid + "/preview_token", who: Developer, body: "nope", status: 400, code: 400},
			{name: "preview token: delete", method: "DELETE", path: "/v3/stacks/delivery_tokens/" + uid + "/preview_token", who: Developer, status: 200},
			{name: "preview token: delete when none", method: "DELETE", path: "/v3/stacks/delivery_tokens/" + uid + "/preview_token", who: Developer, status: 422, code: 141},
			{name: "preview token: unknown delivery token", method: "POST", path: "/v3/stacks/delivery_tokens/bltnope/preview_token", who: Developer, status: 422, code: 141},
			{name: "environment in use cannot be deleted", method: "DELETE", path: "/v3/environments/production", who: Owner, status: 422, code: 141},
			{name: "delete bad force", method: "DELETE", path: "/v3/stacks/delivery_tokens/" + uid + "?force=maybe", who: Owner, status: 400, code: 400},
			{name: "delete as content manager", method: "DELETE", path: "/v3/stacks/delivery_tokens/" + uid, who: ContentManager, status: 403, code: 316},
			{name: "delete", method: "DELETE", path: "/v3/stacks/delivery_tokens/" + uid + "?force=true", who: Developer, status: 200,
				bodyCheck: func(t *testing.T, f *fixture, r reply) {
					if r.body["notice"] != "Delivery Token deleted successfully." {
						t.Fatalf("%s", r.raw)
					}
				}},
			{name: "deleted is unknown", method: "GET", path: "/v3/stacks/delivery_tokens/" + uid, who: Owner, status: 422, code: 141},
		})
	})
}

// TestDeliveryTokenLimit: a stack holds at most DeliveryTokenLimit tokens.
func TestDeliveryTokenLimit(t *testing.T) {
	f := newFixture(t, testdb.SQLite)
	limited := newFixtureWithLimits(t, f, 2, 10)
	for i, want := range []int{201, 201, 422} {
		r := limited.do(req{method: "POST", path: "/v3/stacks/delivery_tokens", headers: f.as(Owner), body: dtBody(string(rune('a'+i)), dtScope())})
		if r.status != want {
			t.Fatalf("token %d: %d, want %d: %s", i, r.status, want, r.raw)
		}
		if want == 422 {
			wantError(t, r, 422, 141, "token")
		}
	}
}
