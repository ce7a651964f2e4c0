package authz

import (
	"github.com/stackgate/stackgate"
)

// Request is what a principal wants to do. Branch is a branch uid, aliases
// already resolved ("main" when the request named none). Environment may be
// a name or a uid.
type Request struct {
	Module      string
	Action      Action
	Branch      string
	ContentType string
	Entry       string
	Asset       string
	Folder      string
	Taxonomy    string
	Term        string
	Locale      string
	Environment string
}

// Decision is the engine's answer. Reason is a constant sentence saying why;
// Rule points at what allowed (or, for a deny, at the rule that came
// closest), for logs and the explain API.
type Decision struct {
	Allowed bool
	Reason  string
	Rule    *RuleRef
}

// RuleRef names a rule or scope entry.
type RuleRef struct {
	Source   string `json:"source"` // owner, system_role, member, role, management_token_scope, delivery_token_scope
	RoleUID  string `json:"role_uid,omitempty"`
	RoleName string `json:"role_name,omitempty"`
	Index    int    `json:"index"` // position of the rule or scope entry; -1 when none
	Module   string `json:"module,omitempty"`
}

func allow(reason string, ref *RuleRef) Decision {
	return Decision{Allowed: true, Reason: reason, Rule: ref}
}
func deny(reason string) Decision { return Decision{Reason: reason} }

// EnvIndex maps environment uids and names to each other, so a request may
// name an environment either way.
type EnvIndex struct {
	uidByName  map[string]string
	known      map[string]bool   // uids
	localeCode map[string]string // locale uid → code
}

// NewEnvIndex indexes a stack's environments.
func NewEnvIndex(envs []*stackgate.Environment) EnvIndex {
	e := EnvIndex{uidByName: make(map[string]string, len(envs)), known: make(map[string]bool, len(envs))}
	for _, env := range envs {
		e.uidByName[env.Name] = env.UID
		e.known[env.UID] = true
	}
	return e
}

// WithLocales adds the stack's locales, so rules may name a locale by uid
// while requests name it by code.
func (e EnvIndex) WithLocales(locales []*stackgate.Locale) EnvIndex {
	e.localeCode = make(map[string]string, len(locales))
	for _, l := range locales {
		e.localeCode[l.UID] = l.Code
	}
	return e
}

// localeKey returns the code of a locale named by uid or code.
func (e EnvIndex) localeKey(key string) string {
	if code, ok := e.localeCode[key]; ok {
		return code
	}
	return key
}

// UID returns the uid of the environment named or identified by key.
func (e EnvIndex) UID(key string) (string, bool) {
	if e.known[key] {
		return key, true
	}
	uid, ok := e.uidByName[key]
	return uid, ok
}

// set is a small string set with a wildcard.
type set struct {
	all   bool
	items map[string]bool
}

func newSet(values ...[]string) set {
	s := set{items: map[string]bool{}}
	for _, vs := range values {
		for _, v := range vs {
			if v == stackgate.Wildcard {
				s.all = true
			}
			s.items[v] = true
		}
	}
	return s
}

func (s set) has(v string) bool { return s.all || s.items[v] }

// branchSet compiles branch and branch_alias lists: aliases count for the
// branch they point to now (compiled principals are rebuilt when an alias
// moves).
func branchSet(branches, aliases []string, targets map[string]string) set {
	s := newSet(branches)
	for _, a := range aliases {
		if a == stackgate.Wildcard {
			s.all = true
			continue
		}
		if b, ok := targets[a]; ok {
			s.items[b] = true
		}
	}
	return s
}

func flag(p *bool) bool { return p != nil && *p }

// subACLAllows reads an entry right from a sub_acl.
func subACLAllows(s *stackgate.SubACL, a Action) bool {
	if s == nil {
		return false
	}
	switch a {
	case Read:
		return flag(s.Read)
	case Create:
		return flag(s.Create)
	case Update:
		return flag(s.Update)
	case Delete:
		return flag(s.Delete)
	case Publish:
		return flag(s.Publish)
	}
	return false
}

// aclAllows reads a flat right (assets, folders, content types).
func aclAllows(acl stackgate.ACL, a Action) bool {
	switch a {
	case Read:
		return flag(acl.Read)
	case Create:
		return flag(acl.Create) || flag(acl.Write)
	case Update:
		return flag(acl.Update) || flag(acl.Write)
	case Delete:
		return flag(acl.Delete) || flag(acl.Write)
	case Publish:
		return flag(acl.Publish) || flag(acl.Write)
	}
	return false
}
