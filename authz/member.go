package authz

import (
	"github.com/stackgate/stackgate"
)

// Member is a stack member compiled against the roles they hold: built once
// per membership (and rebuilt when a role, alias, environment or locale
// changes), then asked many decisions without allocating.
type Member struct {
	owner  bool
	system []systemRole
	custom []*compiledRole
	env    EnvIndex
}

type systemRole struct {
	ref    *RuleRef
	grants map[stackgate.Module]actions
}

var (
	ownerRef  = &RuleRef{Source: SourceOwner, Index: -1}
	memberRef = &RuleRef{Source: SourceMember, Index: -1}
)

// Modules by kind. Content modules hold a stack's content and schema;
// configuration modules its settings; personal modules need a person with
// the right to hand out credentials or membership.
var (
	contentModules = []stackgate.Module{stackgate.ModuleContentType, stackgate.ModuleEntry, stackgate.ModuleAsset,
		stackgate.ModuleFolder, stackgate.ModuleGlobalField, stackgate.ModuleTaxonomy, stackgate.ModuleRelease,
		stackgate.ModuleWorkflow, stackgate.ModuleWebhook, stackgate.ModuleExtension, stackgate.ModuleLabel,
		stackgate.ModuleAuditLog, stackgate.ModulePublishQueue, stackgate.ModuleBulkOperation, stackgate.ModuleSync}
	configModules = []stackgate.Module{stackgate.ModuleEnvironment, stackgate.ModuleLocale, stackgate.ModuleBranch,
		stackgate.ModuleBranchAlias, stackgate.ModuleRole, stackgate.ModuleDeliveryToken, stackgate.ModuleStack}
)

// systemGrants is what each system role may do, by module (spec §2, §6,
// cma-notes §3.1). Branches do not limit system roles.
var systemGrants = func() map[string]map[stackgate.Module]actions {
	admin, dev, cm := map[stackgate.Module]actions{}, map[stackgate.Module]actions{}, map[stackgate.Module]actions{}
	for _, m := range append(append([]stackgate.Module{}, contentModules...), configModules...) {
		admin[m], dev[m] = allActions, allActions
	}
	// Admin: everything but deleting or transferring the stack, so the
	// stack module is read-only; only Owner and Admin manage management
	// tokens and stack users.
	admin[stackgate.ModuleStack] = acts(Read)
	admin[stackgate.ModuleManagementToken], admin[stackgate.ModuleStackUser] = allActions, allActions
	// Developer: as Admin but no management tokens and no stack users.
	dev[stackgate.ModuleStack] = acts(Read)
	// Content Manager: reads schema and settings, manages entries, assets
	// and folders; no tokens, no roles or settings changes.
	for _, m := range []stackgate.Module{stackgate.ModuleContentType, stackgate.ModuleGlobalField, stackgate.ModuleTaxonomy,
		stackgate.ModuleEnvironment, stackgate.ModuleLocale, stackgate.ModuleBranch, stackgate.ModuleBranchAlias,
		stackgate.ModuleRole, stackgate.ModuleStack, stackgate.ModuleRelease, stackgate.ModuleWorkflow,
		stackgate.ModuleLabel, stackgate.ModuleExtension, stackgate.ModulePublishQueue} {
		cm[m] = acts(Read)
	}
	for _, m := range []stackgate.Module{stackgate.ModuleEntry, stackgate.ModuleAsset, stackgate.ModuleFolder} {
		cm[m] = allActions
	}
	return map[string]map[stackgate.Module]actions{
		stackgate.RoleAdmin: admin, stackgate.RoleDeveloper: dev, stackgate.RoleContentManager: cm,
	}
}()

// memberReadable are the modules any member may read, whatever their roles
// (spec §2: roles, environments, locales, branches are readable by "any
// member"; aliases and the stack itself go with branches and settings).
func memberReadable(module stackgate.Module) bool {
	switch module {
	case stackgate.ModuleStack, stackgate.ModuleRole, stackgate.ModuleEnvironment, stackgate.ModuleLocale,
		stackgate.ModuleBranch, stackgate.ModuleBranchAlias:
		return true
	}
	return false
}

// CompileMember compiles a member. isOwner is whether the user owns the
// stack; roles are the roles they hold (nil entries are skipped); env
// indexes the stack's environments and locales; aliases maps alias uid →
// branch uid. A system role is recognised by System and Name; a system
// role with an unknown name grants nothing.
func CompileMember(isOwner bool, roles []*stackgate.Role, env EnvIndex, aliases map[string]string) *Member {
	m := &Member{owner: isOwner, env: env}
	for _, r := range roles {
		if r == nil {
			continue
		}
		if r.System {
			if g, ok := systemGrants[r.Name]; ok {
				m.system = append(m.system, systemRole{
					ref:    &RuleRef{Source: SourceSystemRole, RoleUID: r.UID, RoleName: r.Name, Index: -1},
					grants: g})
			}
			continue
		}
		m.custom = append(m.custom, compileRole(r, &m.env, aliases))
	}
	return m
}

// Reasons of Member decisions.
const (
	reasonOwner     = "the stack owner may do everything in the stack"
	reasonSystem    = "granted by the system role"
	reasonAnyMember = "any member of the stack may read this"
	reasonNoMember  = "not a member of the stack"
	reasonNoRole    = "no role of the user allows this"
)

// Allowed decides req. Several roles grant the union of what each allows.
func (m *Member) Allowed(req Request) Decision {
	if m == nil {
		return deny(reasonNoMember)
	}
	if !req.Action.valid() {
		return deny(reasonBadAction)
	}
	if m.owner {
		return allow(reasonOwner, ownerRef)
	}
	for i := range m.system {
		if m.system[i].grants[req.Module].has(req.Action) {
			return allow(reasonSystem, m.system[i].ref)
		}
	}
	if req.Action == Read && memberReadable(req.Module) {
		return allow(reasonAnyMember, memberRef)
	}
	best := deny(reasonNoRole)
	offBranch := len(m.system) == 0 && len(m.custom) > 0
	for i, r := range m.custom {
		d := r.allowed(&req, &m.env)
		if d.Allowed {
			return d
		}
		offBranch = offBranch && d.OffBranch
		// Explain with the first role's refusal, or the first that names
		// the rule that refused.
		if i == 0 || best.Rule == nil && d.Rule != nil {
			best = d
		}
	}
	best.OffBranch = offBranch
	return best
}

// LimitedBy reports whether the decision's rule comes from a custom role of
// the member whose environment or locale rules limit what it grants, so
// that the decision would change with the environments and locales a
// request names. Owners, system roles and unlimited custom roles are not.
func (m *Member) LimitedBy(ref *RuleRef) bool {
	if m == nil || ref == nil || ref.Source != SourceRole {
		return false
	}
	for _, c := range m.custom {
		if c.uid == ref.RoleUID && c.limited() {
			return true
		}
	}
	return false
}
