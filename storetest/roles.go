package storetest

import (
	"testing"

	"github.com/stackgate/stackgate"
)

func testRoles(t *testing.T, s stackgate.Store) {
	f := newFixture(t, s)
	admin := f.seed.Roles[0].UID
	alice, bob := newUser(t, s), newUser(t, s)
	must(t, s.AddMember(ctx(t), f.stack, alice.UID, nil))
	must(t, s.AddMember(ctx(t), f.stack, bob.UID, nil))
	editor := f.newRole("Editor")
	must(t, s.CreateRole(ctx(t), editor, []stackgate.Ref{
		{Kind: stackgate.RefEnvironment, Value: "production", Field: "rules.environments"},
		{Kind: stackgate.RefBranch, Value: "main", Field: "rules.branches"},
	}, []string{alice.UID}, 0))
	editor.Users = []string{alice.UID}

	sub(t, "Find", func(t *testing.T) {
		got, err := s.FindRole(ctx(t), f.stack, editor.UID)
		must(t, err)
		diff(t, "role", editor, got)
		m, err := s.FindMember(ctx(t), f.stack, alice.UID)
		must(t, err)
		diff(t, "alice's roles", []string{editor.UID}, m.RoleUIDs)
	})
	sub(t, "Missing", func(t *testing.T) {
		_, err := s.FindRole(ctx(t), f.stack, "bltmissing")
		wantCode(t, err, stackgate.ENOTFOUND, "")
		wantCode(t, s.DeleteRole(ctx(t), f.stack, "bltmissing"), stackgate.ENOTFOUND, "")
		r := *editor
		r.UID = "bltmissing"
		wantCode(t, s.UpdateRole(ctx(t), &r, nil, nil), stackgate.ENOTFOUND, "")
	})
	sub(t, "List", func(t *testing.T) {
		got, err := s.ListRoles(ctx(t), f.stack)
		must(t, err)
		if len(got) != 4 {
			t.Fatalf("ListRoles returned %d roles, want 4", len(got))
		}
		diff(t, "order", []string{admin, f.seed.Roles[1].UID, f.seed.Roles[2].UID, editor.UID},
			uids(got, func(r *stackgate.Role) string { return r.UID }))
		diff(t, "Admin holders", []string{f.owner.UID}, got[0].Users)
		diff(t, "Editor", editor, got[3])
		empty, err := s.ListRoles(ctx(t), "bltmissing")
		must(t, err)
		diff(t, "unknown stack", []*stackgate.Role{}, empty)
	})
	sub(t, "Duplicate", func(t *testing.T) {
		dup := f.newRole("Editor")
		wantCode(t, s.CreateRole(ctx(t), dup, nil, nil, 0), stackgate.ECONFLICT, "name")
		r := *editor
		r.Name = stackgate.RoleAdmin
		wantCode(t, s.UpdateRole(ctx(t), &r, nil, nil), stackgate.ECONFLICT, "name")
	})
	sub(t, "NotMember", func(t *testing.T) {
		r := f.newRole("Outsiders")
		wantCode(t, s.CreateRole(ctx(t), r, nil, []string{newUser(t, s).UID}, 0), stackgate.EINVALID, "users")
		_, err := s.FindRole(ctx(t), f.stack, r.UID)
		wantCode(t, err, stackgate.ENOTFOUND, "")
	})
	sub(t, "MissingRefLeavesNoRole", func(t *testing.T) {
		r := f.newRole("Broken")
		err := s.CreateRole(ctx(t), r, []stackgate.Ref{
			{Kind: stackgate.RefBranch, Value: "main", Field: "rules.branches"},
			{Kind: stackgate.RefLocale, Value: "xx-xx", Field: "rules.locales"},
		}, []string{alice.UID}, 0)

		wantCode(t, err, stackgate.EINVALID, "rules.locales")
		_, err = s.FindRole(ctx(t), f.stack, r.UID)
		wantCode(t, err, stackgate.ENOTFOUND, "")
		m, err := s.FindMember(ctx(t), f.stack, alice.UID)
		must(t, err)
		diff(t, "alice's roles", []string{editor.UID}, m.RoleUIDs)
		// The refs of the refused role were not recorded either: main's
		// other referrer (editor) is the only one, and is removed below.
	})
	sub(t, "Update", func(t *testing.T) {
		r := *editor
		desc := "changed"
		r.Name, r.Description, r.Rules, r.UpdatedBy, r.UpdatedAt = "Writer", &desc, []stackgate.Rule{}, "bltother", now()
		must(t, s.UpdateRole(ctx(t), &r, nil, nil)) // nil members: holders stay
		got, err := s.FindRole(ctx(t), f.stack, r.UID)
		must(t, err)
		diff(t, "updated", &r, got)

		must(t, s.UpdateRole(ctx(t), &r, nil, []string{bob.UID}))
		got, err = s.FindRole(ctx(t), f.stack, r.UID)
		must(t, err)
		diff(t, "holders", []string{bob.UID}, got.Users)

		must(t, s.UpdateRole(ctx(t), &r, nil, []string{}))
		got, err = s.FindRole(ctx(t), f.stack, r.UID)
		must(t, err)
		diff(t, "holders after emptying", []string{}, got.Users)

		must(t, s.UpdateRole(ctx(t), &r, nil, []string{alice.UID, bob.UID}))
		r.Users = sorted(alice.UID, bob.UID)
		*editor = r
	})
	sub(t, "UpdateMissingRef", func(t *testing.T) {
		r := *editor
		r.Name = "Renamed"
		err := s.UpdateRole(ctx(t), &r, []stackgate.Ref{{Kind: stackgate.RefEnvironment, Value: "nope", Field: "rules.environments"}}, []string{})
		wantCode(t, err, stackgate.EINVALID, "rules.environments")
		got, err := s.FindRole(ctx(t), f.stack, r.UID)
		must(t, err)
		diff(t, "role after refused update", editor, got)
	})
	sub(t, "NilDescription", func(t *testing.T) {
		r := f.newRole("Plain")
		r.Description = nil
		must(t, s.CreateRole(ctx(t), r, nil, nil, 0))
		got, err := s.FindRole(ctx(t), f.stack, r.UID)
		must(t, err)
		diff(t, "role", r, got)
	})
	sub(t, "Delete", func(t *testing.T) {
		must(t, s.DeleteRole(ctx(t), f.stack, editor.UID))
		_, err := s.FindRole(ctx(t), f.stack, editor.UID)
		wantCode(t, err, stackgate.ENOTFOUND, "")
		for _, u := range []string{alice.UID, bob.UID} {
			m, err := s.FindMember(ctx(t), f.stack, u)
			must(t, err)
			diff(t, "roles of "+u, []string{}, m.RoleUIDs)
		}
		// Its refs went with it: the environment it referenced can go.
		must(t, s.DeleteEnvironment(ctx(t), f.stack, f.seed.Environment.UID))
	})
}
