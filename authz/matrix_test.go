package authz_test

import (
	"testing"

	"github.com/stackgate/stackgate/authz/authztest"
)

const matrixPath = "testdata/matrix.json"

func loadMatrix(t *testing.T) []authztest.Case {
	t.Helper()
	cases, err := authztest.LoadMatrix(matrixPath)
	if err != nil {
		t.Fatal(err)
	}
	return cases
}

// TestMatrix runs every case of testdata/matrix.json against the engine.
func TestMatrix(t *testing.T) {
	cases := loadMatrix(t)
	members, tokens, allowed := 0, 0, 0
	for _, c := range cases {
		if c.Principal.IsToken() {
			tokens++
		} else {
			members++
		}
		if c.Expect.Allowed {
			allowed++
		}
		t.Run(c.Name, func(t *testing.T) {
			d, err := c.Decide()
			if err != nil {
				t.Fatal(err)
			}
			if msg := c.Check(d); msg != "" {
				t.Fatal(msg)
			}
			if d.Allowed && d.Rule == nil {
				t.Fatalf("an allow that names no rule (reason %q)", d.Reason)
			}
		})
	}
	t.Logf("%d member cases, %d token cases", members, tokens)
	if members < 150 || tokens < 100 {
		t.Fatalf("the matrix has %d member and %d token cases; it must keep at least 150 and 100", members, tokens)
	}
	// A matrix that only allows (or only denies) proves little.
	if allowed < len(cases)/4 || allowed > len(cases)*3/4 {
		t.Fatalf("%d of %d cases allow: the matrix is lopsided", allowed, len(cases))
	}
}

// TestMatrixCoverage: the matrix keeps covering what the spec names: every
// rule module, every kind of principal, every action, both APIs, cases on
// other branches and in other stacks.
func TestMatrixCoverage(t *testing.T) {
	cases := loadMatrix(t)
	seen := map[string]int{}
	for _, c := range cases {
		p := c.Principal
		seen["kind:"+p.Kind()]++
		seen["api:"+c.Request.API]++
		seen["action:"+c.Request.Action]++
		seen["module:"+string(c.Request.Module)]++
		if p.Owner {
			seen["owner"]++
		}
		for _, s := range p.SystemRoles {
			seen["system:"+s]++
		}
		if len(p.Roles) > 1 {
			seen["several roles"]++
		}
		for _, r := range p.Roles {
			for _, rule := range r.Rules {
				seen["rule:"+string(rule.Module)]++
				if rule.Restrict {
					seen["locale exception"]++
				}
			}
		}
		if c.Request.Branch != "main" {
			seen["other branch"]++
		}
		if c.Aliases["deploy"] != "development" || len(c.Environments) != 2 || c.Locales[0].Code != "en-us" || len(c.Locales) != 2 {
			seen["other stack"]++
		}
		if m := p.ManagementToken; m != nil && m.Expired {
			seen["expired"]++
		}
	}
	for _, want := range []string{
		"kind:user", "kind:management_token", "kind:delivery_token", "kind:preview_token", "api:cma", "api:cda",
		"action:read", "action:create", "action:update", "action:delete", "action:publish",
		"owner", "system:Admin", "system:Developer", "system:Content Manager", "several roles",
		"rule:branch", "rule:branch_alias", "rule:content_type", "rule:entry", "rule:asset", "rule:folder",
		"rule:environment", "rule:locale", "rule:taxonomy", "locale exception",
		"module:environment", "module:locale", "module:branch", "module:branch_alias", "module:role",
		"module:delivery_token", "module:management_token", "module:stack_user", "module:stack",
		"other branch", "other stack", "expired",
	} {
		if seen[want] == 0 {
			t.Errorf("no case covers %s", want)
		}
	}
}

// TestMatrixAllocations: once a principal is compiled, no decision of the
// matrix allocates, allowed or denied, whatever the principal.
func TestMatrixAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("measures allocations")
	}
	for _, c := range loadMatrix(t) {
		decide, err := c.Compile()
		if err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(20, func() { _ = decide() }); n != 0 {
			t.Errorf("%s: %v allocations per decision", c.Name, n)
		}
	}
}
