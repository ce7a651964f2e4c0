package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/stackgate/stackgate"
)

// testLoadStack: LoadStack returns what the List methods return, for that
// stack only, and reads it as one view: while roles are created with a
// holder and deleted again, every load sees each role together with its
// holders' memberships (the reads of one load cannot straddle a write).
func testLoadStack(t *testing.T, s stackgate.Store) {
	f := newFixture(t, s)
	other := newFixture(t, s)
	alice := newUser(t, s)
	must(t, s.AddMember(ctx(t), f.stack, alice.UID, []string{f.seed.Roles[1].UID}))
	f.environment(t, s, "staging")
	f.locale(t, s, "fr-fr", "en-us")
	f.branch(t, s, "develop")
	f.alias(t, s, "live", "develop")
	must(t, s.CreateRole(ctx(t), f.newRole("editor"), nil, []string{alice.UID}, 0))
	must(t, s.CreateDeliveryToken(ctx(t), f.newDeliveryToken("dt"), nil, 0))
	must(t, s.CreateManagementToken(ctx(t), f.newManagementToken("mt"), nil, 0))
	must(t, s.CreateDeliveryToken(ctx(t), other.newDeliveryToken("elsewhere"), nil, 0))

	sub(t, "SameAsLists", func(t *testing.T) {
		got, err := s.LoadStack(ctx(t), f.seed.Stack.APIKey)
		must(t, err)
		want := &stackgate.StackContents{}
		var errs [9]error
		want.Stack, errs[0] = s.FindStackByAPIKey(ctx(t), f.seed.Stack.APIKey)
		want.Environments, errs[1] = s.ListEnvironments(ctx(t), f.stack)
		want.Locales, errs[2] = s.ListLocales(ctx(t), f.stack)
		want.Branches, errs[3] = s.ListBranches(ctx(t), f.stack)
		want.BranchAliases, errs[4] = s.ListBranchAliases(ctx(t), f.stack)
		want.Roles, errs[5] = s.ListRoles(ctx(t), f.stack)
		want.Members, errs[6] = s.ListMembers(ctx(t), f.stack)
		want.DeliveryTokens, errs[7] = s.ListDeliveryTokens(ctx(t), f.stack)
		want.ManagementTokens, errs[8] = s.ListManagementTokens(ctx(t), f.stack)
		for _, err := range errs {
			must(t, err)
		}
		diff(t, "LoadStack", want, got)
		if len(got.Environments) != 2 || len(got.Locales) != 2 || len(got.Branches) != 2 || len(got.BranchAliases) != 1 ||
			len(got.Roles) != 4 || len(got.Members) != 2 || len(got.DeliveryTokens) != 1 || len(got.ManagementTokens) != 1 {
			t.Errorf("LoadStack holds %d environments, %d locales, %d branches, %d aliases, %d roles, %d members, %d delivery and %d management tokens; want 2, 2, 2, 1, 4, 2, 1, 1",
				len(got.Environments), len(got.Locales), len(got.Branches), len(got.BranchAliases), len(got.Roles),
				len(got.Members), len(got.DeliveryTokens), len(got.ManagementTokens))
		}
	})
	sub(t, "Unknown", func(t *testing.T) {
		_, err := s.LoadStack(ctx(t), "bltunknown")
		wantCode(t, err, stackgate.ENOTFOUND, "")
	})
	sub(t, "OneView", func(t *testing.T) {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var writeErr error
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				r := f.newRole(fmt.Sprint("churn", i))
				if err := s.CreateRole(ctx(t), r, nil, []string{alice.UID}, 0); err != nil {
					writeErr = err
					return
				}
				if err := s.DeleteRole(ctx(t), f.stack, r.UID); err != nil {
					writeErr = err
					return
				}
			}
		})
		halt := sync.OnceFunc(func() { close(stop) })
		defer wg.Wait()
		defer halt()
		for range 100 {
			c, err := s.LoadStack(ctx(t), f.seed.Stack.APIKey)
			must(t, err)
			if msg := inconsistent(c); msg != "" {
				t.Fatalf("a load saw a write half: %s", msg)
			}
		}
		halt()
		wg.Wait()
		must(t, writeErr)
	})
}

// inconsistent says how the roles' holders and the members' roles of c
// disagree, if they do.
func inconsistent(c *stackgate.StackContents) string {
	held := map[string][]string{} // role → holders, from members
	for _, m := range c.Members {
		for _, r := range m.RoleUIDs {
			held[r] = append(held[r], m.UserUID)
		}
	}
	for _, r := range c.Roles {
		if got, want := sorted(held[r.UID]...), sorted(r.Users...); !slices.Equal(got, want) {
			return fmt.Sprintf("role %s: held by %v by the members, %v by the role", r.Name, got, want)
		}
		delete(held, r.UID)
	}
	for r, users := range held {
		return fmt.Sprintf("members %v hold role %s, which the load does not have", users, r)
	}
	return ""
}
