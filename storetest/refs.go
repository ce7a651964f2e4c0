package storetest

import (
	"testing"

	"github.com/stackgate/stackgate"
)

// testRefs checks, for every kind of target and every kind of owner, that a
// reference (by uid, name or code) blocks the target's deletion until the
// owner goes, and that a reference to a missing target is refused on its
// field with nothing written.
func testRefs(t *testing.T, s stackgate.Store) {
	f := newFixture(t, s)
	type target struct {
		name   string
		kind   stackgate.RefKind
		create func(t *testing.T, i int) (value string, del func() error)
		field  string // the field of the deletion refusal
	}
	targets := []target{
		{"EnvironmentByName", stackgate.RefEnvironment, func(t *testing.T, i int) (string, func() error) {
			e := f.environment(t, s, "env"+string(rune('a'+i)))
			return e.Name, func() error { return s.DeleteEnvironment(ctx(t), f.stack, e.UID) }
		}, "environment"},
		{"EnvironmentByUID", stackgate.RefEnvironment, func(t *testing.T, i int) (string, func() error) {
			e := f.environment(t, s, "uenv"+string(rune('a'+i)))
			return e.UID, func() error { return s.DeleteEnvironment(ctx(t), f.stack, e.UID) }
		}, "environment"},
		{"LocaleByCode", stackgate.RefLocale, func(t *testing.T, i int) (string, func() error) {
			l := f.locale(t, s, "c"+string(rune('a'+i)), "en-us")
			return l.Code, func() error { return s.DeleteLocale(ctx(t), f.stack, l.UID) }
		}, "locale"},
		{"LocaleByUID", stackgate.RefLocale, func(t *testing.T, i int) (string, func() error) {
			l := f.locale(t, s, "u"+string(rune('a'+i)), "en-us")
			return l.UID, func() error { return s.DeleteLocale(ctx(t), f.stack, l.UID) }
		}, "locale"},
		{"Branch", stackgate.RefBranch, func(t *testing.T, i int) (string, func() error) {
			b := f.branch(t, s, "b"+string(rune('a'+i)))
			return b.UID, func() error { return s.DeleteBranch(ctx(t), f.stack, b.UID) }
		}, "branch"},
		{"BranchAlias", stackgate.RefBranchAlias, func(t *testing.T, i int) (string, func() error) {
			a := f.alias(t, s, "a"+string(rune('a'+i)), "main")
			return a.UID, func() error { return s.DeleteBranchAlias(ctx(t), f.stack, a.UID) }
		}, "branch_alias"},
	}
	type owner struct {
		name   string
		create func(t *testing.T, refs []stackgate.Ref) (uid string, err error)
		find   func(t *testing.T, uid string) error
		del    func(t *testing.T, uid string) error
	}
	n := 0
	owners := []owner{
		{"Role", func(t *testing.T, refs []stackgate.Ref) (string, error) {
			n++
			r := f.newRole("role" + string(rune('a'+n)))
			return r.UID, s.CreateRole(ctx(t), r, refs, nil, 0)
		}, func(t *testing.T, uid string) error { _, err := s.FindRole(ctx(t), f.stack, uid); return err },
			func(t *testing.T, uid string) error { return s.DeleteRole(ctx(t), f.stack, uid) }},
		{"DeliveryToken", func(t *testing.T, refs []stackgate.Ref) (string, error) {
			n++
			dt := f.newDeliveryToken("dt" + string(rune('a'+n)))
			return dt.UID, s.CreateDeliveryToken(ctx(t), dt, refs, 0)
		}, func(t *testing.T, uid string) error { _, err := s.FindDeliveryToken(ctx(t), f.stack, uid); return err },
			func(t *testing.T, uid string) error { return s.DeleteDeliveryToken(ctx(t), f.stack, uid) }},
		{"ManagementToken", func(t *testing.T, refs []stackgate.Ref) (string, error) {
			n++
			mt := f.newManagementToken("mt" + string(rune('a'+n)))
			return mt.UID, s.CreateManagementToken(ctx(t), mt, refs, 0)
		}, func(t *testing.T, uid string) error {
			_, err := s.FindManagementToken(ctx(t), f.stack, uid)
			return err
		},
			func(t *testing.T, uid string) error { return s.DeleteManagementToken(ctx(t), f.stack, uid) }},
	}
	i := 0
	for _, tg := range targets {
		for _, o := range owners {
			t.Run(tg.name+"/"+o.name, func(t *testing.T) {
				i++
				value, del := tg.create(t, i)
				uid, err := o.create(t, []stackgate.Ref{{Kind: tg.kind, Value: value, Field: "scope.x"}})
				must(t, err)
				wantCode(t, del(), stackgate.EINVALID, tg.field)
				must(t, o.del(t, uid))
				must(t, del())
			})
		}
		t.Run(tg.name+"/Missing", func(t *testing.T) {
			for _, o := range owners {
				uid, err := o.create(t, []stackgate.Ref{{Kind: tg.kind, Value: "missing", Field: "scope.missing"}})
				wantCode(t, err, stackgate.EINVALID, "scope.missing")
				wantCode(t, o.find(t, uid), stackgate.ENOTFOUND, "")
			}
		})
	}
	t.Run("OtherStacksTarget", func(t *testing.T) {
		other := newFixture(t, s)
		for _, o := range owners {
			_, err := o.create(t, []stackgate.Ref{{Kind: stackgate.RefEnvironment, Value: other.seed.Environment.UID, Field: "scope.environments"}})
			wantCode(t, err, stackgate.EINVALID, "scope.environments")
		}
	})
}

// testIsolation checks that a stack-scoped method given another stack's uid
// finds nothing and changes nothing.
func testIsolation(t *testing.T, s stackgate.Store) {
	a, b := newFixture(t, s), newFixture(t, s)
	role := a.newRole("Mine")
	must(t, s.CreateRole(ctx(t), role, nil, nil, 0))
	dt := a.newDeliveryToken("mine")
	must(t, s.CreateDeliveryToken(ctx(t), dt, nil, 0))
	mt := a.newManagementToken("mine")
	must(t, s.CreateManagementToken(ctx(t), mt, nil, 0))
	a.alias(t, s, "deploy", "main")
	dev := a.branch(t, s, "development")

	for _, tc := range []struct {
		name string
		call func(t *testing.T, stackUID string) error
	}{
		{"FindEnvironment", func(t *testing.T, st string) error {
			_, err := s.FindEnvironment(ctx(t), st, a.seed.Environment.UID)
			return err
		}},
		{"FindLocale", func(t *testing.T, st string) error { _, err := s.FindLocale(ctx(t), st, a.seed.Locale.UID); return err }},
		{"FindBranch", func(t *testing.T, st string) error { _, err := s.FindBranch(ctx(t), st, dev.UID); return err }},
		{"FindBranchAlias", func(t *testing.T, st string) error { _, err := s.FindBranchAlias(ctx(t), st, "deploy"); return err }},
		{"FindRole", func(t *testing.T, st string) error { _, err := s.FindRole(ctx(t), st, role.UID); return err }},
		{"FindDeliveryToken", func(t *testing.T, st string) error { _, err := s.FindDeliveryToken(ctx(t), st, dt.UID); return err }},
		{"FindManagementToken", func(t *testing.T, st string) error {
			_, err := s.FindManagementToken(ctx(t), st, mt.UID)
			return err
		}},
		{"FindMember", func(t *testing.T, st string) error { _, err := s.FindMember(ctx(t), st, a.owner.UID); return err }},
		{"DeleteEnvironment", func(t *testing.T, st string) error {
			return s.DeleteEnvironment(ctx(t), st, a.seed.Environment.UID)
		}},
		{"DeleteLocale", func(t *testing.T, st string) error { return s.DeleteLocale(ctx(t), st, a.seed.Locale.UID) }},
		{"DeleteBranch", func(t *testing.T, st string) error { return s.DeleteBranch(ctx(t), st, dev.UID) }},
		{"DeleteBranchAlias", func(t *testing.T, st string) error { return s.DeleteBranchAlias(ctx(t), st, "deploy") }},
		{"DeleteRole", func(t *testing.T, st string) error { return s.DeleteRole(ctx(t), st, role.UID) }},
		{"DeleteDeliveryToken", func(t *testing.T, st string) error { return s.DeleteDeliveryToken(ctx(t), st, dt.UID) }},
		{"DeleteManagementToken", func(t *testing.T, st string) error { return s.DeleteManagementToken(ctx(t), st, mt.UID) }},
		{"UpdateEnvironment", func(t *testing.T, st string) error {
			e := a.seed.Environment
			e.StackUID, e.Name = st, "hijacked"
			return s.UpdateEnvironment(ctx(t), &e)
		}},
		{"UpdateLocale", func(t *testing.T, st string) error {
			l := a.seed.Locale
			l.StackUID, l.Name = st, "hijacked"
			return s.UpdateLocale(ctx(t), &l)
		}},
		{"UpdateRole", func(t *testing.T, st string) error {
			r := *role
			r.StackUID, r.Name = st, "hijacked"
			return s.UpdateRole(ctx(t), &r, nil, nil)
		}},
		{"UpdateDeliveryToken", func(t *testing.T, st string) error {
			u := *dt
			u.StackUID, u.Name = st, "hijacked"
			return s.UpdateDeliveryToken(ctx(t), &u, nil)
		}},
		{"SetPreviewToken", func(t *testing.T, st string) error {
			return s.SetPreviewToken(ctx(t), st, dt.UID, sealed("hijack"), "x", now())
		}},
		{"UpdateManagementToken", func(t *testing.T, st string) error {
			u := *mt
			u.StackUID, u.Name = st, "hijacked"
			return s.UpdateManagementToken(ctx(t), &u, nil)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, tc.call(t, b.stack), stackgate.ENOTFOUND, "")
			// The same call is fine within the owning stack (reads) or at
			// least not ENOTFOUND (writes may be refused for other reasons),
			// so the ENOTFOUND above came from the stack, not the uid.
			if tc.name[:4] == "Find" {
				must(t, tc.call(t, a.stack))
			}
		})
	}
	t.Run("Unchanged", func(t *testing.T) {
		got, err := s.FindRole(ctx(t), a.stack, role.UID)
		must(t, err)
		diff(t, "role", role, got)
		gotDT, err := s.FindDeliveryToken(ctx(t), a.stack, dt.UID)
		must(t, err)
		diff(t, "delivery token", dt, gotDT)
		gotMT, err := s.FindManagementToken(ctx(t), a.stack, mt.UID)
		must(t, err)
		diff(t, "management token", mt, gotMT)
		gotEnv, err := s.FindEnvironment(ctx(t), a.stack, a.seed.Environment.UID)
		must(t, err)
		diff(t, "environment", &a.seed.Environment, gotEnv)
		gotLoc, err := s.FindLocale(ctx(t), a.stack, a.seed.Locale.UID)
		must(t, err)
		diff(t, "locale", &a.seed.Locale, gotLoc)
		if _, err := s.FindBranch(ctx(t), a.stack, dev.UID); err != nil {
			t.Error(err)
		}
		if _, err := s.FindBranchAlias(ctx(t), a.stack, "deploy"); err != nil {
			t.Error(err)
		}
	})
}
