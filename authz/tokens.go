package authz

import (
	"github.com/stackgate/stackgate"
)

// TokenScope is a management token's scope compiled: modules with read or
// write, and the branches it reaches (aliases resolved to their branch).
// Expiry is the caller's business (it needs the clock).
type TokenScope struct {
	all      *scopeACL
	modules  map[string]scopeACL
	branches set
	hasScope bool
}

type scopeACL struct {
	read, write bool
	ref         *RuleRef
}

// tokenForbidden are the modules no management token may use, whatever its
// scope (spec §2: tokens, stack users and sessions need a person).
var tokenForbidden = map[string]bool{"delivery_token": true, "management_token": true, "stack_user": true, "user_session": true}

// CompileManagementToken compiles a management token's scope.
func CompileManagementToken(t *stackgate.ManagementToken, aliases map[string]string) *TokenScope {
	s := &TokenScope{modules: map[string]scopeACL{}, branches: newSet()}
	for i, e := range t.Scope {
		ref := &RuleRef{Source: "management_token_scope", Index: i, Module: e.Module}
		a := scopeACL{read: flag(e.ACL.Read), write: flag(e.ACL.Write), ref: ref}
		switch e.Module {
		case stackgate.ModuleBranch, stackgate.ModuleBranchAlias:
			// A branch entry says which branches the token reaches; its acl
			// is also what the token may do to the branch (or alias) module.
			s.hasScope = true
			b := branchSet(e.Branches, e.BranchAliases, aliases)
			if len(e.Branches) == 0 && len(e.BranchAliases) == 0 {
				b.all = false
			}
			s.branches.all = s.branches.all || b.all
			for k := range b.items {
				s.branches.items[k] = true
			}
			prev := s.modules[e.Module]
			a.read, a.write = a.read || prev.read, a.write || prev.write
			s.modules[e.Module] = a
		case stackgate.ModuleAll:
			s.all = &a
		default:
			prev := s.modules[e.Module]
			a.read, a.write = a.read || prev.read, a.write || prev.write
			s.modules[e.Module] = a
		}
	}
	return s
}

// Allowed decides req: GET needs acl.read, anything else acl.write, of the
// request's module or of $all, on a branch of the scope.
func (s *TokenScope) Allowed(req Request) Decision {
	if tokenForbidden[req.Module] {
		return deny("management tokens cannot use this module")
	}
	if !s.hasScope || !s.branches.has(req.Branch) {
		return deny("branch not in the token's scope")
	}
	a, ok := s.modules[req.Module]
	if !ok && req.Module == "folder" {
		a, ok = s.modules["asset"] // folders are assets' containers
	}
	if ok {
		if req.Action == Read && a.read || req.Action != Read && a.write {
			return allow("granted by the token's scope entry for the module", a.ref)
		}
	}
	if s.all != nil && (req.Action == Read && s.all.read || req.Action != Read && s.all.write) {
		return allow("granted by the token's $all scope entry", s.all.ref)
	}
	if ok || s.all != nil {
		if req.Action == Read {
			return deny("the token's scope does not allow reading this module")
		}
		return deny("the token's scope does not allow writing this module")
	}
	return deny("module not in the token's scope")
}

// DeliveryScope is a delivery (or preview) token's scope compiled.
type DeliveryScope struct {
	envs     set // uids
	branches set
	env      EnvIndex
	envRef   *RuleRef
	ref      *RuleRef
}

// CompileDeliveryToken compiles a delivery token's scope; its preview token
// shares it.
func CompileDeliveryToken(t *stackgate.DeliveryToken, env EnvIndex, aliases map[string]string) *DeliveryScope {
	d := &DeliveryScope{envs: newSet(), branches: newSet(), env: env}
	for i, e := range t.Scope {
		switch e.Module {
		case stackgate.ModuleEnvironment:
			for _, uid := range envUIDs(env, e.Environments) {
				d.envs.items[uid] = true
			}
			d.envRef = &RuleRef{Source: "delivery_token_scope", Index: i, Module: e.Module}
		case stackgate.ModuleBranch, stackgate.ModuleBranchAlias:
			b := branchSet(e.Branches, e.BranchAliases, aliases)
			d.branches.all = d.branches.all || b.all
			for k := range b.items {
				d.branches.items[k] = true
			}
		}
	}
	d.ref = d.envRef
	return d
}

// Allowed decides a read of published content: only CDA routes, only reads,
// only in an environment and on a branch of the scope.
func (d *DeliveryScope) Allowed(api API, req Request) Decision {
	if api != CDA {
		return deny("delivery and preview tokens only read the content delivery API")
	}
	if req.Action != Read {
		return deny("delivery and preview tokens cannot write")
	}
	uid, ok := d.env.UID(req.Environment)
	if !ok || !d.envs.has(uid) {
		return deny("environment not in the token's scope")
	}
	if !d.branches.has(req.Branch) {
		return deny("branch not in the token's scope")
	}
	return allow("the environment and branch are in the token's scope", d.ref)
}
