// Package storetest is the conformance suite every stackgate.Store must
// pass. A backend's test calls Run with a constructor of fresh, empty stores.
package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stackgate/stackgate"
)

// Run runs every conformance test as a subtest; each gets its own store from
// newStore, which should register its cleanup with t.Cleanup.
func Run(t *testing.T, newStore func(t *testing.T) stackgate.Store) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, s stackgate.Store)
	}{
		{"Users", testUsers},
		{"Sessions", testSessions},
		{"SessionList", testSessionList},
		{"Stacks", testStacks},
		{"Members", testMembers},
		{"Invitations", testInvitations},
		{"UsersPerRole", testUsersPerRole},
		{"Environments", testEnvironments},
		{"Locales", testLocales},
		{"Branches", testBranches},
		{"BranchAliases", testBranchAliases},
		{"Roles", testRoles},
		{"DeliveryTokens", testDeliveryTokens},
		{"ManagementTokens", testManagementTokens},
		{"TokenLimits", testTokenLimits},
		{"ExpiryNotices", testExpiryNotices},
		{"Refs", testRefs},
		{"Isolation", testIsolation},
		{"Concurrency", testConcurrency},
		{"StackLimits", testStackLimits},
		{"Changes", testChanges},
		{"LoadStack", testLoadStack},
		{"EnvironmentRename", testEnvironmentRename},
		{"Audit", testAudit},
		{"Rotation", testRotation},
		{"LastUse", testLastUse},
		{"Keys", testKeys},
		{"HMACKeys", testHMACKeys},
		{"Admin", testAdmin},
		{"OAuth", testOAuth},
		{"Webhooks", testWebhooks},
		{"TokenWebhooks", testTokenWebhooks},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

// sub runs fn as a subtest against s; subtests of one group share the store.
func sub(t *testing.T, name string, fn func(t *testing.T)) { t.Helper(); t.Run(name, fn) }

// clock hands out increasing millisecond timestamps, so that stored times
// compare equal after a round trip and creation order is unambiguous.
var clock = struct {
	sync.Mutex
	t time.Time
}{t: time.Date(2025, 1, 2, 3, 4, 5, 6e6, time.UTC)}

func now() time.Time {
	clock.Lock()
	defer clock.Unlock()
	clock.t = clock.t.Add(time.Millisecond)
	return clock.t
}

func ctx(t *testing.T) context.Context { return t.Context() }

// wantCode fails unless err has code and, when field is not empty, names field.
func wantCode(t *testing.T, err error, code stackgate.Code, field string) {
	t.Helper()
	if !stackgate.IsCode(err, code) {
		t.Fatalf("err = %v, want code %s", err, code)
	}
	if field == "" {
		return
	}
	e := err.(*stackgate.Error)
	if _, ok := e.Fields[field]; !ok {
		t.Fatalf("err = %v, want errors.%s", err, field)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func diff(t *testing.T, what string, want, got any) {
	t.Helper()
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

func newUser(t *testing.T, s stackgate.Store) *stackgate.User {
	t.Helper()
	at := now()
	u := &stackgate.User{UID: stackgate.NewUID(), Email: fmt.Sprintf("%s@example.com", stackgate.NewUID()),
		FirstName: "Ada", LastName: "Lovelace", Username: "ada", OrgUID: "org1", PasswordHash: "$argon2id$x",
		CreatedAt: at, UpdatedAt: at}
	must(t, s.CreateUser(ctx(t), u))
	return u
}

// newStack creates a stack as the service does: branch main, locale en-us,
// environment production, the three system roles, owner holding Admin.
func newStack(t *testing.T, s stackgate.Store, owner *stackgate.User, name string) *stackgate.StackSeed {
	t.Helper()
	seed := newStackSeed(owner, name)
	must(t, s.CreateStack(ctx(t), seed))
	return seed
}

func newStackSeed(owner *stackgate.User, name string) *stackgate.StackSeed {
	at := now()
	st := stackgate.Stack{UID: stackgate.NewUID(), APIKey: stackgate.NewUID(), Name: name, Description: "d",
		OrgUID: owner.OrgUID, OwnerUID: owner.UID, MasterLocale: "en-us", CreatedAt: at, UpdatedAt: at}
	seed := &stackgate.StackSeed{
		Stack:  st,
		Branch: stackgate.Branch{UID: stackgate.MainBranch, StackUID: st.UID, CreatedBy: owner.UID, UpdatedBy: owner.UID, CreatedAt: at, UpdatedAt: at},
		Locale: stackgate.Locale{UID: stackgate.NewUID(), StackUID: st.UID, Code: "en-us", Name: "English - United States",
			Version: 1, CreatedBy: owner.UID, UpdatedBy: owner.UID, CreatedAt: at, UpdatedAt: at},
		Environment: stackgate.Environment{UID: stackgate.NewUID(), StackUID: st.UID, Name: "production",
			URLs: []stackgate.EnvironmentURL{}, Version: 1, CreatedBy: owner.UID, UpdatedBy: owner.UID, CreatedAt: at, UpdatedAt: at},
	}
	for _, n := range []string{stackgate.RoleAdmin, stackgate.RoleDeveloper, stackgate.RoleContentManager} {
		desc := stackgate.SystemRoleDescriptions[n]
		seed.Roles = append(seed.Roles, stackgate.Role{UID: stackgate.NewUID(), StackUID: st.UID, Name: n,
			Description: &desc, System: true, Rules: []stackgate.Rule{}, Users: []string{},
			CreatedBy: owner.UID, UpdatedBy: owner.UID, CreatedAt: at, UpdatedAt: at})
	}
	seed.Owner = stackgate.Member{StackUID: st.UID, UserUID: owner.UID, RoleUIDs: []string{seed.Roles[0].UID}}
	return seed
}

// fixture is a stack with its owner, ready for stack-scoped tests.
type fixture struct {
	owner *stackgate.User
	seed  *stackgate.StackSeed
	stack string // uid
}

func newFixture(t *testing.T, s stackgate.Store) *fixture {
	t.Helper()
	owner := newUser(t, s)
	seed := newStack(t, s, owner, "stack "+stackgate.NewUID())
	return &fixture{owner: owner, seed: seed, stack: seed.Stack.UID}
}

func (f *fixture) environment(t *testing.T, s stackgate.Store, name string) *stackgate.Environment {
	t.Helper()
	at := now()
	e := &stackgate.Environment{UID: stackgate.NewUID(), StackUID: f.stack, Name: name,
		URLs:    []stackgate.EnvironmentURL{{URL: "https://" + name + ".example.com", Locale: "en-us"}},
		Version: 1, CreatedBy: f.owner.UID, UpdatedBy: f.owner.UID, CreatedAt: at, UpdatedAt: at}
	must(t, s.CreateEnvironment(ctx(t), e, 0))
	return e
}

func (f *fixture) locale(t *testing.T, s stackgate.Store, code, fallback string) *stackgate.Locale {
	t.Helper()
	at := now()
	l := &stackgate.Locale{UID: stackgate.NewUID(), StackUID: f.stack, Code: code, Name: code, FallbackLocale: fallback,
		Version: 1, CreatedBy: f.owner.UID, UpdatedBy: f.owner.UID, CreatedAt: at, UpdatedAt: at}
	must(t, s.CreateLocale(ctx(t), l, 0))
	return l
}

func (f *fixture) branch(t *testing.T, s stackgate.Store, uid string) *stackgate.Branch {
	t.Helper()
	at := now()
	b := &stackgate.Branch{UID: uid, StackUID: f.stack, Source: stackgate.MainBranch,
		CreatedBy: f.owner.UID, UpdatedBy: f.owner.UID, CreatedAt: at, UpdatedAt: at}
	must(t, s.CreateBranch(ctx(t), b, 0))
	return b
}

func (f *fixture) alias(t *testing.T, s stackgate.Store, uid, target string) *stackgate.BranchAlias {
	t.Helper()
	at := now()
	a := &stackgate.BranchAlias{UID: uid, StackUID: f.stack, TargetBranch: target,
		CreatedBy: f.owner.UID, UpdatedBy: f.owner.UID, CreatedAt: at, UpdatedAt: at}
	must(t, s.PutBranchAlias(ctx(t), a, 0))
	return a
}

func (f *fixture) newRole(name string) *stackgate.Role {
	at := now()
	desc := "role " + name
	yes := true
	return &stackgate.Role{UID: stackgate.NewUID(), StackUID: f.stack, Name: name, Description: &desc,
		Rules: []stackgate.Rule{
			{Module: stackgate.ModuleBranch, Branches: []string{"main"}, ACL: stackgate.ACL{Read: &yes}},
			{Module: stackgate.ModuleEnvironment, Environments: []string{"production"}, ACL: stackgate.ACL{Read: &yes}},
			{Module: stackgate.ModuleContentType, ContentTypes: []string{stackgate.Wildcard},
				ACL: stackgate.ACL{Read: &yes, SubACL: &stackgate.ACL{Read: &yes}}},
		},
		Users: []string{}, CreatedBy: f.owner.UID, UpdatedBy: f.owner.UID, CreatedAt: at, UpdatedAt: at}
}

func (f *fixture) newDeliveryToken(name string) *stackgate.DeliveryToken {
	at := now()
	yes := true
	return &stackgate.DeliveryToken{UID: stackgate.NewUID(), StackUID: f.stack, Name: name, Description: "dt " + name,
		Scope: []stackgate.ScopeEntry{
			{Module: stackgate.ModuleEnvironment, Environments: []string{f.seed.Environment.UID}, ACL: stackgate.ACL{Read: &yes}, MetadataUID: stackgate.NewMetadataUID()},
			{Module: stackgate.ModuleBranch, Branches: []string{"main"}, ACL: stackgate.ACL{Read: &yes}, MetadataUID: stackgate.NewMetadataUID()},
		},
		Secret:    sealed("dt-" + name),
		CreatedBy: f.owner.UID, UpdatedBy: f.owner.UID, CreatedAt: at, UpdatedAt: at}
}

func (f *fixture) newManagementToken(name string) *stackgate.ManagementToken {
	at := now()
	yes := true
	exp := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	return &stackgate.ManagementToken{UID: stackgate.NewUID(), StackUID: f.stack, Name: name, Description: "mt " + name,
		Scope: []stackgate.ScopeEntry{
			{Module: stackgate.ModuleContentType, ACL: stackgate.ACL{Read: &yes, Write: &yes}, MetadataUID: stackgate.NewMetadataUID()},
			{Module: stackgate.ModuleBranch, Branches: []string{"main"}, ACL: stackgate.ACL{Read: &yes}},
		},
		ExpiresOn: &exp, EmailNotification: true, TokenHash: []byte("mt-hash-" + name + stackgate.NewUID()), HashKey: "h0",
		CreatedBy: f.owner.UID, UpdatedBy: f.owner.UID, CreatedAt: at, UpdatedAt: at}
}

// sealed returns a distinct, non-zero secret derived from label.
func sealed(label string) stackgate.Sealed {
	u := stackgate.NewUID()
	return stackgate.Sealed{Hash: []byte("hash-" + label + u), HashKey: "h0", Ciphertext: []byte("cipher-" + label + u), KeyID: "k1"}
}

// names returns the names of v's elements, for order checks.
func uids[T any](v []*T, uid func(*T) string) []string {
	out := []string{}
	for _, x := range v {
		out = append(out, uid(x))
	}
	return out
}

func sorted(s ...string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
