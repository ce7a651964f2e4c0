package service

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/authz"
)

// RoleInput is a role create or update as the HTTP edge decoded it from
// {"role":{…}}. Read-only fields (uid, org_uid, api_key, stack, owner,
// SYS_ACL, permissions, roles, created_*, …) are not part of it and are
// ignored.
type RoleInput struct {
	Name        *string
	Description json.RawMessage
	// Rules are the rules as sent; nil when the body has none (an update then
	// keeps the role's rules, a create refuses).
	Rules []stackgate.Rule
	// RuleProblems are what the edge found wrong with the rules' JSON; the
	// use case reports them with its own, once the role is found.
	RuleProblems stackgate.Validation
	Users        json.RawMessage
}

// Roles lists the stack's roles.
func (s *Service) Roles(ctx context.Context, stackUID string) ([]*stackgate.Role, error) {
	return s.store.ListRoles(ctx, stackUID)
}

// Role returns one role.
func (s *Service) Role(ctx context.Context, stackUID, uid string) (*stackgate.Role, error) {
	return s.store.FindRole(ctx, stackUID, uid)
}

// ruleRefs returns the references a role's rules make to the stack's
// branches, aliases, environments and locales, which the store checks.
func ruleRefs(rules []stackgate.Rule) []stackgate.Ref {
	var refs []stackgate.Ref
	for _, r := range rules {
		switch r.Module {
		case stackgate.ModuleBranch:
			refs = appendRefs(refs, stackgate.RefBranch, r.Branches, "rules.branches")
		case stackgate.ModuleBranchAlias:
			refs = appendRefs(refs, stackgate.RefBranchAlias, r.BranchAliases, "rules.branch_aliases")
		case stackgate.ModuleEnvironment:
			refs = appendRefs(refs, stackgate.RefEnvironment, r.Environments, "rules.environments")
		case stackgate.ModuleLocale:
			refs = appendRefs(refs, stackgate.RefLocale, r.Locales, "rules.locales")
		}
	}
	return refs
}

// addProblems records in v the field problems the edge found in a body.
func addProblems(v, problems stackgate.Validation) {
	for field, ps := range problems {
		for _, p := range ps {
			v.Add(field, p)
		}
	}
}

func appendRefs(refs []stackgate.Ref, kind stackgate.RefKind, values []string, field string) []stackgate.Ref {
	for _, val := range values {
		if val != stackgate.Wildcard {
			refs = append(refs, stackgate.Ref{Kind: kind, Value: val, Field: field})
		}
	}
	return refs
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
	rules := in.Rules
	if rules == nil {
		v.Add("rules.branch", stackgate.ProblemRequired)
	}
	addProblems(v, in.RuleProblems)
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
	if err := s.store.CreateRole(ctx, r, ruleRefs(rules), users, s.cfg.Limits.CustomRoles); err != nil {
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
	if in.Rules != nil {
		r.Rules = in.Rules
	}
	addProblems(v, in.RuleProblems)
	s.cfg.Limits.checkRoleSize(v, r.Rules, users)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if !usersSet {
		users = nil
	}
	r.UpdatedBy, r.UpdatedAt = by.UID, s.Now()
	if err := s.store.UpdateRole(ctx, r, ruleRefs(r.Rules), users); err != nil {
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
