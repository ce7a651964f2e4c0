package access_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/access"
	"github.com/stackgate/stackgate/authz"
	"github.com/stackgate/stackgate/http/wire/wiretest"
	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/secret"
	"github.com/stackgate/stackgate/service"
)

// BenchmarkDecideCustomRoles is the gate's whole decision on a cache hit
// for an authtoken of a user holding 3 custom roles of 20 rules each
// (auth_bench_test.go measures a system role): "hit" is allowed by the
// last rule of the last role, "miss" is what no role allows.
func BenchmarkDecideCustomRoles(b *testing.B) {
	ctx := context.Background()
	keys, err := secret.ParseKeyFile(secret.GenerateKeyFile())
	if err != nil {
		b.Fatal(err)
	}
	svc := newNode(testdb.SQLite(b), keys, access.Config{})
	owner, _, err := svc.EnsureUser(ctx, "o@example.com", "password-1")
	if err != nil {
		b.Fatal(err)
	}
	stack, err := svc.CreateStack(ctx, owner, "S")
	if err != nil {
		b.Fatal(err)
	}
	p := stackgate.Actor{Stack: stack, UID: owner.UID}
	var roleUIDs []string
	for i := 0; i < 3; i++ {
		rules := []any{map[string]any{"module": "branch", "branches": []string{"main"}, "acl": map[string]bool{"read": true}}}
		for j := 0; len(rules) < 19; j++ {
			rules = append(rules,
				map[string]any{"module": "content_type", "content_types": []string{fmt.Sprintf("ct%d_%d", i, j)},
					"acl": map[string]any{"read": true, "sub_acl": map[string]bool{"read": true}}},
				map[string]any{"module": "asset", "assets": []string{fmt.Sprintf("a%d_%d", i, j)}, "acl": map[string]bool{"read": true}})
		}
		rules = append(rules[:19], map[string]any{"module": "content_type", "content_types": []string{fmt.Sprintf("hit%d", i)},
			"acl": map[string]any{"read": true, "sub_acl": map[string]bool{"read": true, "update": true}}})
		raw, _ := json.Marshal(rules)
		name := fmt.Sprintf("role %d", i)
		r, err := svc.CreateRole(ctx, p, wiretest.Role(service.RoleInput{Name: &name}, raw))
		if err != nil {
			b.Fatal(err)
		}
		roleUIDs = append(roleUIDs, r.UID)
	}
	user, _, err := svc.EnsureUser(ctx, "u@example.com", "password-1")
	if err != nil {
		b.Fatal(err)
	}
	if err := svc.AddMember(ctx, stack.UID, user.UID, roleUIDs); err != nil {
		b.Fatal(err)
	}
	_, authtoken, err := svc.Login(ctx, "u@example.com", "password-1")
	if err != nil {
		b.Fatal(err)
	}
	cred := access.Credentials{APIKey: stack.APIKey, Authtoken: authtoken}
	for _, k := range []struct {
		name    string
		path    string
		allowed bool
	}{
		{"hit", "/v3/content_types/hit2/entries/bltentry", true},
		{"miss", "/v3/content_types/nothing/entries/bltentry", false},
	} {
		b.Run(k.name, func(b *testing.B) {
			req := access.GateRequest{API: authz.CMA, Credentials: cred, Method: "PUT", Path: k.path}
			if d, err := svc.Decide(ctx, req); err != nil || d.Allowed != k.allowed {
				b.Fatalf("decision %+v, %v; want allowed %v", d, err, k.allowed)
			}
			b.ReportAllocs()
			for b.Loop() {
				if d, _ := svc.Decide(ctx, req); d.Allowed != k.allowed {
					b.Fatal("decision changed")
				}
			}
		})
	}
}
