package service

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/authz"
	"github.com/stackgate/stackgate/http/wire"
)

// RoleInput is the body of a role create or update: {"role":{…}}.
// Read-only fields (uid, org_uid, api_key, stack, owner, SYS_ACL,
// permissions, roles, created_*, …) are not part of it and are ignored.
type RoleInput struct {
	Name        *string         `json:"name"`
	Description json.RawMessage `json:"description"`
	Rules       json.RawMessage `json:"rules"`
	Users       json.RawMessage `json:"users"`
}

// ruleModules are the modules a role rule may name (spec §5).
var ruleModules = map[stackgate.Module]bool{
	stackgate.ModuleBranch: true, stackgate.ModuleBranchAlias: true, stackgate.ModuleContentType: true,
	stackgate.ModuleEntry: true, stackgate.ModuleAsset: true, stackgate.ModuleFolder: true,
	stackgate.ModuleEnvironment: true, stackgate.ModuleLocale: true, stackgate.ModuleTaxonomy: true,
}

// ruleListFields are the list fields of rules; each must be a list of strings.
var ruleListFields = []string{"branches", "branch_aliases", "entries", "assets", "folders",
	"environments", "locales", "taxonomies", "terms"}

// Roles lists the stack's roles.
func (s *Service) Roles(ctx context.Context, stackUID string) ([]*stackgate.Role, error) {
	return s.store.ListRoles(ctx, stackUID)
}

// Role returns one role.
func (s *Service) Role(ctx context.Context, stackUID, uid string) (*stackgate.Role, error) {
	return s.store.FindRole(ctx, stackUID, uid)
}

// ParseRules validates the shape of a role's rules and returns them with the
// references they make. Problems go into v under "rules…" paths. It never
// panics, whatever the input (see FuzzParseRules).
func ParseRules(v stackgate.Validation, raw json.RawMessage) ([]stackgate.Rule, []stackgate.Ref) {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		v.Add("rules.branch", stackgate.ProblemRequired)
		return nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		v.Add("rules", "must be a list of rule objects.")
		return nil, nil
	}
	var rules []stackgate.Rule
	var refs []stackgate.Ref
	hasBranch := false
	for i, item := range items {
		path := "rules." + strconv.Itoa(i)
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(item, &fields); err != nil || fields == nil {
			v.Add(path, "is not a valid rule object.")
			continue
		}
		var module stackgate.Module
		if err := json.Unmarshal(fields["module"], &module); err != nil || module == "" {
			v.Add(path+".module", stackgate.ProblemRequired)
			continue
		}
		if !ruleModules[module] {
			v.Add(path+".module", "is not a valid module.")
			continue
		}
		ok := true
		for _, f := range ruleListFields {
			if rawList, present := fields[f]; present && !isStringList(rawList) {
				v.Add(path+"."+f, "must be a list of strings.")
				ok = false
			}
		}
		if rawCT, present := fields["content_types"]; present {
			if module == stackgate.ModuleTaxonomy {
				var cts []wire.TaxonomyContentType
				if json.Unmarshal(rawCT, &cts) != nil {
					v.Add(path+".content_types", "must be a list of {uid, acl} objects.")
					ok = false
				}
			} else if !isStringList(rawCT) {
				v.Add(path+".content_types", "must be a list of strings.")
				ok = false
			}
		}
		if rawCT, present := fields["content_type"]; present {
			var ct string
			if json.Unmarshal(rawCT, &ct) != nil {
				v.Add(path+".content_type", "must be a string.")
				ok = false
			}
		}
		acl, hasACL := fields["acl"]
		if !hasACL || bytes.Equal(acl, []byte("null")) {
			if module != stackgate.ModuleBranch && module != stackgate.ModuleBranchAlias {
				v.Add(path+".acl", stackgate.ProblemRequired)
				ok = false
			}
		} else if acl[0] != '{' || json.Unmarshal(acl, new(wire.ACL)) != nil {
			v.Add(path+".acl", "must be an object of booleans.")
			ok = false
		}
		if rawRestrict, present := fields["restrict"]; present {
			var b wire.Bool
			if json.Unmarshal(rawRestrict, &b) != nil {
				v.Add(path+".restrict", "must be a boolean.")
				ok = false
			}
		}
		if !ok {
			continue
		}
		r, err := wire.DecodeRule(item)
		if err != nil {
			v.Add(path, "is not a valid rule object.")
			continue
		}
		if !hasACL && (module == stackgate.ModuleBranch || module == stackgate.ModuleBranchAlias) {
			r.ACL = stackgate.ACL{Read: ptr(true)}
		}
		switch module {
		case stackgate.ModuleBranch:
			hasBranch = true
			if len(r.Branches) == 0 {
				v.Add(path+".branches", stackgate.ProblemRequired)
			}
			refs = appendRefs(refs, stackgate.RefBranch, r.Branches, "rules.branches")
		case stackgate.ModuleBranchAlias:
			hasBranch = true
			if len(r.BranchAliases) == 0 {
				v.Add(path+".branch_aliases", stackgate.ProblemRequired)
			}
			refs = appendRefs(refs, stackgate.RefBranchAlias, r.BranchAliases, "rules.branch_aliases")
		case stackgate.ModuleEnvironment:
			refs = appendRefs(refs, stackgate.RefEnvironment, r.Environments, "rules.environments")
		case stackgate.ModuleLocale:
			refs = appendRefs(refs, stackgate.RefLocale, r.Locales, "rules.locales")
		case stackgate.ModuleEntry:
			if r.ContentType == "" {
				v.Add(path+".content_type", stackgate.ProblemRequired)
			}
		}
		rules = append(rules, r)
	}
	if !hasBranch {
		v.Add("rules.branch", stackgate.ProblemRequired)
	}
	if rules == nil {
		rules = []stackgate.Rule{}
	}
	return rules, refs
}

func appendRefs(refs []stackgate.Ref, kind stackgate.RefKind, values []string, field string) []stackgate.Ref {
	for _, val := range values {
		if val != stackgate.Wildcard {
			refs = append(refs, stackgate.Ref{Kind: kind, Value: val, Field: field})
		}
	}
	return refs
}

func isStringList(raw json.RawMessage) bool {
	var l []string
	return json.Unmarshal(raw, &l) == nil
}

// roleFields validates name, description and users of a role body.
func roleFields(v stackgate.Validation, in RoleInput) (desc *string, descSet bool, users []string, usersSet bool) {
	if len(in.Description) > 0 {
		descSet = true
		if !bytes.Equal(in.Description, []byte("null")) {
			var d string
			if json.Unmarshal(in.Description, &d) != nil {
				v.Add("description", "must be a string.")
			} else {
				desc = &d
			}
		}
	}
	if len(in.Users) > 0 && !bytes.Equal(in.Users, []byte("null")) {
		usersSet = true
		if json.Unmarshal(in.Users, &users) != nil {
			v.Add("users", "must be a list of user uids.")
		}
		if users == nil {
			users = []string{}
		}
	}
	return
}

// CreateRole creates a custom role.
func (s *Service) CreateRole(ctx context.Context, by stackgate.Actor, in RoleInput) (*stackgate.Role, error) {
	v := stackgate.Validation{}
	var name string
	if in.Name == nil {
		v.Add("name", stackgate.ProblemRequired)
	} else {
		name = checkName(v, "name", *in.Name)
	}
	desc, descSet, users, _ := roleFields(v, in)
	rules, refs := ParseRules(v, in.Rules)
	s.cfg.Limits.checkRoleSize(v, rules, users)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if desc == nil && !descSet {
		desc = ptr("") // absent: an empty description; an explicit null stays null
	}
	now := s.Now()
	r := &stackgate.Role{UID: stackgate.NewUID(), StackUID: by.Stack.UID, Name: name, Description: desc, Rules: rules,
		CreatedBy: by.UID, UpdatedBy: by.UID, CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreateRole(ctx, r, refs, users, s.cfg.Limits.CustomRoles); err != nil {
		return nil, err
	}
	return s.store.FindRole(ctx, by.Stack.UID, r.UID)
}

// ErrSystemRole refuses a change to a system role (the HTTP edge words it).
var ErrSystemRole = &stackgate.Error{Code: stackgate.EFORBIDDEN, Fields: map[string][]string{"role": {"is a system role."}}}

// ErrNotRoleCreator refuses a user's change to a custom role they did not
// create, unless they own the stack (authz.MayChangeCustomRole).
var ErrNotRoleCreator = &stackgate.Error{Code: stackgate.EFORBIDDEN, Fields: map[string][]string{"role": {"was created by another user."}}}

// changeableRole finds a role by may update or delete.
func (s *Service) changeableRole(ctx context.Context, by stackgate.Actor, uid string) (*stackgate.Role, error) {
	r, err := s.store.FindRole(ctx, by.Stack.UID, uid)
	if err != nil {
		return nil, err
	}
	if r.System {
		return nil, ErrSystemRole
	}
	if !authz.MayChangeCustomRole(r, !by.Token, by.UID, by.Owner()) {
		return nil, ErrNotRoleCreator
	}
	return r, nil
}

// UpdateRole changes a custom role; system roles cannot be modified, and a
// user other than the owner changes only the roles they created.
func (s *Service) UpdateRole(ctx context.Context, by stackgate.Actor, uid string, in RoleInput) (*stackgate.Role, error) {
	r, err := s.changeableRole(ctx, by, uid)
	if err != nil {
		return nil, err
	}
	v := stackgate.Validation{}
	if in.Name != nil {
		if name := checkName(stackgate.Validation{}, "name", *in.Name); name != "" {
			r.Name = checkName(v, "name", *in.Name)
		}
		// An empty name keeps the old one, as the live API does.
	}
	desc, descSet, users, usersSet := roleFields(v, in)
	if descSet {
		r.Description = desc
	}
	var refs []stackgate.Ref
	if in.Rules != nil {
		r.Rules, refs = ParseRules(v, in.Rules)
	} else {
		r.Rules, refs = ParseRules(v, mustJSON(wire.Rules(r.Rules)))
	}
	s.cfg.Limits.checkRoleSize(v, r.Rules, users)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if !usersSet {
		users = nil
	}
	r.UpdatedBy, r.UpdatedAt = by.UID, s.Now()
	if err := s.store.UpdateRole(ctx, r, refs, users); err != nil {
		return nil, err
	}
	return s.store.FindRole(ctx, by.Stack.UID, r.UID)
}

// DeleteRole deletes a custom role (the owner's, or its creator's, as
// UpdateRole); its holders lose it at once.
func (s *Service) DeleteRole(ctx context.Context, by stackgate.Actor, uid string) error {
	if _, err := s.changeableRole(ctx, by, uid); err != nil {
		return err
	}
	if err := s.store.DeleteRole(ctx, by.Stack.UID, uid); err != nil {
		return err
	}
	return nil
}

// OwnerEmail returns the email of the stack's owner.
func (s *Service) OwnerEmail(ctx context.Context, st *stackgate.Stack) (string, error) {
	u, err := s.store.FindUserByUID(ctx, st.OwnerUID)
	if err != nil {
		return "", err
	}
	return u.Email, nil
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
