package authz_test

import (
	"encoding/json"
	"testing"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/authz"
)

func TestActionString(t *testing.T) {
	for a, want := range map[authz.Action]string{authz.Read: "read", authz.Create: "create", authz.Update: "update",
		authz.Delete: "delete", authz.Publish: "publish", 0: "none", 99: "none"} {
		if got := a.String(); got != want {
			t.Errorf("Action(%d).String() = %q, want %q", a, got, want)
		}
	}
}

// TestRuleRefJSON: the explain API renders a RuleRef with these keys.
func TestRuleRefJSON(t *testing.T) {
	yes := true
	role := &stackgate.Role{UID: "bltrole", Name: "Editors", Rules: []stackgate.Rule{
		{Module: "branch", Branches: []string{"main"}},
		{Module: "content_type", ContentTypes: []string{"blog"}, ACL: stackgate.ACL{SubACL: &stackgate.ACL{Update: &yes}}},
	}}
	d := authz.CompileMember(false, []*stackgate.Role{role}, authz.EnvIndex{}, nil).
		Allowed(authz.Request{Module: "entry", Action: authz.Update, Branch: "main", ContentType: "blog", Entry: "e"})
	if !d.Allowed {
		t.Fatalf("denied: %s", d.Reason)
	}
	got, err := json.Marshal(d.Rule)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"source":"role","role_uid":"bltrole","role_name":"Editors","index":1,"module":"content_type"}`
	if string(got) != want {
		t.Fatalf("RuleRef JSON = %s, want %s", got, want)
	}
	owner, _ := json.Marshal(authz.CompileMember(true, nil, authz.EnvIndex{}, nil).Allowed(authz.Request{Module: "stack", Action: authz.Read}).Rule)
	if string(owner) != `{"source":"owner","index":-1}` {
		t.Fatalf("owner RuleRef JSON = %s", owner)
	}
}

func TestEnvIndex(t *testing.T) {
	env := authz.NewEnvIndex([]*stackgate.Environment{{UID: "bltprod", Name: "production"}, nil}).
		WithLocales([]*stackgate.Locale{{UID: "blten", Code: "en-us"}, {UID: "bltfr", Code: "fr-fr", FallbackLocale: "en-us"}})
	for key, want := range map[string]string{"production": "bltprod", "bltprod": "bltprod"} {
		if uid, ok := env.UID(key); !ok || uid != want {
			t.Errorf("UID(%q) = %q, %v", key, uid, ok)
		}
		if name, ok := env.Name(key); !ok || name != "production" {
			t.Errorf("Name(%q) = %q, %v", key, name, ok)
		}
	}
	if _, ok := env.UID("staging"); ok {
		t.Error("UID found an unknown environment")
	}
	if _, ok := env.Name("staging"); ok {
		t.Error("Name found an unknown environment")
	}
	if env.MasterLocale() != "en-us" {
		t.Errorf("master locale = %q", env.MasterLocale())
	}
	two := authz.EnvIndex{}.WithLocales([]*stackgate.Locale{{UID: "a", Code: "en-us"}, {UID: "b", Code: "fr-fr"}})
	if two.MasterLocale() != "" {
		t.Errorf("two locales without fallback: master = %q, want unknown", two.MasterLocale())
	}
	if two.WithMasterLocale("fr-fr").MasterLocale() != "fr-fr" {
		t.Error("WithMasterLocale ignored")
	}
}

// TestNilPrincipals: a nil or empty principal denies, with a reason.
func TestNilPrincipals(t *testing.T) {
	req := authz.Request{Module: "entry", Action: authz.Read, Branch: "main", ContentType: "blog", Environment: "production"}
	for name, d := range map[string]authz.Decision{
		"nil member":           (*authz.Member)(nil).Allowed(req),
		"member without roles": authz.CompileMember(false, []*stackgate.Role{nil}, authz.EnvIndex{}, nil).Allowed(req),
		"nil token scope":      (*authz.TokenScope)(nil).Allowed(req),
		"empty token":          authz.CompileManagementToken(nil, nil).Allowed(req),
		"nil delivery scope":   (*authz.DeliveryScope)(nil).Allowed(authz.CDA, req),
		"empty delivery token": authz.CompileDeliveryToken(nil, authz.EnvIndex{}, nil).Allowed(authz.CDA, req),
		"unknown system role":  authz.CompileMember(false, []*stackgate.Role{{System: true, Name: "Owner"}}, authz.EnvIndex{}, nil).Allowed(req),
	} {
		if d.Allowed || d.Reason == "" {
			t.Errorf("%s: %+v", name, d)
		}
	}
}

// TestAliasRecompile: a role on an alias follows the alias only when
// recompiled with the new target (the service recompiles on change).
func TestAliasRecompile(t *testing.T) {
	yes := true
	role := &stackgate.Role{UID: "r", Name: "r", Rules: []stackgate.Rule{
		{Module: "branch_alias", BranchAliases: []string{"deploy"}},
		{Module: "content_type", ContentTypes: []string{"$all"}, ACL: stackgate.ACL{SubACL: &stackgate.ACL{Read: &yes}}},
	}}
	req := authz.Request{Module: "entry", Action: authz.Read, Branch: "main", ContentType: "blog"}
	before := authz.CompileMember(false, []*stackgate.Role{role}, authz.EnvIndex{}, map[string]string{"deploy": "development"})
	after := authz.CompileMember(false, []*stackgate.Role{role}, authz.EnvIndex{}, map[string]string{"deploy": "main"})
	if before.Allowed(req).Allowed || !after.Allowed(req).Allowed {
		t.Fatalf("alias target not followed: before %v, after %v", before.Allowed(req), after.Allowed(req))
	}
}
