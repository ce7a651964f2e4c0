package service

import (
	"context"
	"strings"

	"github.com/stackgate/stackgate"
)

// EnsureUser returns the user with email, creating them with password when
// new. created says which.
func (s *Service) EnsureUser(ctx context.Context, email, password string) (u *stackgate.User, created bool, err error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if u, err := s.store.FindUserByEmail(ctx, email); err == nil {
		return u, false, nil
	} else if !stackgate.IsCode(err, stackgate.ENOTFOUND) {
		return nil, false, err
	}
	v := stackgate.Validation{}
	if !strings.Contains(email, "@") || len(email) > 254 {
		v.Add("email", stackgate.ProblemNotValid)
	}
	if len(password) < 8 {
		v.Add("password", "must be at least 8 characters.")
	}
	if err := v.Err(); err != nil {
		return nil, false, err
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return nil, false, err
	}
	now := s.Now()
	name, _, _ := strings.Cut(email, "@")
	u = &stackgate.User{UID: stackgate.NewUID(), Email: email, Username: name, FirstName: name,
		OrgUID: "blt" + strings.Repeat("0", 13) + "org", PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreateUser(ctx, u); err != nil {
		return nil, false, err
	}
	return u, true, nil
}

// CreateStack creates a stack owned by owner with what every stack starts
// with: branch main, master locale en-us, environment production, the three
// system roles, and the owner as a member.
func (s *Service) CreateStack(ctx context.Context, owner *stackgate.User, name string) (*stackgate.Stack, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 255 || strings.ContainsFunc(name, forbiddenRune) || pathLike(name) {
		return nil, stackgate.FieldError(stackgate.EINVALID, "name", stackgate.ProblemNotValid)
	}
	now := s.Now()
	stack := stackgate.Stack{UID: stackgate.NewUID(), APIKey: stackgate.NewUID(), Name: name, OrgUID: owner.OrgUID,
		OwnerUID: owner.UID, MasterLocale: "en-us", CreatedAt: now, UpdatedAt: now}
	seed := &stackgate.StackSeed{
		Stack:  stack,
		Owner:  stackgate.Member{StackUID: stack.UID, UserUID: owner.UID},
		Branch: stackgate.Branch{UID: stackgate.MainBranch, StackUID: stack.UID, CreatedBy: owner.UID, UpdatedBy: owner.UID, CreatedAt: now, UpdatedAt: now},
		Locale: stackgate.Locale{UID: stackgate.NewUID(), StackUID: stack.UID, Code: "en-us", Name: "English - United States",
			Version: 1, CreatedBy: owner.UID, UpdatedBy: owner.UID, CreatedAt: now, UpdatedAt: now},
		Environment: stackgate.Environment{UID: stackgate.NewUID(), StackUID: stack.UID, Name: "production",
			URLs: []stackgate.EnvironmentURL{}, Version: 1, CreatedBy: owner.UID, UpdatedBy: owner.UID, CreatedAt: now, UpdatedAt: now},
	}
	for _, n := range []string{stackgate.RoleAdmin, stackgate.RoleDeveloper, stackgate.RoleContentManager} {
		desc := stackgate.SystemRoleDescriptions[n]
		seed.Roles = append(seed.Roles, stackgate.Role{UID: stackgate.NewUID(), StackUID: stack.UID, Name: n,
			Description: &desc, System: true, Rules: []stackgate.Rule{}, CreatedBy: owner.UID, UpdatedBy: owner.UID, CreatedAt: now, UpdatedAt: now})
	}
	if err := s.store.CreateStack(ctx, seed); err != nil {
		return nil, err
	}
	return &seed.Stack, nil
}

// Members returns the stack's members.
func (s *Service) Members(ctx context.Context, stackUID string) ([]*stackgate.Member, error) {
	return s.store.ListMembers(ctx, stackUID)
}

// RoleByName returns the stack's role with that name (case-insensitive).
func (s *Service) RoleByName(ctx context.Context, stackUID, name string) (*stackgate.Role, error) {
	roles, err := s.store.ListRoles(ctx, stackUID)
	if err != nil {
		return nil, err
	}
	for _, r := range roles {
		if strings.EqualFold(r.Name, name) {
			return r, nil
		}
	}
	return nil, stackgate.FieldError(stackgate.EINVALID, "role", stackgate.ProblemNotValid)
}

// AddMember makes user a member of the stack holding roleUIDs (added to
// any roles they hold already).
func (s *Service) AddMember(ctx context.Context, stackUID, userUID string, roleUIDs []string) error {
	if err := s.store.AddMember(ctx, stackUID, userUID, roleUIDs); err != nil {
		return err
	}
	s.changed(stackgate.Change{StackUID: stackUID})
	return nil
}

// Share adds existing users, by email, to the stack with the roles given
// for each email (POST /v3/stacks/share).
func (s *Service) Share(ctx context.Context, stackUID string, emails []string, roles map[string][]string) error {
	v := stackgate.Validation{}
	if len(emails) == 0 {
		v.Add("emails", stackgate.ProblemRequired)
	}
	type add struct {
		user  string
		roles []string
	}
	var adds []add
	for _, e := range emails {
		u, err := s.store.FindUserByEmail(ctx, strings.ToLower(strings.TrimSpace(e)))
		if stackgate.IsCode(err, stackgate.ENOTFOUND) {
			v.Add("emails", e+" "+stackgate.ProblemNotValid)
			continue
		} else if err != nil {
			return err
		}
		rs := roles[e]
		if len(rs) == 0 {
			v.Add("roles."+e, stackgate.ProblemRequired)
			continue
		}
		adds = append(adds, add{u.UID, rs})
	}
	if err := v.Err(); err != nil {
		return err
	}
	for _, a := range adds {
		if err := s.store.AddMember(ctx, stackUID, a.user, a.roles); err != nil {
			return err
		}
	}
	s.changed(stackgate.Change{StackUID: stackUID})
	return nil
}

// SetMemberRoles replaces the roles of the users named in assignments.
func (s *Service) SetMemberRoles(ctx context.Context, stackUID string, assignments map[string][]string) error {
	if len(assignments) == 0 {
		return stackgate.FieldError(stackgate.EINVALID, "users", stackgate.ProblemRequired)
	}
	if err := s.store.SetMemberRoles(ctx, stackUID, assignments); err != nil {
		return err
	}
	s.changed(stackgate.Change{StackUID: stackUID})
	return nil
}
