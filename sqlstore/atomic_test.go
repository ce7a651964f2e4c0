package sqlstore_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/postgres"
	"github.com/stackgate/stackgate/sqlite"
	"github.com/stackgate/stackgate/sqlstore"
)

// injected is what the nth statement is replaced by: a query of a table
// that does not exist, which both databases refuse when it runs.
const injected = `SELECT * FROM injected_failure`

func sqlStore(t *testing.T, st stackgate.Store) *sqlstore.Store {
	t.Helper()
	switch db := st.(type) {
	case *sqlite.DB:
		return db.Store
	case *postgres.DB:
		return db.Store
	}
	t.Fatalf("%T is not a SQL store", st)
	return nil
}

// world is a stack with two members besides its owner (and carol, who is
// not one), an environment "staging" and two custom roles that name it.
type world struct {
	owner, alice, bob, carol *stackgate.User
	seed                     *stackgate.StackSeed
	staging                  *stackgate.Environment
	roles                    []*stackgate.Role
}

var at = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func user(t *testing.T, st stackgate.Store, name string) *stackgate.User {
	t.Helper()
	u := &stackgate.User{UID: "blt" + name + stackgate.NewUID()[3:10], Email: name + stackgate.NewUID() + "@example.com",
		PasswordHash: "x", OrgUID: "org", CreatedAt: at, UpdatedAt: at}
	must(t, st.CreateUser(t.Context(), u))
	return u
}

func seed(owner *stackgate.User, name string) *stackgate.StackSeed {
	uid := stackgate.NewUID()
	sd := &stackgate.StackSeed{
		Stack:  stackgate.Stack{UID: uid, APIKey: stackgate.NewUID(), Name: name, OrgUID: owner.OrgUID, OwnerUID: owner.UID, MasterLocale: "en-us", CreatedAt: at, UpdatedAt: at},
		Branch: stackgate.Branch{UID: stackgate.MainBranch, StackUID: uid, CreatedAt: at, UpdatedAt: at},
		Locale: stackgate.Locale{UID: stackgate.NewUID(), StackUID: uid, Code: "en-us", Name: "English", Version: 1, CreatedAt: at, UpdatedAt: at},
		Environment: stackgate.Environment{UID: stackgate.NewUID(), StackUID: uid, Name: "production",
			URLs: []stackgate.EnvironmentURL{}, Version: 1, CreatedAt: at, UpdatedAt: at},
	}
	for _, n := range []string{stackgate.RoleAdmin, stackgate.RoleDeveloper, stackgate.RoleContentManager} {
		sd.Roles = append(sd.Roles, stackgate.Role{UID: stackgate.NewUID(), StackUID: uid, Name: n, System: true,
			Rules: []stackgate.Rule{}, CreatedAt: at, UpdatedAt: at})
	}
	sd.Owner = stackgate.Member{StackUID: uid, UserUID: owner.UID, RoleUIDs: []string{sd.Roles[0].UID}}
	return sd
}

func envRole(stackUID, name string, envs ...string) *stackgate.Role {
	yes := true
	return &stackgate.Role{UID: stackgate.NewUID(), StackUID: stackUID, Name: name, CreatedAt: at, UpdatedAt: at,
		Rules: []stackgate.Rule{
			{Module: stackgate.ModuleBranch, Branches: []string{stackgate.MainBranch}, ACL: stackgate.ACL{Read: &yes}},
			{Module: stackgate.ModuleEnvironment, Environments: envs, ACL: stackgate.ACL{Read: &yes}},
		}}
}

func newWorld(t *testing.T, st stackgate.Store) *world {
	t.Helper()
	ctx := t.Context()
	w := &world{owner: user(t, st, "owner"), alice: user(t, st, "alice"), bob: user(t, st, "bob"), carol: user(t, st, "carol")}
	w.seed = seed(w.owner, "S")
	must(t, st.CreateStack(ctx, w.seed))
	must(t, st.AddMember(ctx, w.seed.Stack.UID, w.alice.UID, nil))
	must(t, st.AddMember(ctx, w.seed.Stack.UID, w.bob.UID, nil))
	w.staging = &stackgate.Environment{UID: stackgate.NewUID(), StackUID: w.seed.Stack.UID, Name: "staging",
		URLs: []stackgate.EnvironmentURL{}, Version: 1, CreatedAt: at, UpdatedAt: at}
	must(t, st.CreateEnvironment(ctx, w.staging, 0))
	for _, name := range []string{"first", "second"} {
		r := envRole(w.seed.Stack.UID, name, "production", "staging")
		must(t, st.CreateRole(ctx, r, []stackgate.Ref{{Kind: stackgate.RefEnvironment, Value: "staging"}}, nil, 0))
		w.roles = append(w.roles, r)
	}
	// A delivery token sealed under an old key, for the rekey case.
	must(t, st.CreateDeliveryToken(ctx, &stackgate.DeliveryToken{UID: "bltrekeyme00000", StackUID: w.seed.Stack.UID, Name: "rekey me",
		Scope: []stackgate.ScopeEntry{}, Secret: stackgate.Sealed{Hash: []byte("rekey-hash"), Ciphertext: []byte("old"), KeyID: "k0"},
		Preview: stackgate.Sealed{Hash: []byte("rekey-preview"), Ciphertext: []byte("old p"), KeyID: "k0"}, CreatedAt: at, UpdatedAt: at}, nil, 0))
	must(t, st.PutStackInvitations(ctx, []*stackgate.StackInvitation{{UID: "bltinvitecarol0000", StackUID: w.seed.Stack.UID,
		Email: w.carol.Email, RoleUIDs: []string{w.roles[0].UID, w.roles[1].UID}, InvitedBy: w.owner.UID, CreatedAt: at}}, 0, 0))
	// OAuth: an app alice has authorized, with a code not yet redeemed and a
	// token (with its refresh token) from an earlier one.
	must(t, st.CreateApp(ctx, &stackgate.App{UID: "bltapp000000000000", Name: "app", ClientID: "client", RedirectURIs: []string{"http://localhost:8184"},
		Scopes: []string{"cm.roles.management:read"}, CreatedAt: at}))
	a, err := st.CreateAuthCode(ctx, &stackgate.AuthCode{Hash: []byte("code"), AppUID: "bltapp000000000000", UserUID: w.alice.UID,
		RedirectURI: "http://localhost:8184", Challenge: "c", Scopes: []string{}, ExpiresAt: at.Add(time.Minute)}, at)
	must(t, err)
	must(t, st.CreateOAuthToken(ctx, &stackgate.OAuthToken{AccessHash: []byte("access0"), RefreshHash: []byte("refresh0"), AppUID: "bltapp000000000000",
		AuthorizationUID: a.UID, UserUID: w.alice.UID, FamilyUID: "fam0", Scopes: []string{}, ExpiresAt: at.Add(time.Hour), CreatedAt: at}))
	return w
}

func oauthToken(access, refresh string, w *world) *stackgate.OAuthToken {
	return &stackgate.OAuthToken{AccessHash: []byte(access), RefreshHash: []byte(refresh), AppUID: "bltapp000000000000", UserUID: w.alice.UID,
		Scopes: []string{"cm.roles.management:read"}, ExpiresAt: at.Add(2 * time.Hour), CreatedAt: at.Add(time.Minute)}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestInjectedFailureLeavesNothing: every write use case is one
// transaction. For each case the nth statement of the write is made to fail,
// for n = 1, 2, … until the write succeeds: every failed attempt must leave
// every table exactly as it was and report no change; the successful one
// must change the tables and report its change.
func TestInjectedFailureLeavesNothing(t *testing.T) {
	for _, tc := range []struct {
		name string
		op   func(ctx context.Context, st stackgate.Store, w *world) error
		want func(w *world) []stackgate.Change
		// check, when set, verifies the successful write's effect.
		check func(t *testing.T, st stackgate.Store, w *world)
	}{
		{"UpdateEnvironmentRenamesInRoles", func(ctx context.Context, st stackgate.Store, w *world) error {
			e := *w.staging
			e.Name, e.UpdatedAt = "preview", at.Add(time.Hour)
			return st.UpdateEnvironment(ctx, &e)
		}, stackOf, func(t *testing.T, st stackgate.Store, w *world) {
			for _, r := range w.roles {
				got, err := st.FindRole(t.Context(), w.seed.Stack.UID, r.UID)
				must(t, err)
				if envs := got.Rules[1].Environments; !slices.Equal(envs, []string{"production", "preview"}) {
					t.Errorf("role %s names %v after the rename, want [production preview]", r.Name, envs)
				}
			}
		}},
		{"SetMemberRoles", func(ctx context.Context, st stackgate.Store, w *world) error {
			return st.SetMemberRoles(ctx, w.seed.Stack.UID, map[string][]string{
				w.alice.UID: {w.roles[0].UID, w.seed.Roles[1].UID}, w.bob.UID: {w.roles[1].UID}}, 0)
		}, stackOf, nil},
		{"AddMember", func(ctx context.Context, st stackgate.Store, w *world) error {
			return st.AddMember(ctx, w.seed.Stack.UID, w.carol.UID, []string{w.roles[0].UID, w.roles[1].UID})
		}, stackOf, nil},
		{"CreateStack", func(ctx context.Context, st stackgate.Store, w *world) error {
			sd := seed(w.owner, "T")
			sd.Stack.UID, sd.Stack.APIKey = "bltnewstack0000000", "bltnewkey000000000"
			for _, x := range []*string{&sd.Branch.StackUID, &sd.Locale.StackUID, &sd.Environment.StackUID, &sd.Owner.StackUID} {
				*x = sd.Stack.UID
			}
			for i := range sd.Roles {
				sd.Roles[i].UID = fmt.Sprintf("bltnewrole%08d", i)
			}
			sd.Owner.RoleUIDs = []string{sd.Roles[0].UID}
			sd.Locale.UID, sd.Environment.UID = "bltnewlocale000000", "bltnewenv000000000"
			return st.CreateStack(ctx, sd)
		}, func(*world) []stackgate.Change { return []stackgate.Change{{StackUID: "bltnewstack0000000"}} }, nil},
		{"CreateRoleWithHoldersAndRefs", func(ctx context.Context, st stackgate.Store, w *world) error {
			r := envRole(w.seed.Stack.UID, "third", "staging")
			r.UID = "bltthirdrole000000"
			return st.CreateRole(ctx, r, []stackgate.Ref{{Kind: stackgate.RefEnvironment, Value: "staging"},
				{Kind: stackgate.RefBranch, Value: stackgate.MainBranch}}, []string{w.alice.UID, w.bob.UID}, 0)
		}, stackOf, nil},
		{"UpdateRoleWithHolders", func(ctx context.Context, st stackgate.Store, w *world) error {
			r := *w.roles[0]
			r.Name = "first renamed"
			return st.UpdateRole(ctx, &r, []stackgate.Ref{{Kind: stackgate.RefEnvironment, Value: "production"}}, []string{w.alice.UID, w.bob.UID})
		}, stackOf, nil},
		{"DeleteRole", func(ctx context.Context, st stackgate.Store, w *world) error {
			return st.DeleteRole(ctx, w.seed.Stack.UID, w.roles[1].UID)
		}, stackOf, nil},
		{"CreateDeliveryTokenWithRefs", func(ctx context.Context, st stackgate.Store, w *world) error {
			yes := true
			dt := &stackgate.DeliveryToken{UID: "bltdt0000000000000", StackUID: w.seed.Stack.UID, Name: "dt",
				Scope:  []stackgate.ScopeEntry{{Module: stackgate.ModuleEnvironment, Environments: []string{w.staging.UID}, ACL: stackgate.ACL{Read: &yes}}},
				Secret: stackgate.Sealed{Hash: []byte("h"), Ciphertext: []byte("c"), KeyID: "k"}, CreatedAt: at, UpdatedAt: at}
			return st.CreateDeliveryToken(ctx, dt, []stackgate.Ref{{Kind: stackgate.RefEnvironment, Value: w.staging.UID},
				{Kind: stackgate.RefBranch, Value: stackgate.MainBranch}}, 0)
		}, stackOf, nil},
		{"AcceptStackInvitation", func(ctx context.Context, st stackgate.Store, w *world) error {
			_, err := st.AcceptStackInvitation(ctx, "bltinvitecarol0000", w.carol.Email, w.carol.UID, 0)
			return err
		}, stackOf, nil},
		{"RemoveMember", func(ctx context.Context, st stackgate.Store, w *world) error {
			return st.RemoveMember(ctx, w.seed.Stack.UID, w.alice.Email)
		}, stackOf, func(t *testing.T, st stackgate.Store, w *world) {
			if _, err := st.FindMember(t.Context(), w.seed.Stack.UID, w.alice.UID); !stackgate.IsCode(err, stackgate.ENOTFOUND) {
				t.Errorf("alice is still a member: %v", err)
			}
		}},
		{"RemoveMemberWithdrawsInvitation", func(ctx context.Context, st stackgate.Store, w *world) error {
			return st.RemoveMember(ctx, w.seed.Stack.UID, w.carol.Email)
		}, noChange, nil},
		{"SetPassword", func(ctx context.Context, st stackgate.Store, w *world) error {
			return st.SetPassword(ctx, w.alice.UID, "new hash", at.Add(time.Hour))
		}, func(w *world) []stackgate.Change { return []stackgate.Change{{UserUID: w.alice.UID}} }, nil},
		{"DeleteUser", func(ctx context.Context, st stackgate.Store, w *world) error {
			return st.DeleteUser(ctx, w.alice.UID)
		}, func(w *world) []stackgate.Change {
			return []stackgate.Change{{StackUID: w.seed.Stack.UID}, {UserUID: w.alice.UID}}
		}, nil},
		{"RekeyDeliveryTokens", func(ctx context.Context, st stackgate.Store, w *world) error {
			n, err := st.RekeyDeliveryTokens(ctx, "k1", "h0", 10, func(v stackgate.Sealed) (stackgate.Sealed, error) {
				return stackgate.Sealed{Hash: v.Hash, Ciphertext: append([]byte("new "), v.Ciphertext...), KeyID: "k1"}, nil
			})
			if err == nil && n != 1 {
				err = fmt.Errorf("re-sealed %d tokens, want 1", n)
			}
			return err
		}, stackOf, nil},
		{"CreateAuthCodeNewAuthorization", func(ctx context.Context, st stackgate.Store, w *world) error {
			_, err := st.CreateAuthCode(ctx, &stackgate.AuthCode{Hash: []byte("bob's code"), AppUID: "bltapp000000000000", UserUID: w.bob.UID,
				RedirectURI: "http://localhost:8184", Challenge: "c", Scopes: []string{}, ExpiresAt: at.Add(2 * time.Minute)}, at.Add(time.Minute))
			return err
		}, noChange, nil},
		{"RedeemAuthCode", func(ctx context.Context, st stackgate.Store, w *world) error {
			c, err := st.FindAuthCode(ctx, []byte("code"))
			if err != nil {
				return err
			}
			tok := oauthToken("access1", "refresh1", w)
			tok.AuthorizationUID = c.AuthorizationUID
			return st.RedeemAuthCode(ctx, []byte("code"), at.Add(time.Second), tok)
		}, noChange, nil},
		{"RotateRefreshToken", func(ctx context.Context, st stackgate.Store, w *world) error {
			old, err := st.FindOAuthTokenByRefresh(ctx, []byte("refresh0"))
			if err != nil {
				return err
			}
			tok := oauthToken("access2", "refresh2", w)
			tok.AuthorizationUID = old.AuthorizationUID
			return st.RotateRefreshToken(ctx, []byte("refresh0"), tok)
		}, noChange, nil},
		{"RevokeOAuthFamily", func(ctx context.Context, st stackgate.Store, w *world) error {
			return st.RevokeOAuthFamily(ctx, "fam0")
		}, func(w *world) []stackgate.Change { return []stackgate.Change{{UserUID: w.alice.UID}} }, func(t *testing.T, st stackgate.Store, w *world) {
			if _, err := st.FindOAuthToken(t.Context(), []byte("access0")); !stackgate.IsCode(err, stackgate.ENOTFOUND) {
				t.Errorf("the family's token is still there: %v", err)
			}
		}},
		{"CreateSessionPruning", func(ctx context.Context, st stackgate.Store, w *world) error {
			return st.CreateSession(ctx, &stackgate.Session{TokenHash: []byte("new session"), UserUID: w.alice.UID, CreatedAt: at.Add(time.Hour)}, 1)
		}, func(w *world) []stackgate.Change { return []stackgate.Change{{UserUID: w.alice.UID}} }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, open testdb.Opener) {
				st := open(t)
				ctx := t.Context()
				w := newWorld(t, st)
				// Two older sessions, for the pruning case.
				for i := range 2 {
					must(t, st.CreateSession(ctx, &stackgate.Session{TokenHash: fmt.Appendf(nil, "old %d", i), UserUID: w.alice.UID, CreatedAt: at}, 0))
				}
				sq := sqlStore(t, st)
				var mu sync.Mutex
				var heard []stackgate.Change
				st.OnCommit(func(c stackgate.Change) { mu.Lock(); heard = append(heard, c); mu.Unlock() })
				take := func() []stackgate.Change {
					mu.Lock()
					defer mu.Unlock()
					out := append([]stackgate.Change{}, heard...)
					heard = nil
					return out
				}
				before, err := sqlstore.Dump(ctx, sq)
				must(t, err)
				take()
				for n := 1; ; n++ {
					if n > 200 {
						t.Fatal("the write never succeeded")
					}
					seen := 0
					sqlstore.SetFault(sq, func(q string) string {
						if seen++; seen == n {
							return injected
						}
						return q
					})
					err := tc.op(ctx, st, w)
					sqlstore.SetFault(sq, nil)
					after, derr := sqlstore.Dump(ctx, sq)
					must(t, derr)
					changes := take()
					if seen < n { // the write made fewer than n statements: it ran whole
						if err != nil {
							t.Fatalf("with no statement failing: %v", err)
						}
						if cmp.Equal(before, after) {
							t.Fatal("the successful write changed nothing")
						}
						if d := cmp.Diff(tc.want(w), changes); d != "" {
							t.Errorf("changes of the successful write (-want +got):\n%s", d)
						}
						if n < 3 {
							t.Fatalf("the write made only %d statements: the injection is not reaching it", n-1)
						}
						if tc.check != nil {
							tc.check(t, st, w)
						}
						t.Logf("%d statements, each failure left nothing", n-1)
						return
					}
					if err == nil {
						t.Fatalf("statement %d failed but the write succeeded", n)
					}
					if d := cmp.Diff(before, after); d != "" {
						t.Fatalf("statement %d failed (%v) and left a half-written write (-before +after):\n%s", n, err, d)
					}
					if len(changes) != 0 {
						t.Fatalf("statement %d failed and the write reported %v", n, changes)
					}
				}
			})
		})
	}
}

func stackOf(w *world) []stackgate.Change { return []stackgate.Change{{StackUID: w.seed.Stack.UID}} }

func noChange(*world) []stackgate.Change { return []stackgate.Change{} }
