package authz

import (
	"github.com/stackgate/stackgate"
)

// compiledRole is a custom role ready to decide.
type compiledRole struct {
	uid, name     string
	branches      set
	hasBranchRule bool
	branchRef     *RuleRef

	contentTypes []ruleCT
	entries      []ruleEntry
	assets       []ruleObjects
	folders      []ruleObjects
	taxonomies   []ruleTaxonomy
	locales      *set // nil: every locale
	localeRef    *RuleRef
	exceptions   []ruleException
	envs         *set // nil: publish anywhere
	envRef       *RuleRef
}

type ruleCT struct {
	cts set
	acl stackgate.ACL
	ref *RuleRef
}

type ruleEntry struct {
	ct      string
	entries set
	acl     stackgate.ACL
	ref     *RuleRef
}

type ruleObjects struct {
	objects set
	acl     stackgate.ACL
	ref     *RuleRef
}

type ruleTaxonomy struct {
	taxonomies set
	terms      set
	cts        []ruleCT
	acl        stackgate.ACL
	ref        *RuleRef
}

type ruleException struct {
	locales set
	removed actions
	ref     *RuleRef
}

func compileRole(r *stackgate.Role, env EnvIndex, aliases map[string]string) *compiledRole {
	c := &compiledRole{uid: r.UID, name: r.Name, branches: newSet()}
	ref := func(i int, module string) *RuleRef {
		return &RuleRef{Source: "role", RoleUID: r.UID, RoleName: r.Name, Index: i, Module: module}
	}
	for i, rule := range r.Rules {
		switch rule.Module {
		case stackgate.ModuleBranch, stackgate.ModuleBranchAlias:
			c.hasBranchRule = true
			bs := branchSet(rule.Branches, rule.BranchAliases, aliases)
			c.branches.all = c.branches.all || bs.all
			for b := range bs.items {
				c.branches.items[b] = true
			}
			c.branchRef = ref(i, rule.Module)
		case stackgate.ModuleContentType:
			c.contentTypes = append(c.contentTypes, ruleCT{cts: newSet(rule.ContentTypes), acl: rule.ACL, ref: ref(i, rule.Module)})
		case stackgate.ModuleEntry:
			c.entries = append(c.entries, ruleEntry{ct: rule.ContentType, entries: newSet(rule.Entries), acl: rule.ACL, ref: ref(i, rule.Module)})
		case stackgate.ModuleAsset:
			c.assets = append(c.assets, ruleObjects{objects: newSet(rule.Assets), acl: rule.ACL, ref: ref(i, rule.Module)})
		case stackgate.ModuleFolder:
			c.folders = append(c.folders, ruleObjects{objects: newSet(rule.Folders), acl: rule.ACL, ref: ref(i, rule.Module)})
		case stackgate.ModuleTaxonomy:
			t := ruleTaxonomy{taxonomies: newSet(rule.Taxonomies), terms: newSet(rule.Terms), acl: rule.ACL, ref: ref(i, rule.Module)}
			for _, ct := range rule.TaxonomyContentTypes {
				t.cts = append(t.cts, ruleCT{cts: newSet([]string{ct.UID}), acl: ct.ACL, ref: t.ref})
			}
			c.taxonomies = append(c.taxonomies, t)
		case stackgate.ModuleLocale:
			if rule.Restrict {
				var removed actions
				for _, a := range []Action{Read, Create, Update, Delete, Publish} {
					if subACLAllows(rule.ACL.SubACL, a) {
						removed |= acts(a)
					}
				}
				c.exceptions = append(c.exceptions, ruleException{locales: newSet(localeCodes(env, rule.Locales)), removed: removed, ref: ref(i, rule.Module)})
				continue
			}
			if c.locales == nil {
				s := newSet()
				c.locales = &s
			}
			l := newSet(localeCodes(env, rule.Locales))
			c.locales.all = c.locales.all || l.all
			for k := range l.items {
				c.locales.items[k] = true
			}
			c.localeRef = ref(i, rule.Module)
		case stackgate.ModuleEnvironment:
			if c.envs == nil {
				s := newSet()
				c.envs = &s
			}
			e := newSet(envUIDs(env, rule.Environments))
			c.envs.all = c.envs.all || e.all
			for k := range e.items {
				c.envs.items[k] = true
			}
			c.envRef = ref(i, rule.Module)
		}
	}
	return c
}

// Reasons a custom role refuses, worded once.
const (
	reasonBranch      = "the role does not cover this branch"
	reasonNoRule      = "no rule of the role grants this"
	reasonLocale      = "the role's locale rules do not include this locale"
	reasonException   = "a locale exception of the role removes this right"
	reasonEnvironment = "the role's environment rules do not include this environment"
	reasonConfig      = "custom roles cannot change stack configuration or tokens"
)

// allowed decides req for this role alone.
func (c *compiledRole) allowed(req Request, env EnvIndex) Decision {
	if !c.hasBranchRule || !c.branches.has(req.Branch) {
		return Decision{Reason: reasonBranch, Rule: c.branchRef}
	}
	var granted *RuleRef
	switch req.Module {
	case "content_type":
		for i := range c.contentTypes {
			r := &c.contentTypes[i]
			if r.cts.has(req.ContentType) && aclAllows(r.acl, req.Action) {
				granted = r.ref
				break
			}
		}
		if granted == nil && req.Action == Read {
			for i := range c.taxonomies {
				for _, ct := range c.taxonomies[i].cts {
					if ct.cts.has(req.ContentType) && flag(ct.acl.Read) {
						granted = ct.ref
					}
				}
			}
		}
	case "entry":
		granted = c.entryGrant(req)
		if granted == nil {
			return Decision{Reason: reasonNoRule}
		}
		if d, ok := c.localeAndEnv(req, env); !ok {
			return d
		}
	case "asset":
		for i := range c.assets {
			r := &c.assets[i]
			if r.objects.has(req.Asset) && aclAllows(r.acl, req.Action) {
				granted = r.ref
				break
			}
		}
		if granted == nil && req.Folder != "" {
			for i := range c.folders {
				r := &c.folders[i]
				if r.objects.has(req.Folder) && subACLAllows(r.acl.SubACL, req.Action) {
					granted = r.ref
					break
				}
			}
		}
		if granted != nil {
			if d, ok := c.localeAndEnv(Request{Action: req.Action, Environment: req.Environment}, env); !ok {
				return d
			}
		}
	case "folder":
		for i := range c.folders {
			r := &c.folders[i]
			if r.objects.has(req.Folder) && aclAllows(r.acl, req.Action) {
				granted = r.ref
				break
			}
		}
	case "taxonomy":
		for i := range c.taxonomies {
			r := &c.taxonomies[i]
			if (req.Taxonomy == "" || r.taxonomies.has(req.Taxonomy)) &&
				(req.Term == "" || r.terms.has(req.Taxonomy+"."+req.Term) || r.terms.has(req.Term) || r.terms.all) &&
				(aclAllows(r.acl, req.Action) || req.Action != Read && subACLAllows(r.acl.SubACL, req.Action)) {
				granted = r.ref
				break
			}
		}
	case "global_field":
		if req.Action == Read && len(c.contentTypes) > 0 {
			granted = c.contentTypes[0].ref
		}
	default:
		return Decision{Reason: reasonConfig}
	}
	if granted == nil {
		return Decision{Reason: reasonNoRule}
	}
	return allow("granted by a rule of the role", granted)
}

// entryGrant returns the rule that grants req on an entry, if any.
func (c *compiledRole) entryGrant(req Request) *RuleRef {
	for i := range c.contentTypes {
		r := &c.contentTypes[i]
		if r.cts.has(req.ContentType) && subACLAllows(r.acl.SubACL, req.Action) {
			return r.ref
		}
	}
	for i := range c.entries {
		r := &c.entries[i]
		if (r.ct == req.ContentType || r.ct == stackgate.Wildcard) && r.entries.has(req.Entry) &&
			(subACLAllows(r.acl.SubACL, req.Action) || aclAllows(r.acl, req.Action)) {
			return r.ref
		}
	}
	if req.Term != "" || req.Taxonomy != "" {
		for i := range c.taxonomies {
			t := &c.taxonomies[i]
			termOK := t.terms.has(req.Term) || t.terms.has(req.Taxonomy+"."+req.Term) ||
				(req.Term == "" && t.taxonomies.has(req.Taxonomy))
			if !termOK {
				continue
			}
			for _, ct := range t.cts {
				if ct.cts.has(req.ContentType) && subACLAllows(ct.acl.SubACL, req.Action) {
					return t.ref
				}
			}
		}
	}
	return nil
}

// localeAndEnv applies the role's locale rules, locale exceptions and
// environment (publishing) rules to a grant.
func (c *compiledRole) localeAndEnv(req Request, env EnvIndex) (Decision, bool) {
	if req.Locale != "" {
		if c.locales != nil && !c.locales.has(req.Locale) {
			return Decision{Reason: reasonLocale, Rule: c.localeRef}, false
		}
		for i := range c.exceptions {
			e := &c.exceptions[i]
			if e.locales.has(req.Locale) && e.removed.has(req.Action) {
				return Decision{Reason: reasonException, Rule: e.ref}, false
			}
		}
	}
	if req.Action == Publish && req.Environment != "" && c.envs != nil {
		uid, _ := env.UID(req.Environment)
		if !c.envs.has(uid) {
			return Decision{Reason: reasonEnvironment, Rule: c.envRef}, false
		}
	}
	return Decision{}, true
}

// localeCodes maps locale uids to codes (codes pass through).
func localeCodes(env EnvIndex, keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = env.localeKey(k)
	}
	return out
}

// envUIDs maps environment names to uids (uids pass through).
func envUIDs(env EnvIndex, keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		if uid, ok := env.UID(k); ok {
			out[i] = uid
		} else {
			out[i] = k
		}
	}
	return out
}
