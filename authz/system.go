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
