package stackgate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

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
// Module. The JSON form follows the Roles page; only the fields present in
// the request come back out.
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
	UID string `json:"uid"`
	ACL ACL    `json:"acl"`
}

// ruleJSON is the wire form of Rule.
type ruleJSON struct {
	Module        Module          `json:"module"`
	Branches      []string        `json:"branches,omitempty"`
	BranchAliases []string        `json:"branch_aliases,omitempty"`
	ContentTypes  json.RawMessage `json:"content_types,omitempty"`
	ContentType   string          `json:"content_type,omitempty"`
	Entries       []string        `json:"entries,omitempty"`
	Assets        []string        `json:"assets,omitempty"`
	Folders       []string        `json:"folders,omitempty"`
	Environments  []string        `json:"environments,omitempty"`
	Locales       []string        `json:"locales,omitempty"`
	Taxonomies    []string        `json:"taxonomies,omitempty"`
	Terms         []string        `json:"terms,omitempty"`
	ACL           ACL             `json:"acl"`
	Restrict      *bool           `json:"restrict,omitempty"`
}

// MarshalJSON renders the rule as the Roles page shows it.
func (r Rule) MarshalJSON() ([]byte, error) {
	j := ruleJSON{Module: r.Module, Branches: r.Branches, BranchAliases: r.BranchAliases,
		ContentType: r.ContentType, Entries: r.Entries, Assets: r.Assets, Folders: r.Folders,
		Environments: r.Environments, Locales: r.Locales, Taxonomies: r.Taxonomies, Terms: r.Terms, ACL: r.ACL}
	var err error
	switch {
	case r.Module == ModuleTaxonomy && r.TaxonomyContentTypes != nil:
		j.ContentTypes, err = json.Marshal(r.TaxonomyContentTypes)
	case r.ContentTypes != nil:
		j.ContentTypes, err = json.Marshal(r.ContentTypes)
	}
	if err != nil {
		return nil, err
	}
	if r.HasRestrict || r.Restrict {
		restrict := r.Restrict
		j.Restrict = &restrict
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads a rule; content_types is a list of strings except in
// the taxonomy module, where it is a list of {uid, acl} objects.
func (r *Rule) UnmarshalJSON(b []byte) error {
	var j ruleJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = Rule{Module: j.Module, Branches: j.Branches, BranchAliases: j.BranchAliases,
		ContentType: j.ContentType, Entries: j.Entries, Assets: j.Assets, Folders: j.Folders,
		Environments: j.Environments, Locales: j.Locales, Taxonomies: j.Taxonomies, Terms: j.Terms, ACL: j.ACL}
	if j.Restrict != nil {
		r.Restrict, r.HasRestrict = *j.Restrict, true
	}
	if len(j.ContentTypes) > 0 && !bytes.Equal(j.ContentTypes, []byte("null")) {
		if j.Module == ModuleTaxonomy {
			if err := json.Unmarshal(j.ContentTypes, &r.TaxonomyContentTypes); err != nil {
				return fmt.Errorf("content_types: %w", err)
			}
		} else if err := json.Unmarshal(j.ContentTypes, &r.ContentTypes); err != nil {
			return fmt.Errorf("content_types: %w", err)
		}
	}
	return nil
}

// ACL is the permission object of a rule or scope entry. Absent keys stay
// absent on the way out. Booleans may arrive as the strings "true"/"false"
// (the .NET SDK sends them so).
type ACL struct {
	Read    *bool   `json:"read,omitempty"`
	Write   *bool   `json:"write,omitempty"`
	Create  *bool   `json:"create,omitempty"`
	Update  *bool   `json:"update,omitempty"`
	Delete  *bool   `json:"delete,omitempty"`
	Publish *bool   `json:"publish,omitempty"`
	SubACL  *SubACL `json:"sub_acl,omitempty"`
}

// SubACL holds rights on the entries of a content type (or on a locale, in
// locale exceptions).
type SubACL struct {
	Read    *bool `json:"read,omitempty"`
	Create  *bool `json:"create,omitempty"`
	Update  *bool `json:"update,omitempty"`
	Delete  *bool `json:"delete,omitempty"`
	Publish *bool `json:"publish,omitempty"`
}

// Bool is a JSON boolean that also accepts the strings "true" and "false".
type Bool bool

// UnmarshalJSON accepts true, false, "true" and "false".
func (b *Bool) UnmarshalJSON(data []byte) error {
	switch string(data) {
	case "true", `"true"`:
		*b = true
	case "false", `"false"`:
		*b = false
	default:
		return fmt.Errorf("expected a boolean, got %s", data)
	}
	return nil
}

type aclJSON struct {
	Read    *Bool       `json:"read"`
	Write   *Bool       `json:"write"`
	Create  *Bool       `json:"create"`
	Update  *Bool       `json:"update"`
	Delete  *Bool       `json:"delete"`
	Publish *Bool       `json:"publish"`
	SubACL  *subACLJSON `json:"sub_acl"`
}

type subACLJSON struct {
	Read    *Bool `json:"read"`
	Create  *Bool `json:"create"`
	Update  *Bool `json:"update"`
	Delete  *Bool `json:"delete"`
	Publish *Bool `json:"publish"`
}

func boolPtr(b *Bool) *bool {
	if b == nil {
		return nil
	}
	v := bool(*b)
	return &v
}

// UnmarshalJSON reads an acl object, accepting string booleans.
func (a *ACL) UnmarshalJSON(data []byte) error {
	var j aclJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*a = ACL{Read: boolPtr(j.Read), Write: boolPtr(j.Write), Create: boolPtr(j.Create),
		Update: boolPtr(j.Update), Delete: boolPtr(j.Delete), Publish: boolPtr(j.Publish)}
	if j.SubACL != nil {
		a.SubACL = &SubACL{Read: boolPtr(j.SubACL.Read), Create: boolPtr(j.SubACL.Create),
			Update: boolPtr(j.SubACL.Update), Delete: boolPtr(j.SubACL.Delete), Publish: boolPtr(j.SubACL.Publish)}
	}
	return nil
}

// True reports whether p is set and true.
func True(p *bool) bool { return p != nil && *p }
