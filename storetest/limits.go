package storetest

import (
	"fmt"
	"testing"

	"github.com/stackgate/stackgate"
)

// testStackLimits: each per-stack count limit accepts a create that reaches
// it, refuses (EINVALID on its field) the one past it, and the refused write
// changes nothing. Concurrent creates cannot overshoot (the count is taken
// under the stack lock).
func testStackLimits(t *testing.T, s stackgate.Store) {
	for _, tc := range []struct {
		name   string
		field  string
		create func(f *fixture, i, limit int) error
		count  func(f *fixture) int
	}{
		{"Environments", "environment", func(f *fixture, i, limit int) error {
			e := &stackgate.Environment{UID: stackgate.NewUID(), StackUID: f.stack, Name: fmt.Sprintf("env%d", i),
				URLs: []stackgate.EnvironmentURL{}, Version: 1, CreatedAt: now(), UpdatedAt: now()}
			return s.CreateEnvironment(ctx(t), e, limit)
		}, func(f *fixture) int { l, err := s.ListEnvironments(ctx(t), f.stack); must(t, err); return len(l) }},
		{"Locales", "locale", func(f *fixture, i, limit int) error {
			l := &stackgate.Locale{UID: stackgate.NewUID(), StackUID: f.stack, Code: fmt.Sprintf("x-%d", i), Name: "x",
				FallbackLocale: "en-us", Version: 1, CreatedAt: now(), UpdatedAt: now()}
			return s.CreateLocale(ctx(t), l, limit)
		}, func(f *fixture) int { l, err := s.ListLocales(ctx(t), f.stack); must(t, err); return len(l) }},
		{"Branches", "branch", func(f *fixture, i, limit int) error {
			b := &stackgate.Branch{UID: fmt.Sprintf("b%d", i), StackUID: f.stack, Source: stackgate.MainBranch, CreatedAt: now(), UpdatedAt: now()}
			return s.CreateBranch(ctx(t), b, limit)
		}, func(f *fixture) int { l, err := s.ListBranches(ctx(t), f.stack); must(t, err); return len(l) }},
		{"BranchAliases", "branch_alias", func(f *fixture, i, limit int) error {
			a := &stackgate.BranchAlias{UID: fmt.Sprintf("a%d", i), StackUID: f.stack, TargetBranch: "main", CreatedAt: now(), UpdatedAt: now()}
			return s.PutBranchAlias(ctx(t), a, limit)
		}, func(f *fixture) int { l, err := s.ListBranchAliases(ctx(t), f.stack); must(t, err); return len(l) }},
		{"CustomRoles", "role", func(f *fixture, i, limit int) error {
			return s.CreateRole(ctx(t), f.newRole(fmt.Sprintf("r%d", i)), nil, nil, limit)
		}, func(f *fixture) int { l, err := s.ListRoles(ctx(t), f.stack); must(t, err); return len(l) }},
	} {
		sub(t, tc.name, func(t *testing.T) {
			f := newFixture(t, s)
			start := tc.count(f)
			custom := 0
			if tc.name == "CustomRoles" {
				custom = start // system roles do not count
				start = 0
			}
			limit := start + 2
			must(t, tc.create(f, 1, limit))
			must(t, tc.create(f, 2, limit)) // reaches the limit
			wantCode(t, tc.create(f, 3, limit), stackgate.EINVALID, tc.field)
			if got := tc.count(f); got != custom+limit {
				t.Errorf("%d after the refused create, want %d", got, custom+limit)
			}
			must(t, tc.create(f, 4, 0)) // no limit
		})
	}
	sub(t, "AliasRetargetAtLimit", func(t *testing.T) {
		f := newFixture(t, s)
		f.branch(t, s, "dev")
		a := &stackgate.BranchAlias{UID: "live", StackUID: f.stack, TargetBranch: "main", CreatedAt: now(), UpdatedAt: now()}
		must(t, s.PutBranchAlias(ctx(t), a, 1))
		a.TargetBranch = "dev"
		must(t, s.PutBranchAlias(ctx(t), a, 1)) // not a new alias: allowed at the limit
		got, err := s.FindBranchAlias(ctx(t), f.stack, "live")
		must(t, err)
		if got.TargetBranch != "dev" {
			t.Errorf("target %q, want dev", got.TargetBranch)
		}
	})
}
