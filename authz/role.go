package authz

import (
	"github.com/stackgate/stackgate"
)

// compiledRole is a custom role ready to decide: its rules folded into
// per-object grants, so a decision costs a few map lookups whatever the
// number of rules.
type compiledRole struct {
	uid       string
	branches  set // branches the role applies on
	branchRef *RuleRef

	ctRead    objGrants             // content_type acl.read: read the content type
	ctEntries objGrants             // content_type acl.sub_acl: the entries of the type
	anyCTRead *RuleRef              // first content_type rule with acl.read (global fields)
	entries   map[string]*objGrants // entry rules by content type uid ("$all" too)
	assets    objGrants             // asset rules' flat acl
	folders   objGrants             // folder rules' acl: the folder itself
	inFolders objGrants             // folder rules' acl.sub_acl: the assets in the folder
	taxes     []ruleTaxonomy

	locales    *set // non-restrict locale rules; nil: every locale
	localeRef  *RuleRef
	exceptions []ruleException // restrict:true locale rules
	envs       *set            // environment rules; nil: publishing is not limited
	envRef     *RuleRef
}

type ruleTaxonomy struct {
	taxonomies set
	terms      map[termKey]bool // "<taxonomy>.<term>"
	termTaxes  map[string]bool  // taxonomies some listed term belongs to
	anyTerm    bool             // no terms (or "$all"): every term of the listed taxonomies
	read       bool             // acl.read: read the taxonomies and terms
	ctRead     objGrants        // content_types[].acl.read: read those content types
	ctEntries  objGrants        // content_types[].acl.sub_acl: entries tagged with a term
	ref        *RuleRef
}

type ruleException struct {
	locales set
	removed actions
	ref     *RuleRef
}

func compileRole(r *stackgate.Role, env *EnvIndex, aliases map[string]string) *compiledRole {
	c := &compiledRole{uid: r.UID, branches: newSet()}
	ref := func(i int, module stackgate.Module) *RuleRef {
		return &RuleRef{Source: SourceRole, RoleUID: r.UID, RoleName: r.Name, Index: i, Module: module}
	}
	for i, rule := range r.Rules {
		acl := rule.ACL
		switch rule.Module {
		case stackgate.ModuleBranch, stackgate.ModuleBranchAlias:
			// The rule's presence scopes the role; its acl says nothing more.
			c.branches.addBranches(rule.Branches, rule.BranchAliases, aliases)
			if c.branchRef == nil {
				c.branchRef = ref(i, rule.Module)
			}
		case stackgate.ModuleContentType:
			rf := ref(i, rule.Module)
			c.ctRead.add(rule.ContentTypes, flatActs(acl)&acts(Read), rf)
			c.ctEntries.add(rule.ContentTypes, subActs(acl.SubACL), rf)
			if c.anyCTRead == nil && stackgate.True(acl.Read) {
				c.anyCTRead = rf
			}
		case stackgate.ModuleEntry:
			if rule.ContentType == "" {
				continue // entries of no content type: names nothing
			}
			if c.entries == nil {
				c.entries = map[string]*objGrants{}
			}
			g := c.entries[rule.ContentType]
			if g == nil {
				g = &objGrants{}
				c.entries[rule.ContentType] = g
			}
			g.add(rule.Entries, flatActs(acl)|subActs(acl.SubACL), ref(i, rule.Module))
		case stackgate.ModuleAsset:
			c.assets.add(rule.Assets, flatActs(acl), ref(i, rule.Module))
		case stackgate.ModuleFolder:
			rf := ref(i, rule.Module)
			c.folders.add(rule.Folders, flatActs(acl), rf)
			c.inFolders.add(rule.Folders, subActs(acl.SubACL), rf)
		case stackgate.ModuleTaxonomy:
			c.taxes = append(c.taxes, compileTaxonomy(rule, ref(i, rule.Module)))
		case stackgate.ModuleLocale:
			codes := localeCodes(env, rule.Locales)
			if rule.Restrict {
				// An exception: each sub_acl right set to true is removed
				// on those locales.
				if removed := subActs(acl.SubACL); removed != 0 {
					c.exceptions = append(c.exceptions, ruleException{locales: newSet(codes), removed: removed, ref: ref(i, rule.Module)})
				}
				continue
			}
			if c.locales == nil {
				c.locales = &set{items: map[string]bool{}}
				c.localeRef = ref(i, rule.Module)
			}
			c.locales.add(codes)
		case stackgate.ModuleEnvironment:
			if c.envs == nil {
				c.envs = &set{items: map[string]bool{}}
				c.envRef = ref(i, rule.Module)
			}
			c.envs.add(envUIDs(env, rule.Environments))
		}
	}
	return c
}

func compileTaxonomy(rule stackgate.Rule, ref *RuleRef) ruleTaxonomy {
	t := ruleTaxonomy{taxonomies: newSet(rule.Taxonomies), read: stackgate.True(rule.ACL.Read), ref: ref,
		anyTerm: len(rule.Terms) == 0}
	for _, s := range rule.Terms {
		if s == stackgate.Wildcard {
			t.anyTerm = true
			continue
		}
		k, ok := parseTerm(s)
		if !ok {
			continue // not "<taxonomy>.<term>": names no term
		}
		if t.terms == nil {
			t.terms, t.termTaxes = map[termKey]bool{}, map[string]bool{}
		}
		t.terms[k] = true
		t.termTaxes[k.taxonomy] = true
	}
	for _, ct := range rule.TaxonomyContentTypes {
		uids := []string{ct.UID}
		t.ctRead.add(uids, flatActs(ct.ACL)&acts(Read), ref)
		t.ctEntries.add(uids, subActs(ct.ACL.SubACL), ref)
	}
	return t
}

// tagged reports whether the rule covers entries tagged with term of
// taxonomy tax. Without a term (an entry tagged somewhere in tax), only a
// rule that does not single out terms covers it.
func (t *ruleTaxonomy) tagged(tax, term string) bool {
	if tax == "" {
		return false
	}
	if term != "" && (t.terms[termKey{tax, term}] || t.terms[termKey{tax, stackgate.Wildcard}]) {
		return true
	}
	return t.anyTerm && t.taxonomies.has(tax)
}

// readable reports whether the rule lets the role read the taxonomy (or
// term) of req: a list of taxonomies needs "$all".
func (t *ruleTaxonomy) readable(req *Request) bool {
	switch {
	case !t.read:
		return false
	case req.Taxonomy == "":
		return t.taxonomies.all
	case req.Term == "":
		return t.taxonomies.has(req.Taxonomy) || t.termTaxes[req.Taxonomy]
	}
	return t.tagged(req.Taxonomy, req.Term)
}

// Reasons a custom role refuses or allows, worded once.
const (
	reasonRoleGrant      = "granted by a rule of the role"
	reasonBranch         = "the role does not cover this branch"
	reasonNoRule         = "no rule of the role grants this"
	reasonLocale         = "the role's locale rules do not include this locale"
	reasonLocaleUnknown  = "the request names no locale and the master locale is unknown, while the role limits locales"
	reasonException      = "a locale exception of the role removes this right"
	reasonEnvironment    = "the role's environment rules do not include this environment"
	reasonEnvUnknown     = "the request names no environment, while the role's environment rules limit publishing"
	reasonConfig         = "custom roles cannot change stack configuration"
	reasonPersonal       = "custom roles cannot manage tokens or stack users"
	reasonSchema         = "custom roles can only read content types, global fields and taxonomies"
	reasonNoModule       = "custom roles have no rules for this module"
	reasonCustomNoBranch = "the role has no branch or branch_alias rule"
)

// allowed decides req for this role alone.
func (c *compiledRole) allowed(req *Request, env *EnvIndex) Decision {
	a := req.Action
	switch req.Module {
	case stackgate.ModuleContentType, stackgate.ModuleEntry, stackgate.ModuleAsset, stackgate.ModuleFolder,
		stackgate.ModuleTaxonomy, stackgate.ModuleGlobalField:
	case stackgate.ModuleEnvironment, stackgate.ModuleLocale, stackgate.ModuleBranch, stackgate.ModuleBranchAlias,
		stackgate.ModuleRole, stackgate.ModuleStack:
		return deny(reasonConfig) // reads were answered by memberReadable
	case stackgate.ModuleDeliveryToken, stackgate.ModuleManagementToken, stackgate.ModuleStackUser:
		return deny(reasonPersonal)
	default:
		return deny(reasonNoModule)
	}
	if c.branchRef == nil {
		return deny(reasonCustomNoBranch)
	}
	if !c.branches.has(req.Branch) {
		return denyOffBranch(reasonBranch, c.branchRef)
	}
	var granted *RuleRef
	switch req.Module {
	case stackgate.ModuleContentType:
		if a != Read {
			return deny(reasonSchema)
		}
		granted = c.ctRead.lookup(req.ContentType, Read)
		for i := 0; granted == nil && i < len(c.taxes); i++ {
			granted = c.taxes[i].ctRead.lookup(req.ContentType, Read)
		}
	case stackgate.ModuleGlobalField:
		// Content types embed global fields: whoever reads a content type
		// reads them; nobody edits them through a custom role.
		if a != Read {
			return deny(reasonSchema)
		}
		granted = c.anyCTRead
	case stackgate.ModuleTaxonomy:
		if a != Read {
			return deny(reasonSchema)
		}
		for i := range c.taxes {
			if c.taxes[i].readable(req) {
				granted = c.taxes[i].ref
				break
			}
		}
	case stackgate.ModuleEntry:
		if granted = c.entryGrant(req); granted == nil {
			break
		}
		if d, ok := c.localeOK(req, env); !ok {
			return d
		}
		if d, ok := c.envOK(req, env); !ok {
			return d
		}
	case stackgate.ModuleAsset:
		granted = c.assets.lookup(req.Asset, a)
		if granted == nil && req.Folder != "" {
			granted = c.inFolders.lookup(req.Folder, a)
		}
		if granted == nil {
			break
		}
		if d, ok := c.envOK(req, env); !ok {
			return d
		}
	case stackgate.ModuleFolder:
		granted = c.folders.lookup(req.Folder, a)
	}
	if granted == nil {
		return deny(reasonNoRule)
	}
	return allow(reasonRoleGrant, granted)
}

// limited reports whether the role's locale or environment rules narrow
// what its other rules grant.
func (c *compiledRole) limited() bool {
	return c.locales != nil && !c.locales.all || len(c.exceptions) > 0 || c.envs != nil && !c.envs.all
}

// entryGrant returns the rule that grants req on an entry, if any: a
// content_type rule's sub_acl, an entry rule, or a taxonomy rule's
// content_types for an entry tagged with one of its terms.
func (c *compiledRole) entryGrant(req *Request) *RuleRef {
	a := req.Action
	if ref := c.ctEntries.lookup(req.ContentType, a); ref != nil {
		return ref
	}
	if c.entries != nil {
		if req.ContentType != "" {
			if ref := c.entries[req.ContentType].lookupNil(req.Entry, a); ref != nil {
				return ref
			}
		}
		if ref := c.entries[stackgate.Wildcard].lookupNil(req.Entry, a); ref != nil {
			return ref
		}
	}
	if req.Taxonomy != "" {
		for i := range c.taxes {
			t := &c.taxes[i]
			if t.tagged(req.Taxonomy, req.Term) {
				if ref := t.ctEntries.lookup(req.ContentType, a); ref != nil {
					return ref
				}
			}
		}
	}
	return nil
}

// lookupNil is lookup on a possibly nil *objGrants.
func (o *objGrants) lookupNil(uid string, a Action) *RuleRef {
	if o == nil {
		return nil
	}
	return o.lookup(uid, a)
}

// localeOK applies the role's locale rules and exceptions to an entry
// grant. A request naming no locale asks for the master locale.
func (c *compiledRole) localeOK(req *Request, env *EnvIndex) (Decision, bool) {
	if c.locales == nil && len(c.exceptions) == 0 {
		return Decision{}, true
	}
	loc := env.localeKey(req.Locale)
	if loc == "" {
		loc = env.master
	}
	if c.locales != nil && !c.locales.all {
		if loc == "" {
			return denyBy(reasonLocaleUnknown, c.localeRef), false
		}
		if !c.locales.has(loc) {
			return denyBy(reasonLocale, c.localeRef), false
		}
	}
	for i := range c.exceptions {
		e := &c.exceptions[i]
		if !e.removed.has(req.Action) {
			continue
		}
		if e.locales.has(loc) {
			return denyBy(reasonException, e.ref), false
		}
		if loc == "" {
			return denyBy(reasonLocaleUnknown, e.ref), false
		}
	}
	return Decision{}, true
}

// envOK applies the role's environment rules to a publish: with any, the
// request must name one of their environments.
func (c *compiledRole) envOK(req *Request, env *EnvIndex) (Decision, bool) {
	if req.Action != Publish || c.envs == nil || c.envs.all {
		return Decision{}, true
	}
	if req.Environment == "" {
		return denyBy(reasonEnvUnknown, c.envRef), false
	}
	if uid, _ := env.UID(req.Environment); !c.envs.has(uid) {
		return denyBy(reasonEnvironment, c.envRef), false
	}
	return Decision{}, true
}

// localeCodes maps locale uids to codes (codes pass through).
func localeCodes(env *EnvIndex, keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = env.localeKey(k)
	}
	return out
}

// envUIDs maps environment names to uids (uids, and names the index does
// not know, pass through).
func envUIDs(env *EnvIndex, keys []string) []string {
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
