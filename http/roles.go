package http

import (
	"encoding/json"
	"net/http"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/authz"
	"github.com/stackgate/stackgate/http/wire"
	"github.com/stackgate/stackgate/service"
)

type roleJSON struct {
	Name        string             `json:"name"`
	Description *string            `json:"description"`
	UID         string             `json:"uid"`
	CreatedBy   string             `json:"created_by"`
	UpdatedBy   string             `json:"updated_by"`
	CreatedAt   string             `json:"created_at"`
	UpdatedAt   string             `json:"updated_at"`
	Roles       []any              `json:"roles"`
	Users       []string           `json:"users"`
	Owner       string             `json:"owner"`
	Stack       stackJSON          `json:"stack"`
	SysACL      map[string]any     `json:"SYS_ACL"`
	Rules       *[]wire.Rule       `json:"rules,omitempty"`       // a pointer, so that a requested [] is rendered
	Permissions *map[string][]perm `json:"permissions,omitempty"` // likewise {}
	OrgUID      string             `json:"org_uid,omitempty"`
	APIKey      string             `json:"api_key,omitempty"`
}

// perm is one object of include_permissions: the rule's acl resolved per object.
type perm struct {
	UID    string   `json:"uid"`
	SysACL wire.ACL `json:"SYS_ACL"`
	// ContentTypes, on a taxonomy only, are its rule's content_types: rights
	// on the entries of those types tagged with its terms, never on the
	// types themselves, so they stay inside the taxonomy and never join the
	// stack-wide "content_types" list (README, Compatibility).
	ContentTypes []perm `json:"content_types,omitempty"`
}

// roleView carries what every role rendering needs.
type roleView struct {
	owner       string
	stack       stackJSON
	rules       bool
	permissions bool
	full        bool // create and update replies: rules, org_uid, api_key
}

func (v roleView) render(r *stackgate.Role) roleJSON {
	users := r.Users
	if users == nil {
		users = []string{}
	}
	j := roleJSON{Name: r.Name, Description: r.Description, UID: r.UID, CreatedBy: r.CreatedBy, UpdatedBy: r.UpdatedBy,
		CreatedAt: stackgate.FormatTime(r.CreatedAt), UpdatedAt: stackgate.FormatTime(r.UpdatedAt), Roles: []any{},
		Users: users, Owner: v.owner, Stack: v.stack, SysACL: map[string]any{}}
	rules := r.Rules
	if r.System { // stored without rules: they show what Contentstack shows (authz.SystemRoleRules)
		rules = authz.SystemRoleRules(r.Name)
	}
	if rules == nil {
		rules = []stackgate.Rule{}
	}
	if v.rules || v.full {
		shown := wire.Rules(rules)
		j.Rules = &shown
	}
	if v.permissions {
		perms := permissions(rules)
		j.Permissions = &perms
	}
	if v.full {
		j.OrgUID, j.APIKey = v.stack.OrgUID, v.stack.APIKey
	}
	return j
}

// permissions resolves rules per object, keyed by the plural module name.
func permissions(rules []stackgate.Rule) map[string][]perm {
	out := map[string][]perm{}
	add := func(key string, uids []string, acl stackgate.ACL) {
		for _, uid := range uids {
			out[key] = append(out[key], perm{UID: uid, SysACL: wire.ACL(acl)})
		}
	}
	for _, r := range rules {
		switch r.Module {
		case stackgate.ModuleContentType:
			add("content_types", r.ContentTypes, r.ACL)
		case stackgate.ModuleEntry:
			add("entries", r.Entries, r.ACL)
		case stackgate.ModuleAsset:
			add("assets", r.Assets, r.ACL)
		case stackgate.ModuleFolder:
			add("folders", r.Folders, r.ACL)
		case stackgate.ModuleEnvironment:
			add("environments", r.Environments, r.ACL)
		case stackgate.ModuleLocale:
			add("locales", r.Locales, r.ACL)
		case stackgate.ModuleTaxonomy:
			var cts []perm
			for _, ct := range r.TaxonomyContentTypes {
				cts = append(cts, perm{UID: ct.UID, SysACL: wire.ACL(ct.ACL)})
			}
			for _, uid := range r.Taxonomies {
				out["taxonomies"] = append(out["taxonomies"], perm{UID: uid, SysACL: wire.ACL(r.ACL), ContentTypes: cts})
			}
		case stackgate.ModuleBranch:
			add("branches", r.Branches, r.ACL)
		case stackgate.ModuleBranchAlias:
			add("branch_aliases", r.BranchAliases, r.ACL)
		}
	}
	return out
}

// roleView builds the shared parts of role replies.
func (s *Server) roleView(r *http.Request) (roleView, error) {
	p := principal(r)
	ctx := r.Context()
	var v roleView
	var err error
	if v.rules, err = queryBool(r, "include_rules", false); err != nil {
		return v, err
	}
	if v.permissions, err = queryBool(r, "include_permissions", false); err != nil {
		return v, err
	}
	if v.owner, err = s.svc.OwnerEmail(ctx, p.Stack); err != nil {
		return v, err
	}
	members, err := s.svc.Members(ctx, p.Stack.UID)
	if err != nil {
		return v, err
	}
	v.stack = renderStack(p.Stack, members)
	return v, nil
}

// decodeRole reads {"role":{…}}.
func decodeRole(r *http.Request) (service.RoleInput, error) {
	body, err := decode[struct {
		Role *struct {
			Name        *string         `json:"name"`
			Description json.RawMessage `json:"description"`
			Rules       json.RawMessage `json:"rules"`
			Users       json.RawMessage `json:"users"`
		} `json:"role"`
	}](r, false)
	if err != nil {
		return service.RoleInput{}, err
	}
	b := body.Role
	if b == nil {
		return service.RoleInput{}, stackgate.FieldError(stackgate.EINVALID, "role", stackgate.ProblemRequired)
	}
	in := service.RoleInput{Name: b.Name, Description: b.Description, Users: b.Users}
	in.Rules, in.RuleProblems = wire.DecodeRoleRules(b.Rules)
	return in, nil
}

// handleRoleList handles "GET /v3/roles".
func (s *Server) handleRoleList(w http.ResponseWriter, r *http.Request) error {
	v, err := s.roleView(r)
	if err != nil {
		return err
	}
	roles, err := s.svc.Roles(r.Context(), principal(r).Stack.UID)
	if err != nil {
		return err
	}
	// The query sees a role's rules and permissions whether or not the reply
	// shows them ({"rules.module": "taxonomy"} without include_rules).
	all := v
	all.rules, all.permissions = true, true
	return writeListShown(w, r, "roles", roleFields, mapSlice(roles, all.render), func(j roleJSON) roleJSON {
		if !v.rules {
			j.Rules = nil
		}
		if !v.permissions {
			j.Permissions = nil
		}
		return j
	})
}

// handleRoleGet handles "GET /v3/roles/{role_uid}".
func (s *Server) handleRoleGet(w http.ResponseWriter, r *http.Request) error {
	v, err := s.roleView(r)
	if err != nil {
		return err
	}
	role, err := s.svc.Role(r.Context(), principal(r).Stack.UID, r.PathValue("role_uid"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"role": v.render(role)})
	return nil
}

// handleRoleCreate handles "POST /v3/roles".
func (s *Server) handleRoleCreate(w http.ResponseWriter, r *http.Request) error {
	in, err := decodeRole(r)
	if err != nil {
		return err
	}
	role, err := s.svc.CreateRole(r.Context(), actor(r), in)
	if err != nil {
		return err
	}
	v, err := s.roleView(r)
	if err != nil {
		return err
	}
	v.full = true
	writeJSON(w, http.StatusCreated, map[string]any{"notice": "The role created successfully.", "role": v.render(role)})
	return nil
}

// handleRoleUpdate handles "PUT /v3/roles/{role_uid}".
func (s *Server) handleRoleUpdate(w http.ResponseWriter, r *http.Request) error {
	in, err := decodeRole(r)
	if err != nil {
		return err
	}
	role, err := s.svc.UpdateRole(r.Context(), actor(r), r.PathValue("role_uid"), in)
	if err != nil {
		return err
	}
	v, err := s.roleView(r)
	if err != nil {
		return err
	}
	v.full = true
	writeJSON(w, http.StatusOK, map[string]any{"notice": "The role updated successfully.", "role": v.render(role)})
	return nil
}

// handleRoleDelete handles "DELETE /v3/roles/{role_uid}".
func (s *Server) handleRoleDelete(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.DeleteRole(r.Context(), actor(r), r.PathValue("role_uid")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, notice{"The role deleted successfully."})
	return nil
}
