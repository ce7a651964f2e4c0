package storetest

import (
	"testing"

	"github.com/stackgate/stackgate"
)

// Reopened writes one of everything through s (a user with a session, a
// stack with its seed, an environment, a locale with a fallback, a branch
// and an alias, a custom role with a member, delivery and management tokens),
// then calls reopen, which closes s and opens the same database again (its
// migrations having nothing left to apply), and reads everything back
// through the reopened store: the migrated schema holds every field.
func Reopened(t *testing.T, s stackgate.Store, reopen func(t *testing.T) stackgate.Store) {
	t.Helper()
	f := newFixture(t, s)
	sess := &stackgate.Session{TokenHash: []byte("reopen-session"), HashKey: "h1", UserUID: f.owner.UID, CreatedAt: now()}
	must(t, s.CreateSession(ctx(t), sess, 20))
	staging := f.environment(t, s, "staging")
	fr := f.locale(t, s, "fr-fr", "en-us")
	dev := f.branch(t, s, "development")
	deploy := f.alias(t, s, "deploy", dev.UID)
	member := newUser(t, s)
	must(t, s.AddMember(ctx(t), f.stack, member.UID, nil))
	role := f.newRole("Editor")
	must(t, s.CreateRole(ctx(t), role, []stackgate.Ref{{Kind: stackgate.RefEnvironment, Value: "production", Field: "rules.environments"}}, []string{member.UID}, 0))
	role.Users = []string{member.UID}
	dt := f.newDeliveryToken("web")
	must(t, s.CreateDeliveryToken(ctx(t), dt, nil, 0))
	preview := sealed("preview")
	at := now()
	must(t, s.SetPreviewToken(ctx(t), f.stack, dt.UID, preview, f.owner.UID, at))
	dt.Preview, dt.UpdatedAt = preview, at
	mt := f.newManagementToken("ci")
	must(t, s.CreateManagementToken(ctx(t), mt, nil, 0))

	r := reopen(t)
	c := ctx(t)
	read := func(what string, want any, got any, err error) {
		t.Helper()
		if err != nil {
			t.Errorf("%s after reopening: %v", what, err)
			return
		}
		diff(t, what+" after reopening", want, got)
	}
	u, err := r.FindUserByUID(c, f.owner.UID)
	read("user", f.owner, u, err)
	gotSess, err := r.FindSession(c, sess.TokenHash)
	read("session", sess, gotSess, err)
	st, err := r.FindStackByAPIKey(c, f.seed.Stack.APIKey)
	read("stack", &f.seed.Stack, st, err)
	n, err := r.CountStacks(c)
	read("stack count", 1, n, err)
	m, err := r.FindMember(c, f.stack, member.UID)
	read("member", &stackgate.Member{StackUID: f.stack, UserUID: member.UID, RoleUIDs: []string{role.UID}}, m, err)
	envs, err := r.ListEnvironments(c, f.stack)
	read("environments", []*stackgate.Environment{&f.seed.Environment, staging}, envs, err)
	locales, err := r.ListLocales(c, f.stack)
	read("locales", []*stackgate.Locale{&f.seed.Locale, fr}, locales, err)
	branches, err := r.ListBranches(c, f.stack)
	read("branches", []*stackgate.Branch{&f.seed.Branch, dev}, branches, err)
	aliases, err := r.ListBranchAliases(c, f.stack)
	read("aliases", []*stackgate.BranchAlias{deploy}, aliases, err)
	gotRole, err := r.FindRole(c, f.stack, role.UID)
	read("role", role, gotRole, err)
	roles, err := r.ListRoles(c, f.stack)
	if err == nil && len(roles) != len(f.seed.Roles)+1 {
		t.Errorf("%d roles after reopening, want %d", len(roles), len(f.seed.Roles)+1)
	}
	gotDT, err := r.FindDeliveryTokenByHash(c, preview.Hash, true)
	read("delivery token by preview hash", dt, gotDT, err)
	gotMT, err := r.FindManagementTokenByHash(c, mt.TokenHash)
	read("management token by hash", mt, gotMT, err)
}
