package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/stackgate/stackgate"
)

// recorder is an OnCommit hook that keeps what it is told.
type recorder struct {
	mu      sync.Mutex
	changes []stackgate.Change
}

func record(s stackgate.Store) *recorder {
	r := &recorder{}
	s.OnCommit(func(c stackgate.Change) {
		r.mu.Lock()
		r.changes = append(r.changes, c)
		r.mu.Unlock()
	})
	return r
}

// take returns what was recorded since the last take, never nil.
func (r *recorder) take() []stackgate.Change {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := append([]stackgate.Change{}, r.changes...)
	r.changes = nil
	return out
}

// testChanges checks every write method's "Changes:" contract (store.go):
// the OnCommit hook hears exactly the documented changes, each once, before
// the method returns; a write that fails, and any read, reports nothing.
func testChanges(t *testing.T, s stackgate.Store) {
	rec := record(s)
	f := newFixture(t, s)
	stack := []stackgate.Change{{StackUID: f.stack}}
	none := []stackgate.Change{}
	user := func(u *stackgate.User) []stackgate.Change { return []stackgate.Change{{UserUID: u.UID}} }
	dev := f.seed.Roles[1].UID
	member := newUser(t, s)
	must(t, s.AddMember(ctx(t), f.stack, member.UID, nil))
	env := f.environment(t, s, "staging")
	loc := f.locale(t, s, "fr-fr", "")
	f.branch(t, s, "develop")
	f.alias(t, s, "live", "develop")
	role := f.newRole("editor")
	must(t, s.CreateRole(ctx(t), role, nil, nil, 0))
	dt := f.newDeliveryToken("dt")
	must(t, s.CreateDeliveryToken(ctx(t), dt, []stackgate.Ref{{Kind: stackgate.RefEnvironment, Value: f.seed.Environment.UID}}, 0))
	mt := f.newManagementToken("mt")
	must(t, s.CreateManagementToken(ctx(t), mt, nil, 0))
	sess := &stackgate.Session{TokenHash: []byte("session-" + stackgate.NewUID()), UserUID: member.UID, CreatedAt: now()}
	must(t, s.CreateSession(ctx(t), sess, 0))
	seed := newStackSeed(f.owner, "changes new stack")
	stored, err := s.FindManagementToken(ctx(t), f.stack, mt.UID)
	must(t, err)
	notice := stackgate.NoticeKey{TokenUID: mt.UID, ExpiresOn: *stored.ExpiresOn, Generation: stored.NotifyGeneration, Kind: stackgate.NoticeWeek}
	t0 := time.Date(2029, 12, 25, 9, 0, 0, 0, time.UTC)

	invite := func(email string) *stackgate.StackInvitation {
		return &stackgate.StackInvitation{UID: stackgate.NewUID(), StackUID: f.stack, Email: email,
			RoleUIDs: []string{dev}, InvitedBy: f.owner.UID, CreatedAt: now()}
	}
	invitee := newUser(t, s)
	invited, declined := invite(invitee.Email), invite("declined@example.com")
	must(t, s.PutStackInvitations(ctx(t), []*stackgate.StackInvitation{invited, declined, invite("withdrawn@example.com")}, 0, 0))
	unshared := newUser(t, s)
	must(t, s.AddMember(ctx(t), f.stack, unshared.UID, []string{dev}))

	leaver := newUser(t, s)
	must(t, s.AddMember(ctx(t), f.stack, leaver.UID, nil))
	stale := f.newDeliveryToken("sealed under an old key")
	stale.Secret.KeyID = "k-old"
	must(t, s.CreateDeliveryToken(ctx(t), stale, nil, 0))
	reseal := func(v stackgate.Sealed) (stackgate.Sealed, error) { v.KeyID = "k1"; return v, nil }
	// OAuth (oauth.go): an app, a consent with a code, a token.
	app := newApp("changes app", "")
	must(t, s.CreateApp(ctx(t), app))
	code := newCode(app, member, now())
	consent, err := s.CreateAuthCode(ctx(t), code, now())
	must(t, err)
	tok := newToken(app, member.UID, consent.UID, now())
	tok.FamilyUID = "fam-" + stackgate.NewUID()

	type row struct {
		name string
		op   func(t *testing.T) error
		want []stackgate.Change
		fail bool // the write is refused: it must report nothing
	}
	rows := []row{
		// Users and sessions.
		{"CreateUser", func(t *testing.T) error {
			at := now()
			return s.CreateUser(ctx(t), &stackgate.User{UID: stackgate.NewUID(), Email: stackgate.NewUID() + "@example.com",
				PasswordHash: "x", CreatedAt: at, UpdatedAt: at})
		}, none, false},
		{"CreateUserEmailTaken", func(t *testing.T) error {
			at := now()
			return s.CreateUser(ctx(t), &stackgate.User{UID: stackgate.NewUID(), Email: member.Email, PasswordHash: "x", CreatedAt: at, UpdatedAt: at})
		}, none, true},
		{"SetLoginFailures", func(t *testing.T) error {
			return s.SetLoginFailures(ctx(t), member.UID, 2, time.Time{})
		}, none, false},
		{"ReserveLoginAttempt", func(t *testing.T) error {
			_, err := s.ReserveLoginAttempt(ctx(t), member.UID, now(), stackgate.LoginPolicy{Free: 100, Base: time.Second, Max: time.Minute, Forget: time.Hour})
			return err
		}, none, false},
		{"CreateSession", func(t *testing.T) error {
			return s.CreateSession(ctx(t), &stackgate.Session{TokenHash: []byte("s-" + stackgate.NewUID()), UserUID: f.owner.UID, CreatedAt: now()}, 1)
		}, user(f.owner), false},
		{"CreateSessionPrunes", func(t *testing.T) error { // inserts one, deletes the older: one change
			return s.CreateSession(ctx(t), &stackgate.Session{TokenHash: []byte("s-" + stackgate.NewUID()), UserUID: f.owner.UID, CreatedAt: now()}, 1)
		}, user(f.owner), false},
		{"CreateSessionUnknownUser", func(t *testing.T) error {
			return s.CreateSession(ctx(t), &stackgate.Session{TokenHash: []byte("s-" + stackgate.NewUID()), UserUID: "bltghost", CreatedAt: now()}, 0)
		}, none, true},
		{"DeleteSession", func(t *testing.T) error { return s.DeleteSession(ctx(t), member.UID, sess.TokenHash) }, user(member), false},
		// Already gone (ended elsewhere): still the user's change, so that a
		// node that cached the session forgets it at once (Logout).
		{"DeleteSessionMissing", func(t *testing.T) error { return s.DeleteSession(ctx(t), member.UID, sess.TokenHash) }, user(member), false},

		// Stacks and members.
		{"CreateStack", func(t *testing.T) error { return s.CreateStack(ctx(t), seed) },
			[]stackgate.Change{{StackUID: seed.Stack.UID}}, false},
		{"CreateStackNameTaken", func(t *testing.T) error {
			return s.CreateStack(ctx(t), newStackSeed(f.owner, "changes new stack"))
		}, none, true},
		{"AddMember", func(t *testing.T) error { return s.AddMember(ctx(t), f.stack, member.UID, []string{dev}) }, stack, false},
		{"AddMemberUnknownUser", func(t *testing.T) error { return s.AddMember(ctx(t), f.stack, "bltghost", nil) }, none, true},
		{"AddMemberUnknownStack", func(t *testing.T) error { return s.AddMember(ctx(t), "bltmissing", member.UID, nil) }, none, true},
		{"SetMemberRoles", func(t *testing.T) error {
			return s.SetMemberRoles(ctx(t), f.stack, map[string][]string{member.UID: {dev}, f.owner.UID: {f.seed.Roles[0].UID}}, 0)
		}, stack, false},
		{"SetMemberRolesNotMember", func(t *testing.T) error {
			return s.SetMemberRoles(ctx(t), f.stack, map[string][]string{member.UID: {dev}, "bltghost": {dev}}, 0)
		}, none, true},

		// Unshare: a member leaving is the stack's change; an invitation
		// withdrawn alone is none; the owner and strangers are refused.
		{"RemoveMember", func(t *testing.T) error { return s.RemoveMember(ctx(t), f.stack, unshared.Email) }, stack, false},
		{"RemoveMemberInvitedOnly", func(t *testing.T) error { return s.RemoveMember(ctx(t), f.stack, "withdrawn@example.com") }, none, false},
		{"RemoveMemberOwner", func(t *testing.T) error { return s.RemoveMember(ctx(t), f.stack, f.owner.Email) }, none, true},
		{"RemoveMemberNotMember", func(t *testing.T) error { return s.RemoveMember(ctx(t), f.stack, unshared.Email) }, none, true},

		// Invitations.
		{"PutStackInvitations", func(t *testing.T) error {
			return s.PutStackInvitations(ctx(t), []*stackgate.StackInvitation{invite("x@example.com"), invite("y@example.com")}, 0, 0)
		}, none, false},
		{"PutStackInvitationsForeignRole", func(t *testing.T) error {
			inv := invite("z@example.com")
			inv.RoleUIDs = []string{"bltforeign"}
			return s.PutStackInvitations(ctx(t), []*stackgate.StackInvitation{inv}, 0, 0)
		}, none, true},
		{"AcceptStackInvitation", func(t *testing.T) error {
			_, err := s.AcceptStackInvitation(ctx(t), invited.UID, invitee.Email, invitee.UID, 0)
			return err
		}, stack, false},
		{"AcceptStackInvitationMissing", func(t *testing.T) error {
			_, err := s.AcceptStackInvitation(ctx(t), invited.UID, invitee.Email, invitee.UID, 0)
			return err
		}, none, true},
		{"DeleteStackInvitation", func(t *testing.T) error { return s.DeleteStackInvitation(ctx(t), declined.UID, declined.Email) }, none, false},
		{"DeleteStackInvitationMissing", func(t *testing.T) error { return s.DeleteStackInvitation(ctx(t), declined.UID, declined.Email) }, none, true},

		// Environments and locales.
		{"CreateEnvironment", func(t *testing.T) error {
			at := now()
			return s.CreateEnvironment(ctx(t), &stackgate.Environment{UID: stackgate.NewUID(), StackUID: f.stack, Name: "qa",
				URLs: []stackgate.EnvironmentURL{}, Version: 1, CreatedAt: at, UpdatedAt: at}, 0)
		}, stack, false},
		{"CreateEnvironmentNameTaken", func(t *testing.T) error {
			at := now()
			return s.CreateEnvironment(ctx(t), &stackgate.Environment{UID: stackgate.NewUID(), StackUID: f.stack, Name: "qa",
				URLs: []stackgate.EnvironmentURL{}, Version: 1, CreatedAt: at, UpdatedAt: at}, 0)
		}, none, true},
		{"CreateEnvironmentOverLimit", func(t *testing.T) error {
			at := now()
			return s.CreateEnvironment(ctx(t), &stackgate.Environment{UID: stackgate.NewUID(), StackUID: f.stack, Name: "qa2",
				URLs: []stackgate.EnvironmentURL{}, Version: 1, CreatedAt: at, UpdatedAt: at}, 1)
		}, none, true},
		{"UpdateEnvironment", func(t *testing.T) error {
			e := *env
			e.Name, e.UpdatedAt = "staging2", now()
			return s.UpdateEnvironment(ctx(t), &e)
		}, stack, false},
		{"UpdateEnvironmentMissing", func(t *testing.T) error {
			e := *env
			e.UID = "bltmissing"
			return s.UpdateEnvironment(ctx(t), &e)
		}, none, true},
		{"DeleteEnvironment", func(t *testing.T) error { return s.DeleteEnvironment(ctx(t), f.stack, env.UID) }, stack, false},
		{"DeleteEnvironmentReferenced", func(t *testing.T) error {
			// dt's scope references production.
			return s.DeleteEnvironment(ctx(t), f.stack, f.seed.Environment.UID)
		}, none, true},
		{"CreateLocale", func(t *testing.T) error {
			at := now()
			return s.CreateLocale(ctx(t), &stackgate.Locale{UID: stackgate.NewUID(), StackUID: f.stack, Code: "de-de", Name: "de",
				Version: 1, CreatedAt: at, UpdatedAt: at}, 0)
		}, stack, false},
		{"CreateLocaleBadFallback", func(t *testing.T) error {
			at := now()
			return s.CreateLocale(ctx(t), &stackgate.Locale{UID: stackgate.NewUID(), StackUID: f.stack, Code: "it-it", Name: "it",
				FallbackLocale: "xx-xx", Version: 1, CreatedAt: at, UpdatedAt: at}, 0)
		}, none, true},
		{"UpdateLocale", func(t *testing.T) error {
			l := *loc
			l.Name, l.UpdatedAt = "French", now()
			return s.UpdateLocale(ctx(t), &l)
		}, stack, false},
		{"DeleteLocale", func(t *testing.T) error { return s.DeleteLocale(ctx(t), f.stack, loc.UID) }, stack, false},
		{"DeleteLocaleMissing", func(t *testing.T) error { return s.DeleteLocale(ctx(t), f.stack, loc.UID) }, none, true},

		// Branches and aliases.
		{"CreateBranch", func(t *testing.T) error {
			at := now()
			return s.CreateBranch(ctx(t), &stackgate.Branch{UID: "feature", StackUID: f.stack, Source: stackgate.MainBranch, CreatedAt: at, UpdatedAt: at}, 0)
		}, stack, false},
		{"CreateBranchTaken", func(t *testing.T) error {
			at := now()
			return s.CreateBranch(ctx(t), &stackgate.Branch{UID: "feature", StackUID: f.stack, Source: stackgate.MainBranch, CreatedAt: at, UpdatedAt: at}, 0)
		}, none, true},
		{"PutBranchAlias", func(t *testing.T) error {
			at := now()
			return s.PutBranchAlias(ctx(t), &stackgate.BranchAlias{UID: "live", StackUID: f.stack, TargetBranch: "feature", CreatedAt: at, UpdatedAt: at}, 0)
		}, stack, false},
		{"PutBranchAliasNoTarget", func(t *testing.T) error {
			at := now()
			return s.PutBranchAlias(ctx(t), &stackgate.BranchAlias{UID: "live", StackUID: f.stack, TargetBranch: "nowhere", CreatedAt: at, UpdatedAt: at}, 0)
		}, none, true},
		{"DeleteBranchAlias", func(t *testing.T) error { return s.DeleteBranchAlias(ctx(t), f.stack, "live") }, stack, false},
		{"DeleteBranch", func(t *testing.T) error { return s.DeleteBranch(ctx(t), f.stack, "develop") }, stack, false},
		{"DeleteBranchMain", func(t *testing.T) error { return s.DeleteBranch(ctx(t), f.stack, stackgate.MainBranch) }, none, true},

		// Roles.
		{"CreateRole", func(t *testing.T) error {
			return s.CreateRole(ctx(t), f.newRole("reviewer"), nil, []string{member.UID}, 0)
		}, stack, false},
		{"CreateRoleNameTaken", func(t *testing.T) error { return s.CreateRole(ctx(t), f.newRole("reviewer"), nil, nil, 0) }, none, true},
		{"CreateRoleMissingRef", func(t *testing.T) error {
			return s.CreateRole(ctx(t), f.newRole("broken"), []stackgate.Ref{{Kind: stackgate.RefEnvironment, Value: "nowhere", Field: "rules"}}, nil, 0)
		}, none, true},
		{"UpdateRole", func(t *testing.T) error {
			r := *role
			r.Name, r.UpdatedAt = "editor2", now()
			return s.UpdateRole(ctx(t), &r, nil, []string{member.UID})
		}, stack, false},
		{"UpdateRoleNotMember", func(t *testing.T) error {
			r := *role
			return s.UpdateRole(ctx(t), &r, nil, []string{"bltghost"})
		}, none, true},
		{"DeleteRole", func(t *testing.T) error { return s.DeleteRole(ctx(t), f.stack, role.UID) }, stack, false},
		{"DeleteRoleMissing", func(t *testing.T) error { return s.DeleteRole(ctx(t), f.stack, role.UID) }, none, true},

		// Delivery tokens.
		{"CreateDeliveryToken", func(t *testing.T) error { return s.CreateDeliveryToken(ctx(t), f.newDeliveryToken("dt2"), nil, 0) }, stack, false},
		{"CreateDeliveryTokenNameTaken", func(t *testing.T) error { return s.CreateDeliveryToken(ctx(t), f.newDeliveryToken("dt2"), nil, 0) }, none, true},
		{"UpdateDeliveryToken", func(t *testing.T) error {
			d := *dt
			d.Description, d.UpdatedAt = "changed", now()
			return s.UpdateDeliveryToken(ctx(t), &d, nil)
		}, stack, false},
		{"SetPreviewToken", func(t *testing.T) error {
			return s.SetPreviewToken(ctx(t), f.stack, dt.UID, sealed("preview"), f.owner.UID, now())
		}, stack, false},
		{"SetPreviewTokenMissing", func(t *testing.T) error {
			return s.SetPreviewToken(ctx(t), f.stack, "bltmissing", sealed("preview"), f.owner.UID, now())
		}, none, true},
		{"RotateDeliveryToken", func(t *testing.T) error {
			return s.RotateDeliveryToken(ctx(t), f.stack, dt.UID, sealed("rotated"), now().Add(time.Hour), f.owner.UID, now())
		}, stack, false},
		{"RotatePreviewToken", func(t *testing.T) error {
			return s.RotatePreviewToken(ctx(t), f.stack, dt.UID, sealed("rotated preview"), time.Time{}, f.owner.UID, now())
		}, stack, false},
		{"RotateDeliveryTokenMissing", func(t *testing.T) error {
			return s.RotateDeliveryToken(ctx(t), f.stack, "bltmissing", sealed("rotated"), time.Time{}, f.owner.UID, now())
		}, none, true},
		{"DeleteDeliveryToken", func(t *testing.T) error { return s.DeleteDeliveryToken(ctx(t), f.stack, dt.UID) }, stack, false},
		{"DeleteDeliveryTokenMissing", func(t *testing.T) error { return s.DeleteDeliveryToken(ctx(t), f.stack, dt.UID) }, none, true},

		// Management tokens and their expiry notices.
		{"CreateManagementToken", func(t *testing.T) error {
			return s.CreateManagementToken(ctx(t), f.newManagementToken("mt2"), nil, 0)
		}, stack, false},
		{"CreateManagementTokenOverLimit", func(t *testing.T) error {
			return s.CreateManagementToken(ctx(t), f.newManagementToken("mt3"), nil, 1)
		}, none, true},
		{"ClaimExpiryNotice", func(t *testing.T) error {
			_, err := s.ClaimExpiryNotice(ctx(t), notice, "c1", t0, time.Minute)
			return err
		}, none, false},
		{"ReleaseExpiryNotice", func(t *testing.T) error {
			return s.ReleaseExpiryNotice(ctx(t), notice, "c1", t0, "smtp down")
		}, none, false},
		{"MarkExpiryNoticeSent", func(t *testing.T) error { return s.MarkExpiryNoticeSent(ctx(t), notice, t0) }, none, false},
		{"ClaimWebhookDeliveries", func(t *testing.T) error {
			_, err := s.ClaimWebhookDeliveries(ctx(t), "w1", t0, time.Minute, 10)
			return err
		}, none, false},
		{"ReleaseWebhookDelivery", func(t *testing.T) error {
			return s.ReleaseWebhookDelivery(ctx(t), "bltnone", "w1", t0, "status 500", false)
		}, none, false},
		{"MarkWebhookSentUnknown", func(t *testing.T) error { return s.MarkWebhookSent(ctx(t), "bltnone", t0) }, none, true},
		{"EnqueueExpiryWebhooks", func(t *testing.T) error {
			_, err := s.EnqueueExpiryWebhooks(ctx(t), t0)
			return err
		}, none, false},
		{"PruneWebhookDeliveries", func(t *testing.T) error {
			_, err := s.PruneWebhookDeliveries(ctx(t), t0)
			return err
		}, none, false},
		// A stack's token webhook: audited, but no credential changes.
		{"CreateTokenWebhook", func(t *testing.T) error {
			return s.CreateTokenWebhook(ctx(t), f.newTokenWebhook("https://h.example.com"))
		}, none, false},
		{"CreateTokenWebhookTaken", func(t *testing.T) error {
			return s.CreateTokenWebhook(ctx(t), f.newTokenWebhook("https://h.example.com"))
		}, none, true},
		{"UpdateTokenWebhook", func(t *testing.T) error {
			return s.UpdateTokenWebhook(ctx(t), f.newTokenWebhook("https://i.example.com"))
		}, none, false},
		{"RekeyTokenWebhooks", func(t *testing.T) error {
			_, err := s.RekeyTokenWebhooks(ctx(t), "k9", "h0", 10, func(v stackgate.Sealed) (stackgate.Sealed, error) { v.KeyID = "k9"; return v, nil })
			return err
		}, none, false},
		{"DeleteTokenWebhook", func(t *testing.T) error { return s.DeleteTokenWebhook(ctx(t), f.stack) }, none, false},
		{"DeleteTokenWebhookMissing", func(t *testing.T) error { return s.DeleteTokenWebhook(ctx(t), f.stack) }, none, true},
		{"UpdateManagementToken", func(t *testing.T) error {
			m := *mt
			m.Description, m.UpdatedAt = "changed", now()
			return s.UpdateManagementToken(ctx(t), &m, nil)
		}, stack, false},
		{"RotateManagementToken", func(t *testing.T) error {
			return s.RotateManagementToken(ctx(t), f.stack, mt.UID, []byte("rotated-"+stackgate.NewUID()), "h1", now().Add(time.Hour), f.owner.UID, now())
		}, stack, false},
		{"RotateManagementTokenMissing", func(t *testing.T) error {
			return s.RotateManagementToken(ctx(t), f.stack, "bltmissing", []byte("x"), "h1", time.Time{}, f.owner.UID, now())
		}, none, true},
		{"DeleteManagementToken", func(t *testing.T) error { return s.DeleteManagementToken(ctx(t), f.stack, mt.UID) }, stack, false},
		{"DeleteManagementTokenMissing", func(t *testing.T) error { return s.DeleteManagementToken(ctx(t), f.stack, mt.UID) }, none, true},

		{"RecordKeys", func(t *testing.T) error {
			return s.RecordKeys(ctx(t), []stackgate.KeyFingerprint{{Kind: "hmac", Fingerprint: []byte("fp")}})
		}, none, false},
		{"RekeyDeliveryTokens", func(t *testing.T) error {
			_, err := s.RekeyDeliveryTokens(ctx(t), "k1", "h0", 10, reseal)
			return err
		}, stack, false},
		{"RekeyDeliveryTokensNothingLeft", func(t *testing.T) error {
			_, err := s.RekeyDeliveryTokens(ctx(t), "k1", "h0", 10, reseal)
			return err
		}, none, false},

		{"SetPassword", func(t *testing.T) error { return s.SetPassword(ctx(t), leaver.UID, "new-hash", now()) }, user(leaver), false},
		{"SetPasswordMissing", func(t *testing.T) error { return s.SetPassword(ctx(t), "bltmissing", "h", now()) }, none, true},
		{"DeleteUserOwner", func(t *testing.T) error { return s.DeleteUser(ctx(t), f.owner.UID) }, none, true},
		{"DeleteUser", func(t *testing.T) error { return s.DeleteUser(ctx(t), leaver.UID) },
			[]stackgate.Change{{StackUID: f.stack}, {UserUID: leaver.UID}}, false},
		{"DeleteUserMissing", func(t *testing.T) error { return s.DeleteUser(ctx(t), leaver.UID) }, none, true},
		{"CreateApp", func(t *testing.T) error { return s.CreateApp(ctx(t), newApp("another app", "")) }, none, false},
		{"CreateAuthCode", func(t *testing.T) error {
			_, err := s.CreateAuthCode(ctx(t), newCode(app, member, now()), now())
			return err
		}, none, false},
		{"RedeemAuthCode", func(t *testing.T) error { return s.RedeemAuthCode(ctx(t), code.Hash, now(), tok) }, none, false},
		{"RedeemAuthCodeAgain", func(t *testing.T) error { return s.RedeemAuthCode(ctx(t), code.Hash, now(), tok) }, none, true},
		{"RotateRefreshToken", func(t *testing.T) error {
			return s.RotateRefreshToken(ctx(t), tok.RefreshHash, newToken(app, member.UID, consent.UID, now()))
		}, none, false},
		{"CreateOAuthToken", func(t *testing.T) error {
			return s.CreateOAuthToken(ctx(t), newToken(app, member.UID, consent.UID, now()))
		}, none, false},
		{"RevokeOAuthFamily", func(t *testing.T) error { return s.RevokeOAuthFamily(ctx(t), tok.FamilyUID) }, user(member), false},
		{"RevokeOAuthFamilyGone", func(t *testing.T) error { return s.RevokeOAuthFamily(ctx(t), tok.FamilyUID) }, none, true},
		{"DeleteAuthorization", func(t *testing.T) error { return s.DeleteAuthorization(ctx(t), app.UID, consent.UID) }, user(member), false},
		{"DeleteAuthorizationMissing", func(t *testing.T) error { return s.DeleteAuthorization(ctx(t), app.UID, consent.UID) }, none, true},
		{"DeleteApp", func(t *testing.T) error { return s.DeleteApp(ctx(t), app.UID) }, []stackgate.Change{{AppUID: app.UID}}, false},
		{"DeleteAppMissing", func(t *testing.T) error { return s.DeleteApp(ctx(t), app.UID) }, none, true},

		// Reads.
		{"ListUsers", func(t *testing.T) error { _, err := s.ListUsers(ctx(t)); return err }, none, false},
		{"ListStacks", func(t *testing.T) error { _, err := s.ListStacks(ctx(t)); return err }, none, false},
		{"KeyBinding", func(t *testing.T) error { _, err := s.KeyBinding(ctx(t)); return err }, none, false},
		{"LoadStack", func(t *testing.T) error { _, err := s.LoadStack(ctx(t), f.seed.Stack.APIKey); return err }, none, false},
		{"ListRoles", func(t *testing.T) error { _, err := s.ListRoles(ctx(t), f.stack); return err }, none, false},
	}
	rec.take()
	for _, tc := range rows {
		sub(t, tc.name, func(t *testing.T) {
			err := tc.op(t)
			got := rec.take() // right after the call: the hook runs before the method returns
			if tc.fail && err == nil {
				t.Fatal("succeeded, want a refusal")
			}
			if !tc.fail && err != nil {
				t.Fatal(err)
			}
			diff(t, "changes reported", tc.want, got)
		})
	}
}
