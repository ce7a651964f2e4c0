package authz

import "github.com/stackgate/stackgate"

// SystemRoleRules returns the rules a system role shows with
// include_rules=true: those Contentstack's own samples show for it (the
// Administration API's user-session sample, mirrored by the official Python
// SDK's tests/resources/mockuser/login.json): Developer and Content Manager
// list locale "$all" read, environment "$all" read and asset "$all" with
// every right; Admin lists none. They describe, never decide: the engine
// grants system roles by systemGrants, which holds every right these rules
// show (TestSystemRoleRulesAgreeWithTheEngine), and more. A fresh copy on
// each call, so a caller may keep it. An unknown name has none.
func SystemRoleRules(name string) []stackgate.Rule {
	switch name {
	case stackgate.RoleDeveloper, stackgate.RoleContentManager:
		return []stackgate.Rule{
			{Module: stackgate.ModuleLocale, Locales: []string{stackgate.Wildcard}, ACL: stackgate.ACL{Read: yes()}},
			{Module: stackgate.ModuleEnvironment, Environments: []string{stackgate.Wildcard}, ACL: stackgate.ACL{Read: yes()}},
			{Module: stackgate.ModuleAsset, Assets: []string{stackgate.Wildcard},
				ACL: stackgate.ACL{Create: yes(), Read: yes(), Update: yes(), Delete: yes(), Publish: yes()}},
		}
	}
	return []stackgate.Rule{}
}

func yes() *bool { t := true; return &t }

// MayChangeCustomRole reports whether a user may update or delete a custom
// role their system or custom roles already let them write: the stack owner
// may change every role; anyone else only the roles they created.
// Contentstack's "Update a Role": "Only the stack owner, or the users
// assigned admin and developer roles, who created the role, can update that
// particular role"; "Delete a Role": the same, and "the stack owner can
// delete all the roles irrespective of the role being created by any other
// user" (docs/developers/invite-users-and-assign-roles). A management token
// is not a user and created no role in Contentstack's sense: its scope's
// role write is the stack's own delegation, so it may change any custom
// role (README, Compatibility).
func MayChangeCustomRole(r *stackgate.Role, byUser bool, uid string, owner bool) bool {
	return !byUser || owner || r.CreatedBy == uid
}
