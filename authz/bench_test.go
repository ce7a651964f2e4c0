package authz_test

import (
	"fmt"
	"testing"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/authz"
	"github.com/stackgate/stackgate/http/wire"
)

var benchEnv = authz.NewEnvIndex([]*stackgate.Environment{{UID: "bltprod", Name: "production"}})

// rolesForBench builds n custom roles of 20 rules each: a branch rule, and
// content type, entry, asset and locale rules on objects that do not match
// the request, so a decision scans them all before the last rule matches.
func rolesForBench(n int) []*stackgate.Role {
	t := true
	var roles []*stackgate.Role
	for i := 0; i < n; i++ {
		rules := []stackgate.Rule{{Module: "branch", Branches: []string{"main"}, ACL: stackgate.ACL{Read: &t}}}
		for j := 0; len(rules) < 19; j++ {
			rules = append(rules,
				stackgate.Rule{Module: "content_type", ContentTypes: []string{fmt.Sprintf("ct%d_%d", i, j)}, ACL: stackgate.ACL{Read: &t, SubACL: &stackgate.ACL{Read: &t}}},
				stackgate.Rule{Module: "entry", ContentType: "other", Entries: []string{fmt.Sprintf("e%d", j)}, ACL: stackgate.ACL{Read: &t}},
				stackgate.Rule{Module: "asset", Assets: []string{fmt.Sprintf("a%d", j)}, ACL: stackgate.ACL{Read: &t}})
		}
		rules = rules[:19]
		rules = append(rules, stackgate.Rule{Module: "content_type", ContentTypes: []string{fmt.Sprintf("hit%d", i)}, ACL: stackgate.ACL{Read: &t, SubACL: &stackgate.ACL{Update: &t}}})
		roles = append(roles, &stackgate.Role{UID: fmt.Sprintf("bltrole%d", i), Name: fmt.Sprintf("role %d", i), Rules: rules})
	}
	return roles
}

// BenchmarkMemberAllowed: a user with 3 custom roles of 20 rules each; the
// last rule of the last role allows.
func BenchmarkMemberAllowed(b *testing.B) {
	m := authz.CompileMember(false, rolesForBench(3), benchEnv, nil)
	req := authz.Request{Module: "entry", Action: authz.Update, Branch: "main", ContentType: "hit2", Locale: "en-us"}
	if !m.Allowed(req).Allowed {
		b.Fatal("the benchmark request is denied")
	}
	b.ReportAllocs()
	for b.Loop() {
		if !m.Allowed(req).Allowed {
			b.Fatal("denied")
		}
	}
}

func BenchmarkManagementTokenAllowed(b *testing.B) {
	t := true
	s := authz.CompileManagementToken(&stackgate.ManagementToken{Scope: []stackgate.ScopeEntry{
		{Module: "content_type", ACL: stackgate.ACL{Read: &t}}, {Module: "entry", ACL: stackgate.ACL{Read: &t, Write: &t}},
		{Module: "branch", Branches: []string{"main"}, ACL: stackgate.ACL{Read: &t}}}}, nil)
	req := authz.Request{Module: "entry", Action: authz.Update, Branch: "main"}
	b.ReportAllocs()
	for b.Loop() {
		if !s.Allowed(req).Allowed {
			b.Fatal("denied")
		}
	}
}

func BenchmarkDeliveryTokenAllowed(b *testing.B) {
	t := true
	s := authz.CompileDeliveryToken(&stackgate.DeliveryToken{Scope: []stackgate.ScopeEntry{
		{Module: "environment", Environments: []string{"bltprod"}, ACL: stackgate.ACL{Read: &t}},
		{Module: "branch", Branches: []string{"main"}, ACL: stackgate.ACL{Read: &t}}}}, benchEnv, nil)
	req := authz.Request{Module: "entry", Action: authz.Read, Branch: "main", Environment: "production"}
	b.ReportAllocs()
	for b.Loop() {
		if !s.Allowed(authz.CDA, req).Allowed {
			b.Fatal("denied")
		}
	}
}

// BenchmarkMemberDenied: the same member asking what no role allows (all
// three roles are consulted).
func BenchmarkMemberDenied(b *testing.B) {
	m := authz.CompileMember(false, rolesForBench(3), benchEnv, nil)
	req := authz.Request{Module: "entry", Action: authz.Delete, Branch: "main", ContentType: "hit2", Locale: "en-us"}
	if m.Allowed(req).Allowed {
		b.Fatal("the benchmark request is allowed")
	}
	b.ReportAllocs()
	for b.Loop() {
		if m.Allowed(req).Allowed {
			b.Fatal("allowed")
		}
	}
}

// FuzzRuleDecoding: any rules that decode compile and decide without
// panic, every decision has a reason, an allow names its rule, and what no
// custom role may ever do stays refused whatever the rules say.
func FuzzRuleDecoding(f *testing.F) {
	f.Add([]byte(`[{"module":"branch","branches":["main"]},{"module":"taxonomy","terms":["a.b"],"content_types":[{"uid":"$all","acl":{"sub_acl":{"read":true}}}]}]`))
	f.Add([]byte(`[{"module":"locale","locales":["$all"],"restrict":true,"acl":{"sub_acl":{"update":"true"}}}]`))
	f.Add([]byte(`[{"module":"branch_alias","branch_aliases":["$all"]},{"module":"entry","content_type":"$all","entries":["$all"],"acl":{"read":true}}]`))
	f.Add([]byte(`[{"module":"branch","branches":["$all"]},{"module":"content_type","content_types":["$all"],"acl":{"read":true,"create":true,"update":true,"delete":true,"write":true,"sub_acl":{"read":true,"create":true,"update":true,"delete":true,"publish":true}}},{"module":"asset","assets":["$all"],"acl":{"read":true,"create":true,"update":true,"delete":true,"publish":true}},{"module":"folder","folders":["$all"],"acl":{"read":true,"update":true,"sub_acl":{"publish":true}}},{"module":"environment","environments":["production"]},{"module":"locale","locales":["en-us"]}]`))
	f.Add([]byte(`[{"module":"branch","branches":["main"]},{"module":"taxonomy","taxonomies":["$all"],"terms":["$all","x.","..",".y"],"acl":{"read":true,"write":true,"sub_acl":{"delete":true}}}]`))
	never := []authz.Request{}
	for _, module := range []stackgate.Module{"environment", "locale", "branch", "branch_alias", "role", "stack"} {
		for _, a := range []authz.Action{authz.Create, authz.Update, authz.Delete, authz.Publish} {
			never = append(never, authz.Request{Module: module, Action: a, Branch: "main"})
		}
	}
	for _, module := range []stackgate.Module{"delivery_token", "management_token", "stack_user", "release", "webhook", "audit_log"} {
		never = append(never, authz.Request{Module: module, Action: authz.Read, Branch: "main"})
	}
	for _, module := range []stackgate.Module{"content_type", "global_field", "taxonomy"} {
		never = append(never, authz.Request{Module: module, Action: authz.Delete, Branch: "main", ContentType: "blog", Taxonomy: "a"})
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, err := wire.DecodeRules(data)
		if err != nil {
			return
		}
		m := authz.CompileMember(false, []*stackgate.Role{{UID: "r", Name: "r", Rules: rules}}, benchEnv, map[string]string{"deploy": "main"})
		for _, req := range []authz.Request{
			{Module: "entry", Action: authz.Update, Branch: "main", ContentType: "blog", Locale: "en-us", Term: "b", Taxonomy: "a"},
			{Module: "entry", Action: authz.Publish, Branch: "main", ContentType: "blog", Entry: "e", Environment: "production"},
			{Module: "asset", Action: authz.Publish, Branch: "main", Folder: "f", Environment: "production"},
			{Module: "taxonomy", Action: authz.Read, Branch: "dev"},
			{Module: "content_type", Action: authz.Read, Branch: "main"},
			{Module: "role", Action: authz.Delete},
			{Module: "entry", Action: 0, Branch: "main", ContentType: "blog"},
		} {
			d := m.Allowed(req)
			if d.Reason == "" {
				t.Fatalf("decision without a reason for %+v", req)
			}
			if d.Allowed && (d.Rule == nil || d.Rule.Source != authz.SourceRole) {
				t.Fatalf("allow of %+v names no rule of the role: %+v", req, d.Rule)
			}
			if d.Allowed && req.Action == 0 {
				t.Fatalf("allowed an unknown action")
			}
		}
		for _, req := range never {
			if d := m.Allowed(req); d.Allowed {
				t.Fatalf("a custom role allowed %s %s: %s", req.Action, req.Module, d.Reason)
			}
		}
	})
}
