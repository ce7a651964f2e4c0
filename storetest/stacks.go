package storetest

import (
	"slices"
	"testing"

	"github.com/stackgate/stackgate"
)

func testStacks(t *testing.T, s stackgate.Store) {
	sub(t, "CountEmpty", func(t *testing.T) {
		n, err := s.CountStacks(ctx(t))
		must(t, err)
		if n != 0 {
			t.Errorf("CountStacks = %d, want 0", n)
		}
	})
	owner := newUser(t, s)
	seed := newStack(t, s, owner, "Blog")
	sub(t, "FindByUID", func(t *testing.T) {
		got, err := s.FindStackByUID(ctx(t), seed.Stack.UID)
		must(t, err)
		diff(t, "stack", &seed.Stack, got)
	})
	sub(t, "FindByAPIKey", func(t *testing.T) {
		got, err := s.FindStackByAPIKey(ctx(t), seed.Stack.APIKey)
		must(t, err)
		diff(t, "stack", &seed.Stack, got)
	})
	sub(t, "Missing", func(t *testing.T) {
		_, err := s.FindStackByUID(ctx(t), "bltmissing")
		wantCode(t, err, stackgate.ENOTFOUND, "")
		_, err = s.FindStackByAPIKey(ctx(t), "bltmissing")
		wantCode(t, err, stackgate.ENOTFOUND, "")
	})
	sub(t, "Seed", func(t *testing.T) {
		branches, err := s.ListBranches(ctx(t), seed.Stack.UID)
		must(t, err)
		diff(t, "branches", []*stackgate.Branch{&seed.Branch}, branches)
		locales, err := s.ListLocales(ctx(t), seed.Stack.UID)
		must(t, err)
		diff(t, "locales", []*stackgate.Locale{&seed.Locale}, locales)
		envs, err := s.ListEnvironments(ctx(t), seed.Stack.UID)
		must(t, err)
		diff(t, "environments", []*stackgate.Environment{&seed.Environment}, envs)
		roles, err := s.ListRoles(ctx(t), seed.Stack.UID)
		must(t, err)
		want := []*stackgate.Role{&seed.Roles[0], &seed.Roles[1], &seed.Roles[2]}
		admin := *want[0]
		admin.Users = []string{owner.UID}
		want[0] = &admin
		diff(t, "roles", want, roles)
		m, err := s.FindMember(ctx(t), seed.Stack.UID, owner.UID)
		must(t, err)
		diff(t, "owner", &seed.Owner, m)
	})
	sub(t, "DuplicateName", func(t *testing.T) {
		dup := *seed
		dup.Stack.UID, dup.Stack.APIKey = stackgate.NewUID(), stackgate.NewUID()
		err := s.CreateStack(ctx(t), &dup)
		wantCode(t, err, stackgate.ECONFLICT, "name")
		// Nothing of the refused seed was written.
		if _, err := s.FindStackByUID(ctx(t), dup.Stack.UID); !stackgate.IsCode(err, stackgate.ENOTFOUND) {
			t.Errorf("refused stack: err = %v, want ENOTFOUND", err)
		}
	})
	sub(t, "UnknownOwner", func(t *testing.T) {
		ghost := &stackgate.User{UID: "bltghost"}
		seed := newStackSeed(ghost, "Ghost")
		wantCode(t, s.CreateStack(ctx(t), seed), stackgate.EINVALID, "")
		_, err := s.FindStackByUID(ctx(t), seed.Stack.UID)
		wantCode(t, err, stackgate.ENOTFOUND, "")
	})
	sub(t, "SameNameOtherOwner", func(t *testing.T) {
		newStack(t, s, newUser(t, s), "Blog")
		n, err := s.CountStacks(ctx(t))
		must(t, err)
		if n != 2 {
			t.Errorf("CountStacks = %d, want 2", n)
		}
	})
}

func testMembers(t *testing.T, s stackgate.Store) {
	f := newFixture(t, s)
	admin, dev, cm := f.seed.Roles[0].UID, f.seed.Roles[1].UID, f.seed.Roles[2].UID
	other := newFixture(t, s)
	alice, bob := newUser(t, s), newUser(t, s)
	sub(t, "FindMissing", func(t *testing.T) {
		_, err := s.FindMember(ctx(t), f.stack, alice.UID)
		wantCode(t, err, stackgate.ENOTFOUND, "")
		// The owner of another stack is not a member of this one.
		_, err = s.FindMember(ctx(t), f.stack, other.owner.UID)
		wantCode(t, err, stackgate.ENOTFOUND, "")
	})
	sub(t, "ListUnknownStack", func(t *testing.T) {
		got, err := s.ListMembers(ctx(t), "bltmissing")
		must(t, err)
		diff(t, "members", []*stackgate.Member{}, got)
	})
	sub(t, "AddMember", func(t *testing.T) {
		must(t, s.AddMember(ctx(t), f.stack, alice.UID, []string{dev}))
		// Adding again adds roles to those held.
		must(t, s.AddMember(ctx(t), f.stack, alice.UID, []string{cm, dev}))
		must(t, s.AddMember(ctx(t), f.stack, bob.UID, nil))
		got, err := s.FindMember(ctx(t), f.stack, alice.UID)
		must(t, err)
		diff(t, "alice", &stackgate.Member{StackUID: f.stack, UserUID: alice.UID, RoleUIDs: sorted(dev, cm)}, got)
		list, err := s.ListMembers(ctx(t), f.stack)
		must(t, err)
		diff(t, "members", []*stackgate.Member{
			{StackUID: f.stack, UserUID: f.owner.UID, RoleUIDs: []string{admin}},
			{StackUID: f.stack, UserUID: alice.UID, RoleUIDs: sorted(dev, cm)},
			{StackUID: f.stack, UserUID: bob.UID, RoleUIDs: []string{}},
		}, list)
		// The same members' users, in the same order, in one read.
		users, err := s.ListMemberUsers(ctx(t), f.stack)
		must(t, err)
		var want []*stackgate.User
		for _, m := range list {
			u, err := s.FindUserByUID(ctx(t), m.UserUID)
			must(t, err)
			want = append(want, u)
		}
		diff(t, "member users", want, users)
		none, err := s.ListMemberUsers(ctx(t), "bltmissing")
		must(t, err)
		diff(t, "member users of an unknown stack", []*stackgate.User{}, none)
	})
	sub(t, "ListStacksOfUser", func(t *testing.T) {
		dave := newUser(t, s)
		none, err := s.ListStacksOfUser(ctx(t), dave.UID)
		must(t, err)
		diff(t, "stacks of a user of none", []*stackgate.Stack{}, none)
		// other was created after f: creation order, whatever the join order.
		must(t, s.AddMember(ctx(t), f.stack, dave.UID, nil))
		must(t, s.AddMember(ctx(t), other.stack, dave.UID, []string{other.seed.Roles[1].UID}))
		got, err := s.ListStacksOfUser(ctx(t), dave.UID)
		must(t, err)
		diff(t, "dave's stacks", []*stackgate.Stack{&f.seed.Stack, &other.seed.Stack}, got)
		// The owner is a member of their own stack only.
		own, err := s.ListStacksOfUser(ctx(t), f.owner.UID)
		must(t, err)
		diff(t, "owner's stacks", []*stackgate.Stack{&f.seed.Stack}, own)
		ghost, err := s.ListStacksOfUser(ctx(t), "bltghost")
		must(t, err)
		diff(t, "stacks of an unknown user", []*stackgate.Stack{}, ghost)
	})
	sub(t, "AddMemberForeignRole", func(t *testing.T) {
		carol := newUser(t, s)
		err := s.AddMember(ctx(t), f.stack, carol.UID, []string{other.seed.Roles[0].UID})
		wantCode(t, err, stackgate.EINVALID, "roles")
		_, err = s.FindMember(ctx(t), f.stack, carol.UID)
		wantCode(t, err, stackgate.ENOTFOUND, "")
	})
	sub(t, "AddMemberUnknownUser", func(t *testing.T) {
		wantCode(t, s.AddMember(ctx(t), f.stack, "bltghost", nil), stackgate.EINVALID, "users")
	})
	sub(t, "AddMemberUnknownStack", func(t *testing.T) {
		wantCode(t, s.AddMember(ctx(t), "bltmissing", alice.UID, nil), stackgate.ENOTFOUND, "")
	})
	sub(t, "SetMemberRoles", func(t *testing.T) {
		must(t, s.SetMemberRoles(ctx(t), f.stack, map[string][]string{alice.UID: {admin}, bob.UID: {cm, dev}}, 0))
		for _, tc := range []struct {
			user string
			want []string
		}{
			{alice.UID, []string{admin}},
			{bob.UID, sorted(cm, dev)},
			{f.owner.UID, []string{admin}},
		} {
			got, err := s.FindMember(ctx(t), f.stack, tc.user)
			must(t, err)
			diff(t, "roles of "+tc.user, tc.want, got.RoleUIDs)
		}
		must(t, s.SetMemberRoles(ctx(t), f.stack, map[string][]string{bob.UID: {}}, 0))
		got, err := s.FindMember(ctx(t), f.stack, bob.UID)
		must(t, err)
		diff(t, "bob after clearing", []string{}, got.RoleUIDs)
	})
	sub(t, "SetMemberRolesInvalid", func(t *testing.T) {
		for _, tc := range []struct {
			name        string
			assignments map[string][]string
			field       string
		}{
			{"NotMember", map[string][]string{alice.UID: {cm}, other.owner.UID: {dev}}, "users"},
			{"ForeignRole", map[string][]string{alice.UID: {other.seed.Roles[1].UID}}, "roles"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantCode(t, s.SetMemberRoles(ctx(t), f.stack, tc.assignments, 0), stackgate.EINVALID, tc.field)
				// The whole call was refused: alice keeps her roles.
				got, err := s.FindMember(ctx(t), f.stack, alice.UID)
				must(t, err)
				diff(t, "alice", []string{admin}, got.RoleUIDs)
			})
		}
	})
	sub(t, "RemoveMember", func(t *testing.T) {
		// dan is a member with two roles and a pending invitation (share
		// never looks whether an address is a member's); erin only invited;
		// both also belong to the other stack, which must keep them.
		dan, erin := newUser(t, s), newUser(t, s)
		must(t, s.AddMember(ctx(t), f.stack, dan.UID, []string{dev, cm}))
		must(t, s.AddMember(ctx(t), other.stack, dan.UID, []string{other.seed.Roles[1].UID}))
		invite := func(stack, email, role string) *stackgate.StackInvitation {
			return &stackgate.StackInvitation{UID: stackgate.NewUID(), StackUID: stack, Email: email,
				RoleUIDs: []string{role}, InvitedBy: f.owner.UID, CreatedAt: now()}
		}
		must(t, s.PutStackInvitations(ctx(t), []*stackgate.StackInvitation{invite(f.stack, dan.Email, dev), invite(f.stack, erin.Email, cm)}, 0, 0))
		elsewhere := invite(other.stack, erin.Email, other.seed.Roles[2].UID)
		elsewhere.InvitedBy = other.owner.UID
		must(t, s.PutStackInvitations(ctx(t), []*stackgate.StackInvitation{elsewhere}, 0, 0))
		members := func(t *testing.T, stack string) []string {
			t.Helper()
			list, err := s.ListMembers(ctx(t), stack)
			must(t, err)
			return uids(list, func(m *stackgate.Member) string { return m.UserUID })
		}
		before := members(t, f.stack)

		must(t, s.RemoveMember(ctx(t), f.stack, dan.Email))
		_, err := s.FindMember(ctx(t), f.stack, dan.UID)
		wantCode(t, err, stackgate.ENOTFOUND, "")
		diff(t, "members after dan left", slices.DeleteFunc(slices.Clone(before), func(u string) bool { return u == dan.UID }), members(t, f.stack))
		diff(t, "dan's invitations", []*stackgate.StackInvitation{}, invitationsOf(t, s, dan.Email))
		roles, err := s.ListRoles(ctx(t), f.stack)
		must(t, err)
		for _, r := range roles {
			if slices.Contains(r.Users, dan.UID) {
				t.Errorf("role %s still lists dan", r.Name)
			}
		}
		got, err := s.FindMember(ctx(t), other.stack, dan.UID)
		must(t, err)
		diff(t, "dan on the other stack", []string{other.seed.Roles[1].UID}, got.RoleUIDs)

		// Only invited: the invitation is withdrawn, the other stack's kept.
		must(t, s.RemoveMember(ctx(t), f.stack, erin.Email))
		diff(t, "erin's invitations", []*stackgate.StackInvitation{elsewhere}, invitationsOf(t, s, erin.Email))

		// Refusals change nothing: the owner; an address neither a member's
		// nor invited, alike with an account (a member elsewhere), without
		// one, or gone by an earlier call.
		after := members(t, f.stack)
		wantCode(t, s.RemoveMember(ctx(t), f.stack, f.owner.Email), stackgate.EINVALID, "email")
		for _, email := range []string{other.owner.Email, "nobody@example.com", dan.Email, erin.Email} {
			err := s.RemoveMember(ctx(t), f.stack, email)
			wantCode(t, err, stackgate.EINVALID, "email")
			diff(t, "problem for "+email, []string{stackgate.ProblemNotMember}, err.(*stackgate.Error).Fields["email"])
		}
		diff(t, "members after the refusals", after, members(t, f.stack))
		wantCode(t, s.RemoveMember(ctx(t), "bltmissing", dan.Email), stackgate.ENOTFOUND, "")
	})
}
