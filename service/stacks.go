package service

import (
	"context"
	"fmt"
	"slices"
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
	checkPassword(v, password)
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

// checkPassword is the one rule a new password meets.
func checkPassword(v stackgate.Validation, password string) {
	if len(password) < 8 {
		v.Add("password", "must be at least 8 characters.")
	}
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

// StackMembers is a stack with its members.
type StackMembers struct {
	Stack   *stackgate.Stack
	Members []*stackgate.Member
}

// StacksOfUser returns the stacks the user is a member of, in creation
// order, each with its members (its reply lists their uids): one read for
// the stacks, one per stack for its members.
func (s *Service) StacksOfUser(ctx context.Context, userUID string) ([]StackMembers, error) {
	stacks, err := s.store.ListStacksOfUser(ctx, userUID)
	if err != nil {
		return nil, err
	}
	out := make([]StackMembers, 0, len(stacks))
	for _, st := range stacks {
		members, err := s.store.ListMembers(ctx, st.UID)
		if err != nil {
			return nil, err
		}
		out = append(out, StackMembers{Stack: st, Members: members})
	}
	return out, nil
}

// Collaborator is a member of a stack with their user.
type Collaborator struct {
	Member *stackgate.Member
	User   *stackgate.User
}

// Collaborators returns the stack's members with their users, in two
// reads whatever their number.
func (s *Service) Collaborators(ctx context.Context, stackUID string) ([]Collaborator, error) {
	members, err := s.store.ListMembers(ctx, stackUID)
	if err != nil {
		return nil, err
	}
	users, err := s.store.ListMemberUsers(ctx, stackUID)
	if err != nil {
		return nil, err
	}
	byUID := make(map[string]*stackgate.User, len(users))
	for _, u := range users {
		byUID[u.UID] = u
	}
	out := make([]Collaborator, 0, len(members))
	for _, m := range members {
		if u := byUID[m.UserUID]; u != nil { // a user removed between the reads is left out
			out = append(out, Collaborator{Member: m, User: u})
		}
	}
	return out, nil
}

// HasStacks reports whether any stack exists (serve --demo creates one
// only on an empty database).
func (s *Service) HasStacks(ctx context.Context) (bool, error) {
	n, err := s.store.CountStacks(ctx)
	return n > 0, err
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
	return nil
}

// Share invites e-mail addresses to the stack with the roles given for each
// (POST /v3/stacks/share): it records a pending invitation per address and
// adds no one. Its answer never depends on whether an address has an
// account (it does not look); the invited user joins by accepting
// (AcceptStackInvitation) with their own credentials.
func (s *Service) Share(ctx context.Context, stackUID, inviterUID string, emails []string, roles map[string][]string) error {
	v := stackgate.Validation{}
	if len(emails) == 0 {
		v.Add("emails", stackgate.ProblemRequired)
	}
	if len(emails) > MaxInvitationsPerShare {
		v.Add("emails", fmt.Sprintf("limit of %d e-mail addresses per request reached.", MaxInvitationsPerShare))
		return v.Err()
	}
	now := s.Now()
	byEmail := map[string]*stackgate.StackInvitation{}
	var invs []*stackgate.StackInvitation
	for _, e := range emails {
		email := strings.ToLower(strings.TrimSpace(e))
		if !validEmail(email) {
			v.Add("emails", stackgate.ProblemNotValid)
			continue
		}
		rs, ok := roles[e]
		if !ok {
			rs = roles[email]
		}
		if len(rs) == 0 {
			v.Add("roles", stackgate.ProblemRequired)
			continue
		}
		inv := byEmail[email]
		if inv == nil {
			inv = &stackgate.StackInvitation{UID: stackgate.NewUID(), StackUID: stackUID, Email: email,
				InvitedBy: inviterUID, CreatedAt: now, RoleUIDs: []string{}}
			byEmail[email] = inv
			invs = append(invs, inv)
		}
		inv.RoleUIDs = append(inv.RoleUIDs, rs...)
	}
	if err := v.Err(); err != nil {
		return err
	}
	for _, inv := range invs {
		slices.Sort(inv.RoleUIDs)
		inv.RoleUIDs = slices.Compact(inv.RoleUIDs)
	}
	// No credential changes until an invitation is accepted: nothing to drop.
	return s.store.PutStackInvitations(ctx, invs, s.cfg.Limits.UsersPerRole, s.cfg.Limits.PendingInvitations)
}

// Unshare removes the user with that e-mail address from the stack
// (POST /v3/stacks/unshare): their membership and roles, and the stack's
// pending invitation to the address, in one store call; an address only
// invited has its invitation withdrawn. The store records the stack's
// change, so the user's credentials lose the stack on the next request.
func (s *Service) Unshare(ctx context.Context, by stackgate.Actor, email string) error {
	email = strings.ToLower(strings.TrimSpace(email))
	switch {
	case email == "":
		return stackgate.FieldError(stackgate.EINVALID, "email", stackgate.ProblemRequired)
	case !validEmail(email):
		return stackgate.FieldError(stackgate.EINVALID, "email", stackgate.ProblemNotValid)
	}
	return s.store.RemoveMember(ctx, by.Stack.UID, email)
}

// MaxInvitationsPerShare bounds the e-mail addresses of one share request.
const MaxInvitationsPerShare = 100

// validEmail is a plausibility check of a lower-cased address: one "@" with
// something either side, no spaces or control characters, at most 254 bytes.
func validEmail(email string) bool {
	local, domain, ok := strings.Cut(email, "@")
	return ok && local != "" && domain != "" && !strings.Contains(domain, "@") && len(email) <= 254 &&
		!strings.ContainsFunc(email, func(r rune) bool { return r == ' ' || forbiddenRune(r) })
}

// SetMemberRoles replaces the roles of the users named in assignments.
func (s *Service) SetMemberRoles(ctx context.Context, stackUID string, assignments map[string][]string) error {
	if len(assignments) == 0 {
		return stackgate.FieldError(stackgate.EINVALID, "users", stackgate.ProblemRequired)
	}
	if err := s.store.SetMemberRoles(ctx, stackUID, assignments, s.cfg.Limits.UsersPerRole); err != nil {
		return err
	}
	return nil
}
