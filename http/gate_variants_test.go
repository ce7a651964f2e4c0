package http_test

import (
	"context"
	"testing"

	"github.com/stackgate/stackgate/internal/testdb"
)

// TestGateEntryVariants: the entry variants routes (CMA "Entry Variants":
// list, fetch, create or update, delete, versions) are entry routes: a role
// without entry rights is refused on each, one with them allowed, and
// /gate/check names the module, action and OAuth scope.
func TestGateEntryVariants(t *testing.T) {
	w := newGateWorld(t, testdb.SQLite)
	// A member whose role reaches assets only.
	role := w.do(req{method: "POST", path: "/v3/roles", headers: w.as(Owner), body: rolePayload("assets only", ruleBranch("main"),
		map[string]any{"module": "asset", "assets": []string{"$all"}, "acl": fullACL()})})
	if role.status != 201 {
		t.Fatalf("role: %d %s", role.status, role.raw)
	}
	ctx := context.Background()
	u, _, err := w.svc.EnsureUser(ctx, "assets@example.com", "assets-password")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.svc.AddMember(ctx, w.stack.UID, u.UID, []string{role.body["role"].(map[string]any)["uid"].(string)}); err != nil {
		t.Fatal(err)
	}
	_, assetsOnly, err := w.svc.Login(ctx, "assets@example.com", "assets-password")
	if err != nil {
		t.Fatal(err)
	}
	const variants = "/v3/content_types/blog/entries/bltentry/variants"
	for _, c := range []struct{ method, path, action, scope string }{
		{"GET", variants, "read", "cm.entries.management:read"},
		{"GET", variants + "/csvariant1", "read", "cm.entries.management:read"},
		{"PUT", variants + "/csvariant1", "update", "cm.entries.management:write"},
		{"DELETE", variants + "/csvariant1", "delete", "cm.entries.management:write"},
		{"GET", variants + "/csvariant1/versions", "read", "cm.entries.management:read"},
	} {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			for _, who := range []struct {
				authtoken string
				status    int
			}{{assetsOnly, 403}, {w.staging, 200}} {
				got := w.ask(gateCase{api: "cma", method: c.method, uri: c.path, headers: h("api_key", w.key, "authtoken", who.authtoken)})
				if got.status != who.status {
					t.Fatalf("gate: %d %s, want %d", got.status, got.raw, who.status)
				}
			}
			got := w.do(req{method: "POST", path: "/gate/check", body: map[string]any{"api": "cma", "method": c.method, "path": c.path,
				"api_key": w.key, "credential": map[string]string{"authtoken": w.staging}}})
			if got.status != 200 || got.body["allowed"] != true {
				t.Fatalf("check: %d %s", got.status, got.raw)
			}
			route, _ := got.body["route"].(map[string]any)
			if route["module"] != "entry" || route["action"] != c.action || route["scope"] != c.scope {
				t.Fatalf("route %v, want entry %s %s", route, c.action, c.scope)
			}
		})
	}
	// The delivery API's two variant reads take the delivery token, as its entries do.
	for _, path := range []string{"/v3/content_types/blog/entries/bltentry/variants", "/v3/content_types/blog/entries/bltentry/variants/csvariant1"} {
		if got := w.ask(gateCase{api: "cda", method: "GET", uri: path + "?environment=production",
			headers: h("api_key", w.key, "access_token", w.delivery)}); got.status != 200 {
			t.Fatalf("cda %s: %d %s", path, got.status, got.raw)
		}
	}
}
