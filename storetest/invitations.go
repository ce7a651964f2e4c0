package storetest

import (
	"sync"
	"testing"

	"github.com/stackgate/stackgate"
)

// testInvitations: pending stack invitations are kept by e-mail address,
// whether or not it has an account; only the address they name accepts or
// declines them; accepting is one transaction (membership with the roles,
// invitation gone) bounded by the users-per-role limit.
func testInvitations(t *testing.T, s stackgate.Store) {
	f := newFixture(t, s)
	dev, cm := f.seed.Roles[1].UID, f.seed.Roles[2].UID
	other := newFixture(t, s)
	invite := func(email string, roles ...string) *stackgate.StackInvitation {
		return &stackgate.StackInvitation{UID: stackgate.NewUID(), StackUID: f.stack, Email: email,
			RoleUIDs: sorted(roles...), InvitedBy: f.owner.UID, CreatedAt: now()}
	}
	list := func(t *testing.T, email string) []*stackgate.StackInvitation {
		t.Helper()
		return invitationsOf(t, s, email)
	}
	notMember := func(t *testing.T, user string) {
		t.Helper()
		_, err := s.FindMember(ctx(t), f.stack, user)
		wantCode(t, err, stackgate.ENOTFOUND, "")
	}

	sub(t, "PutAndList", func(t *testing.T) {
		alice := newUser(t, s)
		a, ghost := invite(alice.Email, dev, cm), invite("ghost@example.com", dev)
		must(t, s.PutStackInvitations(ctx(t), []*stackgate.StackInvitation{a, ghost}, 0, 0))
		diff(t, "alice's", []*stackgate.StackInvitation{a}, list(t, alice.Email))
		diff(t, "ghost's", []*stackgate.StackInvitation{ghost}, list(t, "ghost@example.com"))
		diff(t, "nobody's", []*stackgate.StackInvitation{}, list(t, "nobody@example.com"))
		// Invited by another stack too: both, oldest first.
		b := &stackgate.StackInvitation{UID: stackgate.NewUID(), StackUID: other.stack, Email: alice.Email,
			RoleUIDs: []string{other.seed.Roles[1].UID}, InvitedBy: other.owner.UID, CreatedAt: now()}
		must(t, s.PutStackInvitations(ctx(t), []*stackgate.StackInvitation{b}, 0, 0))
		diff(t, "alice's two", []*stackgate.StackInvitation{a, b}, list(t, alice.Email))
		// Invited again by the same stack: replaced, not added.
		a2 := invite(alice.Email, cm)
		must(t, s.PutStackInvitations(ctx(t), []*stackgate.StackInvitation{a2}, 0, 0))
		diff(t, "alice's after re-invite", []*stackgate.StackInvitation{b, a2}, list(t, alice.Email))
		notMember(t, alice.UID)
	})
	sub(t, "ListWithStacksRolesInviters", func(t *testing.T) {
		kim := newUser(t, s)
		temp := f.newRole("Leaving")
		must(t, s.CreateRole(ctx(t), temp, nil, nil, 0))
		here := invite(kim.Email, dev, temp.UID)
		there := &stackgate.StackInvitation{UID: stackgate.NewUID(), StackUID: other.stack, Email: kim.Email,
			RoleUIDs: sorted(other.seed.Roles[1].UID, other.seed.Roles[2].UID), InvitedBy: "bltgoneuser", CreatedAt: now()}
		must(t, s.PutStackInvitations(ctx(t), []*stackgate.StackInvitation{here}, 0, 0))
		must(t, s.PutStackInvitations(ctx(t), []*stackgate.StackInvitation{there}, 0, 0))
		must(t, s.PutStackInvitations(ctx(t), []*stackgate.StackInvitation{invite("someone.else@example.com", cm)}, 0, 0))
		must(t, s.DeleteRole(ctx(t), f.stack, temp.UID))
		// What one read by uid gives, but without the roles' holders.
		role := func(stack, uid string) *stackgate.Role {
			r, err := s.FindRole(ctx(t), stack, uid)
			must(t, err)
			r.Users = []string{}
			return r
		}
		stack := func(uid string) *stackgate.Stack {
			st, err := s.FindStackByUID(ctx(t), uid)
			must(t, err)
			return st
		}
		here.RoleUIDs = []string{dev} // the deleted role is not given
		want := []*stackgate.PendingInvitation{
			{StackInvitation: here, Stack: stack(f.stack), Roles: []*stackgate.Role{role(f.stack, dev)}, Inviter: f.owner},
			{StackInvitation: there, Stack: stack(other.stack), Roles: []*stackgate.Role{
				role(other.stack, there.RoleUIDs[0]), role(other.stack, there.RoleUIDs[1])}}, // the inviter is unknown
		}
		got, err := s.ListStackInvitations(ctx(t), kim.Email)
		must(t, err)
		diff(t, "kim's invitations", want, got)
		got, err = s.ListStackInvitations(ctx(t), "nobody@example.com")
		must(t, err)
		diff(t, "nobody's", []*stackgate.PendingInvitation{}, got)
	})
	sub(t, "PutInvalid", func(t *testing.T) {
		carol := newUser(t, s)
		ok := invite(carol.Email, dev)
		wantCode(t, s.PutStackInvitations(ctx(t), []*stackgate.StackInvitation{ok, invite("x@example.com", other.seed.Roles[0].UID)}, 0, 0),
			stackgate.EINVALID, "roles")
		wantCode(t, s.PutStackInvitations(ctx(t), []*stackgate.StackInvitation{invite("y@example.com", "bltnorole")}, 0, 0),
			stackgate.EINVALID, "roles")
		// The whole call was refused.
		diff(t, "carol's", []*stackgate.StackInvitation{}, list(t, carol.Email))
		missing := invite("z@example.com", dev)
		missing.StackUID = "bltmissing"
		wantCode(t, s.PutStackInvitations(ctx(t), []*stackgate.StackInvitation{missing}, 0, 0), stackgate.ENOTFOUND, "")
	})
	sub(t, "PendingLimit", func(t *testing.T) {
		g := newFixture(t, s)
		inv := func(email string) *stackgate.StackInvitation {
			return &stackgate.StackInvitation{UID: stackgate.NewUID(), StackUID: g.stack, Email: email,
				RoleUIDs: []string{g.seed.Roles[1].UID}, InvitedBy: g.owner.UID, CreatedAt: now()}
		}
		const limit = 2
		must(t, s.PutStackInvitations(ctx(t), []*stackgate.StackInvitation{inv("p1@example.com"), inv("p2@example.com")}, 0, limit))
		// Re-inviting replaces: still at the limit.
		must(t, s.PutStackInvitations(ctx(t), []*stackgate.StackInvitation{inv("p1@example.com")}, 0, limit))
		wantCode(t, s.PutStackInvitations(ctx(t), []*stackgate.StackInvitation{inv("p3@example.com")}, 0, limit), stackgate.EINVALID, "emails")
		diff(t, "p3's", []*stackgate.StackInvitation{}, list(t, "p3@example.com"))
		// Another stack has its own count.
		elsewhere := inv("p3@example.com")
		elsewhere.StackUID, elsewhere.RoleUIDs = newFixture(t, s).stack, []string{}
		must(t, s.PutStackInvitations(ctx(t), []*stackgate.StackInvitation{elsewhere}, 0, limit))
		diff(t, "p3's elsewhere", []*stackgate.StackInvitation{elsewhere}, list(t, "p3@example.com"))
	})
	sub(t, "Accept", func(t *testing.T) {
		dan, eve := newUser(t, s), newUser(t, s)
		inv := invite(dan.Email, dev, cm)
		must(t, s.PutStackInvitations(ctx(t), []*stackgate.StackInvitation{inv}, 0, 0))
		// Someone else, with their own address, cannot take it.
		_, err := s.AcceptStackInvitation(ctx(t), inv.UID, eve.Email, eve.UID, 0)
		wantCode(t, err, stackgate.ENOTFOUND, "")
		notMember(t, eve.UID)
		_, err = s.AcceptStackInvitation(ctx(t), "bltnoinvite", dan.Email, dan.UID, 0)
		wantCode(t, err, stackgate.ENOTFOUND, "")
		got, err := s.AcceptStackInvitation(ctx(t), inv.UID, dan.Email, dan.UID, 0)
		must(t, err)
		diff(t, "accepted", inv, got)
		m, err := s.FindMember(ctx(t), f.stack, dan.UID)
		must(t, err)
		diff(t, "dan's roles", sorted(dev, cm), m.RoleUIDs)
		diff(t, "dan's after", []*stackgate.StackInvitation{}, list(t, dan.Email))
		_, err = s.AcceptStackInvitation(ctx(t), inv.UID, dan.Email, dan.UID, 0)
		wantCode(t, err, stackgate.ENOTFOUND, "")
	})
	sub(t, "AcceptAddsToHeldRoles", func(t *testing.T) {
		fay := newUser(t, s)
		must(t, s.AddMember(ctx(t), f.stack, fay.UID, []string{dev}))
		inv := invite(fay.Email, cm)
		must(t, s.PutStackInvitations(ctx(t), []*stackgate.StackInvitation{inv}, 0, 0))
		_, err := s.AcceptStackInvitation(ctx(t), inv.UID, fay.Email, fay.UID, 0)
		must(t, err)
		m, err := s.FindMember(ctx(t), f.stack, fay.UID)
		must(t, err)
		diff(t, "fay's roles", sorted(dev, cm), m.RoleUIDs)
	})
	sub(t, "RoleDeletedMeanwhile", func(t *testing.T) {
		gil := newUser(t, s)
		r := f.newRole("Temporary")
		must(t, s.CreateRole(ctx(t), r, nil, nil, 0))
		inv := invite(gil.Email, dev, r.UID)
		must(t, s.PutStackInvitations(ctx(t), []*stackgate.StackInvitation{inv}, 0, 0))
		must(t, s.DeleteRole(ctx(t), f.stack, r.UID))
		got := list(t, gil.Email)
		if len(got) != 1 {
			t.Fatalf("%d invitations, want 1", len(got))
		}
		diff(t, "roles left", []string{dev}, got[0].RoleUIDs)
		_, err := s.AcceptStackInvitation(ctx(t), inv.UID, gil.Email, gil.UID, 0)
		must(t, err)
		m, err := s.FindMember(ctx(t), f.stack, gil.UID)
		must(t, err)
		diff(t, "gil's roles", []string{dev}, m.RoleUIDs)
	})
	sub(t, "Decline", func(t *testing.T) {
		hal, ivy := newUser(t, s), newUser(t, s)
		inv := invite(hal.Email, dev)
		must(t, s.PutStackInvitations(ctx(t), []*stackgate.StackInvitation{inv}, 0, 0))
		wantCode(t, s.DeleteStackInvitation(ctx(t), inv.UID, ivy.Email), stackgate.ENOTFOUND, "")
		diff(t, "hal's", []*stackgate.StackInvitation{inv}, list(t, hal.Email))
		must(t, s.DeleteStackInvitation(ctx(t), inv.UID, hal.Email))
		diff(t, "hal's after", []*stackgate.StackInvitation{}, list(t, hal.Email))
		wantCode(t, s.DeleteStackInvitation(ctx(t), inv.UID, hal.Email), stackgate.ENOTFOUND, "")
		notMember(t, hal.UID)
	})
	sub(t, "ConcurrentAccepts", func(t *testing.T) {
		jo := newUser(t, s)
		inv := invite(jo.Email, dev)
		must(t, s.PutStackInvitations(ctx(t), []*stackgate.StackInvitation{inv}, 0, 0))
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.AcceptStackInvitation(ctx(t), inv.UID, jo.Email, jo.UID, 0)
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
			} else if !stackgate.IsCode(err, stackgate.ENOTFOUND) {
				t.Errorf("accept: %v, want nil or ENOTFOUND", err)
			}
		}
		if won != 1 {
			t.Errorf("%d accepts won, want 1", won)
		}
	})
}

// testUsersPerRole: giving a role (SetMemberRoles, an invitation, its
// acceptance) is refused with EINVALID on "users" past the limit, and the
// refused write changes nothing; reaching the limit is accepted.
func testUsersPerRole(t *testing.T, s stackgate.Store) {
	f := newFixture(t, s)
	dev, cm := f.seed.Roles[1].UID, f.seed.Roles[2].UID
	alice, bob, carol := newUser(t, s), newUser(t, s), newUser(t, s)
	must(t, s.AddMember(ctx(t), f.stack, alice.UID, nil))
	must(t, s.AddMember(ctx(t), f.stack, bob.UID, nil))
	roles := func(t *testing.T, user string) []string {
		t.Helper()
		m, err := s.FindMember(ctx(t), f.stack, user)
		must(t, err)
		return m.RoleUIDs
	}
	const limit = 1
	sub(t, "SetMemberRoles", func(t *testing.T) {
		must(t, s.SetMemberRoles(ctx(t), f.stack, map[string][]string{alice.UID: {cm}}, limit)) // at the limit
		// Again: alice holds it already, nothing grows.
		must(t, s.SetMemberRoles(ctx(t), f.stack, map[string][]string{alice.UID: {cm, dev}}, limit))
		wantCode(t, s.SetMemberRoles(ctx(t), f.stack, map[string][]string{bob.UID: {cm}}, limit), stackgate.EINVALID, "users")
		diff(t, "bob's roles", []string{}, roles(t, bob.UID))
		// Moving the role from alice to bob in one call keeps the count.
		must(t, s.SetMemberRoles(ctx(t), f.stack, map[string][]string{alice.UID: {dev}, bob.UID: {cm}}, limit))
		diff(t, "bob's roles after the move", []string{cm}, roles(t, bob.UID))
		// Past a lowered limit, a role may still shrink... (dev has alice; give it to bob too, no limit)
		must(t, s.SetMemberRoles(ctx(t), f.stack, map[string][]string{bob.UID: {cm, dev}}, 0))
		must(t, s.SetMemberRoles(ctx(t), f.stack, map[string][]string{bob.UID: {cm}}, limit))
	})
	sub(t, "Invitation", func(t *testing.T) {
		// cm is held by bob: full at limit 1.
		inv := &stackgate.StackInvitation{UID: stackgate.NewUID(), StackUID: f.stack, Email: carol.Email,
			RoleUIDs: []string{cm}, InvitedBy: f.owner.UID, CreatedAt: now()}
		wantCode(t, s.PutStackInvitations(ctx(t), []*stackgate.StackInvitation{inv}, limit, 0), stackgate.EINVALID, "users")
		diff(t, "carol's", []*stackgate.StackInvitation{}, invitationsOf(t, s, carol.Email))
		must(t, s.PutStackInvitations(ctx(t), []*stackgate.StackInvitation{inv}, limit+1, 0))
		// Accepting past the limit: refused, nothing changed.
		_, err := s.AcceptStackInvitation(ctx(t), inv.UID, carol.Email, carol.UID, limit)
		wantCode(t, err, stackgate.EINVALID, "users")
		if _, err := s.FindMember(ctx(t), f.stack, carol.UID); !stackgate.IsCode(err, stackgate.ENOTFOUND) {
			t.Fatalf("carol is a member after a refused accept: %v", err)
		}
		diff(t, "carol's after the refusal", []*stackgate.StackInvitation{inv}, invitationsOf(t, s, carol.Email))
		// At the limit: accepted.
		_, err = s.AcceptStackInvitation(ctx(t), inv.UID, carol.Email, carol.UID, limit+1)
		must(t, err)
		diff(t, "carol's roles", []string{cm}, roles(t, carol.UID))
		// A holder accepting the role again does not count twice.
		again := &stackgate.StackInvitation{UID: stackgate.NewUID(), StackUID: f.stack, Email: bob.Email,
			RoleUIDs: []string{cm}, InvitedBy: f.owner.UID, CreatedAt: now()}
		must(t, s.PutStackInvitations(ctx(t), []*stackgate.StackInvitation{again}, 0, 0))
		_, err = s.AcceptStackInvitation(ctx(t), again.UID, bob.Email, bob.UID, 2)
		must(t, err)
	})
}

// invitationsOf lists the pending invitations of email, without what comes
// with them.
func invitationsOf(t *testing.T, s stackgate.Store, email string) []*stackgate.StackInvitation {
	t.Helper()
	got, err := s.ListStackInvitations(ctx(t), email)
	must(t, err)
	out := make([]*stackgate.StackInvitation, len(got))
	for i, p := range got {
		out[i] = p.StackInvitation
	}
	return out
}
