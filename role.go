package stackgate

import "time"

// System role names. System roles exist in every stack and cannot be changed.
const (
	RoleAdmin          = "Admin"
	RoleDeveloper      = "Developer"
	RoleContentManager = "Content Manager"
)

// SystemRoleDescriptions are the descriptions the API returns for system roles.
var SystemRoleDescriptions = map[string]string{
	RoleAdmin:          "Admin can perform all actions and manage all settings of the stack, except the ability to delete or transfer ownership of the stack.",
	RoleDeveloper:      "Developer can perform all Content Manager's actions, view audit logs, create roles, invite users, manage content types, languages, and environments.",
	RoleContentManager: "Content Managers can view all content types, manage entries and assets. They cannot edit content types or access stack settings.",
}

// Role is a named set of rules. Users is derived from memberships: the stores
// fill it on read and ignore it on write (membership has its own methods).
type Role struct {
	UID         string
	StackUID    string
	Name        string // unique per stack
	Description *string
	System      bool
	Rules       []Rule
	Users       []string // user uids holding the role, sorted
	CreatedBy   string
	UpdatedBy   string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Module names what a rule, a scope entry or a request is about: the rule
// modules (spec §5) and management-token scope modules (spec §6). Its JSON
// form is the plain string.
type Module string

// Rule modules (spec §5) and management-token scope modules (spec §6).
const (
	ModuleAll             Module = Wildcard // a scope entry for every module
	ModuleBranch          Module = "branch"
	ModuleBranchAlias     Module = "branch_alias"
	ModuleContentType     Module = "content_type"
	ModuleEntry           Module = "entry"
	ModuleAsset           Module = "asset"
	ModuleFolder          Module = "folder"
	ModuleEnvironment     Module = "environment"
	ModuleLocale          Module = "locale"
	ModuleTaxonomy        Module = "taxonomy"
	ModuleRole            Module = "role"
	ModuleGlobalField     Module = "global_field"
	ModuleDeliveryToken   Module = "delivery_token"
	ModuleManagementToken Module = "management_token"
	ModuleStackUser       Module = "stack_user"
	ModuleStack           Module = "stack"
	ModuleRelease         Module = "release"
	ModuleWorkflow        Module = "workflow"
	ModuleWebhook         Module = "webhook"
	ModuleExtension       Module = "extension"
	ModuleLabel           Module = "label"
	ModuleAuditLog        Module = "audit_log"
	ModulePublishQueue    Module = "publish_queue"
	ModuleBulkOperation   Module = "bulk_operation"
	ModuleSync            Module = "sync"

	// ModuleUserSession is the route-table module of the user's own session
	// routes (login, logout, the user and their invitations); no rule or
	// scope names it.
	ModuleUserSession Module = "user_session"
)

// Wildcard is "$all", the one wildcard of the API: in object lists of
// rules and scopes (every branch, entry, locale…) and, as ModuleAll, as a
// management-token scope module (every module).
const Wildcard = "$all"

// Rule is one rule of a role. Which list fields are meaningful depends on
// Module. It has no JSON of its own: the wire form (the Roles page's) is
// http/wire's, the stored form sqlstore's.
type Rule struct {
	Module        Module
	Branches      []string // branch
	BranchAliases []string // branch_alias
	ContentTypes  []string // content_type
	ContentType   string   // entry: the content type of Entries
	Entries       []string // entry
	Assets        []string // asset
	Folders       []string // folder
	Environments  []string // environment
	Locales       []string // locale
	Taxonomies    []string // taxonomy
	Terms         []string // taxonomy: "<taxonomy>.<term>"
	// TaxonomyContentTypes is the taxonomy module's content_types list of
	// {uid, acl} objects (the content_type module's is plain uids).
	TaxonomyContentTypes []TaxonomyContentType
	ACL                  ACL
	Restrict             bool // locale exceptions: the sub_acl removes rights
	HasRestrict          bool // "restrict" was present in the input
}

// TaxonomyContentType grants rights on the entries of one content type (or
// "$all") that are tagged with the rule's taxonomy terms.
type TaxonomyContentType struct {
	UID string
	ACL ACL
}

// ACL is the permission object of a rule, of a taxonomy rule's content
// type, of a scope entry, and (as SubACL) of the entries of a content type,
// the assets of a folder or a locale exception. A nil right was not given,
// which is not the same as false: forms render only what was given. Its
// wire form (string booleans and all) is http/wire's, its stored form
// sqlstore's.
type ACL struct {
	Read    *bool
	Write   *bool // rules and scope entries; never set in a SubACL
	Create  *bool
	Update  *bool
	Delete  *bool
	Publish *bool
	SubACL  *ACL // one level only: a SubACL has no SubACL
}

// True reports whether p is set and true.
func True(p *bool) bool { return p != nil && *p }
