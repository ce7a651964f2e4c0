package service

import (
	"fmt"

	"github.com/stackgate/stackgate"
)

// StackLimits bound what one stack may hold, so that no stack can make its
// snapshot (and every write's reload of it) expensive. A write beyond a
// limit is refused with 422 and an errors entry naming the limit, and
// changes nothing. Counts are checked by the store inside the write's
// transaction, under the stack lock, so concurrent writes cannot overshoot.
//
// Contentstack documents, for custom roles, at most 100 components (content
// types, entries, assets, locales, environments) within a role's
// permissions; that is RoleItems' default. Its "Stack Limitations" page
// gives 3 environments and 2 branches per stack, which are plan
// entitlements, not technical bounds: the defaults here are higher and each
// is configurable (README, "Configuration").
type StackLimits struct {
	Environments  int // default 100
	Locales       int // default 200 (Contentstack ships 200+ locale codes)
	Branches      int // default 100
	BranchAliases int // default 100
	CustomRoles   int // default 100
	RulesPerRole  int // default 100
	// RoleItems bounds the content types, entries, assets, locales and
	// environments named by a role's rules together, and every other list of
	// one rule (branches, aliases, folders, taxonomies, terms); default 100.
	RoleItems    int
	UsersPerRole int // holders of one role (role bodies, stacks/users/roles, share, accept); default 1000
	// PendingInvitations bounds the invitations (POST /v3/stacks/share) a
	// stack may have waiting for acceptance; default 1000.
	PendingInvitations int
}

func (l *StackLimits) defaults() {
	for _, f := range []struct {
		p   *int
		def int
	}{
		{&l.Environments, 100}, {&l.Locales, 200}, {&l.Branches, 100}, {&l.BranchAliases, 100},
		{&l.CustomRoles, 100}, {&l.RulesPerRole, 100}, {&l.RoleItems, 100}, {&l.UsersPerRole, 1000},
		{&l.PendingInvitations, 1000},
	} {
		if *f.p <= 0 {
			*f.p = f.def
		}
	}
}

// checkRoleSize records in v where a role's rules or users exceed the limits.
func (l StackLimits) checkRoleSize(v stackgate.Validation, rules []stackgate.Rule, users []string) {
	if len(rules) > l.RulesPerRole {
		v.Add("rules", fmt.Sprintf("limit of %d rules per role reached.", l.RulesPerRole))
	}
	items := 0
	for _, r := range rules {
		items += len(r.ContentTypes) + len(r.Entries) + len(r.Assets) + len(r.Locales) + len(r.Environments)
		for _, list := range [][]string{r.Branches, r.BranchAliases, r.Folders, r.Taxonomies, r.Terms} {
			if len(list) > l.RoleItems {
				items = l.RoleItems + 1
			}
		}
		if len(r.TaxonomyContentTypes) > l.RoleItems {
			items = l.RoleItems + 1
		}
	}
	if items > l.RoleItems {
		v.Add("rules", fmt.Sprintf("limit of %d items (content types, entries, assets, locales, environments) per role reached.", l.RoleItems))
	}
	if len(users) > l.UsersPerRole {
		v.Add("users", fmt.Sprintf("limit of %d users per role reached.", l.UsersPerRole))
	}
}
