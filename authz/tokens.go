package authz

import (
	"github.com/stackgate/stackgate"
)

// TokenScope is a management token's scope compiled: modules with read or
// write, and the branches it reaches (aliases resolved to their branch).
// Expiry is the caller's business (it needs the clock).
type TokenScope struct {
	all      *scopeACL // the "$all" entry
	modules  map[stackgate.Module]scopeACL
	branches set
	hasScope bool // some branch or branch_alias entry
}

type scopeACL struct {
	read, write bool
	ref         *RuleRef
}

// tokenForbidden reports the modules no management token may use, whatever
// its scope (spec §2: tokens and stack users need a person; sessions are a
// person's).
func tokenForbidden(module stackgate.Module) bool {
	switch module {
	case stackgate.ModuleDeliveryToken, stackgate.ModuleManagementToken, stackgate.ModuleStackUser, stackgate.ModuleUserSession:
		return true
	}
	return false
}

// CompileManagementToken compiles a management token's scope. aliases maps
// alias uid → branch uid.
func CompileManagementToken(t *stackgate.ManagementToken, aliases map[string]string) *TokenScope {
	s := &TokenScope{modules: map[stackgate.Module]scopeACL{}, branches: newSet()}
	if t == nil {
		return s
	}
	for i, e := range t.Scope {
		ref := &RuleRef{Source: SourceManagementToken, Index: i, Module: e.Module}
		a := scopeACL{read: stackgate.True(e.ACL.Read), write: stackgate.True(e.ACL.Write), ref: ref}
		switch e.Module {
		case stackgate.ModuleBranch, stackgate.ModuleBranchAlias:
			// A branch entry says which branches the token reaches; its acl
			// is also what the token may do to the branch (or alias) module.
			s.hasScope = true
			s.branches.addBranches(e.Branches, e.BranchAliases, aliases)
			s.merge(e.Module, a)
		case stackgate.ModuleAll:
			if s.all == nil {
				s.all = &a
			} else {
				s.all.read, s.all.write = s.all.read || a.read, s.all.write || a.write
			}
		default:
			s.merge(e.Module, a)
		}
	}
	return s
}

// merge adds an entry for module: several entries grant their union; the
// first entry stays the one named.
func (s *TokenScope) merge(module stackgate.Module, a scopeACL) {
	if prev, ok := s.modules[module]; ok {
		prev.read, prev.write = prev.read || a.read, prev.write || a.write
		s.modules[module] = prev
		return
	}
	s.modules[module] = a
}

// StackWide reports whether a module's objects belong to the stack, not to
// a branch: roles, environments and locales (and the tokens, which no
// management token reaches) are the same on every branch in Contentstack,
// so the branch a request names does not limit them. An SDK stack created
// with branch_uid sends its branch header on every call, these included:
// a token scoped to one branch must still reach them (README,
// Compatibility). Branches and aliases stay branch-scoped: a scope's
// branches are what it may see of them.
func StackWide(m stackgate.Module) bool {
	switch m {
	case stackgate.ModuleRole, stackgate.ModuleEnvironment, stackgate.ModuleLocale,
		stackgate.ModuleDeliveryToken, stackgate.ModuleManagementToken:
		return true
	}
	return false
}

// Reasons of TokenScope decisions.
const (
	reasonTokenForbidden = "management tokens cannot use this module"
	reasonTokenBranch    = "branch not in the token's scope"
	reasonTokenModule    = "granted by the token's scope entry for the module"
	reasonTokenAll       = "granted by the token's $all scope entry"
	reasonTokenNoRead    = "the token's scope does not allow reading this module"
	reasonTokenNoWrite   = "the token's scope does not allow writing this module"
	reasonTokenNoModule  = "module not in the token's scope"
)

// Allowed decides req: Read needs acl.read, any other action acl.write, of
// the request's module or of $all, on a branch of the scope. A folder is
// covered by an asset entry too (folders hold assets).
func (s *TokenScope) Allowed(req Request) Decision {
	if s == nil || !req.Action.valid() {
		return deny(reasonBadAction)
	}
	if tokenForbidden(req.Module) {
		return deny(reasonTokenForbidden)
	}
	if !s.hasScope {
		return deny(reasonTokenBranch)
	}
	if !s.branches.has(req.Branch) && !StackWide(req.Module) {
		return denyOffBranch(reasonTokenBranch, nil)
	}
	a, ok := s.modules[req.Module]
	if !ok && req.Module == stackgate.ModuleFolder {
		a, ok = s.modules[stackgate.ModuleAsset]
	}
	read := req.Action == Read
	if ok && (read && a.read || !read && a.write) {
		return allow(reasonTokenModule, a.ref)
	}
	if s.all != nil && (read && s.all.read || !read && s.all.write) {
		return allow(reasonTokenAll, s.all.ref)
	}
	switch {
	case !ok && s.all == nil:
		return deny(reasonTokenNoModule)
	case read:
		return deny(reasonTokenNoRead)
	}
	return deny(reasonTokenNoWrite)
}

// DeliveryScope is a delivery (or preview) token's scope compiled.
type DeliveryScope struct {
	envs     set // environment uids
	branches set
	env      *EnvIndex // the snapshot's, shared
	ref      *RuleRef  // the first environment entry
}

// deliveryRefs are the RuleRefs of a delivery token's first environment
// entry at the usual positions, shared (read-only) by every compiled token
// instead of one allocation each.
var deliveryRefs = func() (r [8]RuleRef) {
	for i := range r {
		r[i] = RuleRef{Source: SourceDeliveryToken, Index: i, Module: stackgate.ModuleEnvironment}
	}
	return
}()

// CompileDeliveryToken compiles a delivery token's scope; its preview token
// shares it. Scope environments may be uids or names (env resolves them). An
// entry whose acl.read is false grants nothing; an absent read grants, as an
// absent acl does (the API stores {"read": true} for it).
func CompileDeliveryToken(t *stackgate.DeliveryToken, env EnvIndex, aliases map[string]string) *DeliveryScope {
	return CompileDeliveryTokenShared(t, &env, aliases)
}

// CompileDeliveryTokenShared is CompileDeliveryToken with env shared by
// reference: a cache compiling a stack's tokens passes its one index, which
// must not change afterwards.
func CompileDeliveryTokenShared(t *stackgate.DeliveryToken, env *EnvIndex, aliases map[string]string) *DeliveryScope {
	d := &DeliveryScope{envs: newSet(), branches: newSet(), env: env}
	if t == nil {
		return d
	}
	for i, e := range t.Scope {
		if e.ACL.Read != nil && !*e.ACL.Read {
			// acl.read false grants nothing: neither its environments nor
			// its branches (README, Compatibility).
			continue
		}
		switch e.Module {
		case stackgate.ModuleEnvironment:
			// "$all" is no environment: a delivery token names its own.
			for _, uid := range envUIDs(d.env, e.Environments) {
				if uid != stackgate.Wildcard && uid != "" {
					d.envs.insert(uid)
				}
			}
			if d.ref == nil && i < len(deliveryRefs) {
				d.ref = &deliveryRefs[i]
			} else if d.ref == nil {
				d.ref = &RuleRef{Source: SourceDeliveryToken, Index: i, Module: e.Module}
			}
		case stackgate.ModuleBranch, stackgate.ModuleBranchAlias:
			d.branches.addBranches(e.Branches, e.BranchAliases, aliases)
		}
	}
	return d
}

// Reasons of DeliveryScope decisions.
const (
	reasonDeliveryCMA    = "not a content delivery route: delivery and preview tokens only read the content delivery API"
	reasonDeliveryWrite  = "delivery and preview tokens cannot write"
	reasonDeliveryEnv    = "environment not in the token's scope"
	reasonDeliveryBranch = "branch not in the token's scope"
	reasonDeliveryOK     = "the environment and branch are in the token's scope"
)

// Allowed decides a read of published content: only CDA routes, only reads,
// only in an environment (named by name or uid) and on a branch of the
// scope.
func (d *DeliveryScope) Allowed(api API, req Request) Decision {
	if d == nil || !req.Action.valid() {
		return deny(reasonBadAction)
	}
	if api != CDA && api != Preview {
		return deny(reasonDeliveryCMA)
	}
	if req.Action != Read {
		return deny(reasonDeliveryWrite)
	}
	uid, ok := d.env.UID(req.Environment)
	if !ok || !d.envs.has(uid) {
		return deny(reasonDeliveryEnv)
	}
	if !d.branches.has(req.Branch) {
		return denyOffBranch(reasonDeliveryBranch, nil)
	}
	return allow(reasonDeliveryOK, d.ref)
}
