package authz

import (
	"github.com/stackgate/stackgate"
)

// Member is a stack member compiled against the roles they hold.
//
// Semantics (spec §2, §5, §6):
//   - The owner may do everything in the stack.
//   - System roles grant by module (systemGrants): Admin everything;
//     Developer everything but management tokens and stack users; Content
//     Manager reads configuration and manages entries, assets and folders.
//   - Any member may read the stack, roles, environments, locales, branches
//     and aliases.
//   - A custom role applies only on the branches its branch / branch_alias
//     rules name ($all = every branch) and grants what its rules say:
//     content_type rules (acl.read reads the content type; acl.sub_acl.X
//     does X on its entries), entry rules (acl.read / sub_acl on the listed
//     entries of one content type), asset rules (flat acl), folder rules
//     (acl on the folder, sub_acl on the assets in it), taxonomy rules
//     (acl on the taxonomy; content_types[].acl.sub_acl on entries tagged
//     with a listed term). Non-restrict locale rules limit entry rights to
//     the listed locales; restrict:true locale rules are exceptions: a
//     sub_acl flag set to true removes that right on those locales.
//     Environment rules limit publishing to the listed environments; a role
//     without one may publish anywhere its other rules allow.
//   - Several roles grant the union of what each allows; a role's
//     exceptions restrict only that role's own grants.
type Member struct {
	owner  bool
	system []systemRole
	custom []*compiledRole
	env    EnvIndex
}

type systemRole struct {
	ref    *RuleRef
	grants map[string]actions
}

// actions is a bit set of Action.
type actions uint8

func (a actions) has(x Action) bool { return a&(1<<x) != 0 }

func acts(xs ...Action) actions {
	var a actions
	for _, x := range xs {
		a |= 1 << x
	}
	return a
}

var (
	all       = acts(Read, Create, Update, Delete, Publish)
	readOnly  = acts(Read)
	ownerRef  = &RuleRef{Source: "owner", Index: -1}
	memberRef = &RuleRef{Source: "member", Index: -1}
)

// contentModules are managed by content rules; the rest is configuration.
var contentModules = []string{"content_type", "entry", "asset", "folder", "global_field", "taxonomy",
	"release", "workflow", "webhook", "extension", "label", "audit_log", "publish_queue", "sync"}

var configModules = []string{"environment", "locale", "branch", "branch_alias", "role", "delivery_token", "stack"}

// systemGrants is what each system role may do, by module.
var systemGrants = func() map[string]map[string]actions {
	admin, dev, cm := map[string]actions{}, map[string]actions{}, map[string]actions{}
	for _, m := range append(append([]string{}, contentModules...), configModules...) {
		admin[m], dev[m] = all, all
	}
	admin["stack"], dev["stack"] = readOnly, readOnly
	admin["management_token"], admin["stack_user"] = all, all
	for _, m := range []string{"content_type", "global_field", "environment", "locale", "branch", "branch_alias",
		"role", "taxonomy", "stack", "release", "workflow", "label", "extension", "publish_queue", "sync"} {
		cm[m] = readOnly
	}
	for _, m := range []string{"entry", "asset", "folder"} {
		cm[m] = all
	}
	return map[string]map[string]actions{
		stackgate.RoleAdmin: admin, stackgate.RoleDeveloper: dev, stackgate.RoleContentManager: cm,
	}
}()

// memberReadable are the modules any member may read.
var memberReadable = map[string]bool{"stack": true, "role": true, "environment": true, "locale": true,
	"branch": true, "branch_alias": true}

// CompileMember compiles a member. isOwner is whether the user owns the
// stack; roles are the roles they hold; aliases maps alias uid → branch uid.
func CompileMember(isOwner bool, roles []*stackgate.Role, env EnvIndex, aliases map[string]string) *Member {
	m := &Member{owner: isOwner, env: env}
	for _, r := range roles {
		if r.System {
			if g, ok := systemGrants[r.Name]; ok {
				m.system = append(m.system, systemRole{ref: &RuleRef{Source: "system_role", RoleUID: r.UID, RoleName: r.Name, Index: -1}, grants: g})
			}
			continue
		}
		m.custom = append(m.custom, compileRole(r, env, aliases))
	}
	return m
}

// Allowed decides req.
func (m *Member) Allowed(req Request) Decision {
	if m == nil {
		return deny("not a member of the stack")
	}
	if m.owner {
		return allow("the stack owner may do everything in the stack", ownerRef)
	}
	for _, s := range m.system {
		if s.grants[req.Module].has(req.Action) {
			return allow("granted by the system role", s.ref)
		}
	}
	if req.Action == Read && memberReadable[req.Module] {
		return allow("any member of the stack may read this", memberRef)
	}
	best := Decision{Reason: "no role of the user allows this"}
	for _, r := range m.custom {
		d := r.allowed(req, m.env)
		if d.Allowed {
			return d
		}
		if d.Rule != nil || best.Rule == nil && d.Reason != "" {
			best = d
		}
	}
	return best
}
