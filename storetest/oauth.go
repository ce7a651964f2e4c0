package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/stackgate/stackgate"
)

func newApp(name string, stackUID string) *stackgate.App {
	return &stackgate.App{UID: stackgate.NewUID(), Name: name, ClientID: "cid-" + stackgate.NewUID(),
		RedirectURIs: []string{"http://localhost:8184", "https://example.com/cb"}, Scopes: []string{"cm.roles.management:read"},
		StackUID: stackUID, Machine: stackUID != "", CreatedAt: now()}
}

func newCode(app *stackgate.App, user *stackgate.User, at time.Time) *stackgate.AuthCode {
	return &stackgate.AuthCode{Hash: []byte("code-" + stackgate.NewUID()), HashKey: "h1", AppUID: app.UID, UserUID: user.UID,
		RedirectURI: app.RedirectURIs[0], RedirectNamed: true, Challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		Scopes: []string{"cm.roles.management:read"}, ExpiresAt: at.Add(stackgate.AuthCodeTTL)}
}

func newToken(app *stackgate.App, userUID, authUID string, at time.Time) *stackgate.OAuthToken {
	return &stackgate.OAuthToken{AccessHash: []byte("access-" + stackgate.NewUID()), RefreshHash: []byte("refresh-" + stackgate.NewUID()), HashKey: "h1",
		AppUID: app.UID, AuthorizationUID: authUID, UserUID: userUID, StackUID: app.StackUID,
		Scopes: []string{"cm.roles.management:read"}, ExpiresAt: at.Add(stackgate.AccessTokenTTL), RefreshExpiresAt: at.Add(90 * 24 * time.Hour),
		CreatedAt: at}
}

// testOAuth covers apps, consent, codes (single use, expiry) and tokens
// (rotation, revocation by logout and by app removal), with what each write
// reports to the commit hook (the "Changes:" contracts of oauth.go).
func testOAuth(t *testing.T, s stackgate.Store) {
	rec := record(s)
	f := newFixture(t, s)
	user := newUser(t, s)
	none := []stackgate.Change{}

	app := newApp("CLI", "")
	app.SecretHash, app.SecretKey = []byte("secret-hash"), "h1"
	machine := newApp("Robot", f.stack)
	sub(t, "CreateApp", func(t *testing.T) {
		rec.take()
		must(t, s.CreateApp(ctx(t), app))
		must(t, s.CreateApp(ctx(t), machine))
		diff(t, "changes", none, rec.take())
		got, err := s.FindApp(ctx(t), app.UID)
		must(t, err)
		diff(t, "app", app, got)
		got, err = s.FindAppByClientID(ctx(t), machine.ClientID)
		must(t, err)
		diff(t, "machine app", machine, got)
		list, err := s.ListApps(ctx(t))
		must(t, err)
		diff(t, "apps", []*stackgate.App{app, machine}, list)
	})
	sub(t, "CreateAppConflicts", func(t *testing.T) {
		dup := newApp("dup", "")
		dup.ClientID = app.ClientID
		wantCode(t, s.CreateApp(ctx(t), dup), stackgate.ECONFLICT, "client_id")
		dup = newApp("dup", "")
		dup.UID = app.UID
		wantCode(t, s.CreateApp(ctx(t), dup), stackgate.ECONFLICT, "app_uid")
		wantCode(t, s.CreateApp(ctx(t), newApp("nostack", "blt-no-such-stack")), stackgate.ENOTFOUND, "")
		list, err := s.ListApps(ctx(t))
		must(t, err)
		if len(list) != 2 {
			t.Fatalf("%d apps after refused creates, want 2", len(list))
		}
		diff(t, "changes", none, rec.take())
		_, err = s.FindApp(ctx(t), "nope")
		wantCode(t, err, stackgate.ENOTFOUND, "")
	})

	t0 := now()
	var authUID string
	var redeemed *stackgate.OAuthToken
	sub(t, "CodeRedeemOnce", func(t *testing.T) {
		c := newCode(app, user, t0)
		a, err := s.CreateAuthCode(ctx(t), c, t0)
		must(t, err)
		authUID = a.UID
		if c.AuthorizationUID != a.UID || a.UserUID != user.UID || a.AppUID != app.UID {
			t.Fatalf("authorization %+v, code %+v", a, c)
		}
		// A second consent keeps the authorization.
		c2 := newCode(app, user, t0)
		a2, err := s.CreateAuthCode(ctx(t), c2, t0)
		must(t, err)
		if a2.UID != a.UID {
			t.Fatalf("second consent made authorization %s, want %s", a2.UID, a.UID)
		}
		got, err := s.FindAuthCode(ctx(t), c.Hash)
		must(t, err)
		diff(t, "code", c, got)
		diff(t, "changes", none, rec.take())

		redeemed = newToken(app, user.UID, a.UID, t0)
		must(t, s.RedeemAuthCode(ctx(t), c.Hash, t0.Add(time.Second), redeemed))
		wantCode(t, s.RedeemAuthCode(ctx(t), c.Hash, t0.Add(time.Second), newToken(app, user.UID, a.UID, t0)), stackgate.ENOTFOUND, "")
		_, err = s.FindAuthCode(ctx(t), c.Hash)
		wantCode(t, err, stackgate.ENOTFOUND, "")
		tok, err := s.FindOAuthToken(ctx(t), redeemed.AccessHash)
		must(t, err)
		diff(t, "token", redeemed, tok)
		diff(t, "changes", none, rec.take())

		// Expired: refused and nothing inserted.
		late := newToken(app, user.UID, a.UID, t0)
		wantCode(t, s.RedeemAuthCode(ctx(t), c2.Hash, c2.ExpiresAt, late), stackgate.ENOTFOUND, "")
		_, err = s.FindOAuthToken(ctx(t), late.AccessHash)
		wantCode(t, err, stackgate.ENOTFOUND, "")
		_, err = s.CreateAuthCode(ctx(t), newCode(&stackgate.App{UID: "nope", RedirectURIs: []string{"x"}}, user, t0), t0)
		wantCode(t, err, stackgate.ENOTFOUND, "")
	})
	sub(t, "ConcurrentRedeem", func(t *testing.T) {
		c := newCode(app, user, t0)
		_, err := s.CreateAuthCode(ctx(t), c, t0)
		must(t, err)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() { errs[i] = s.RedeemAuthCode(ctx(t), c.Hash, t0, newToken(app, user.UID, authUID, t0)) })
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			if err == nil {
				wins++
			} else if !stackgate.IsCode(err, stackgate.ENOTFOUND) {
				t.Fatal(err)
			}
		}
		if wins != 1 {
			t.Fatalf("%d redemptions of one code succeeded, want 1", wins)
		}
	})
	sub(t, "RotateRefresh", func(t *testing.T) {
		next := newToken(app, user.UID, authUID, t0.Add(time.Minute))
		must(t, s.RotateRefreshToken(ctx(t), redeemed.RefreshHash, next))
		wantCode(t, s.RotateRefreshToken(ctx(t), redeemed.RefreshHash, newToken(app, user.UID, authUID, t0)), stackgate.ENOTFOUND, "")
		_, err := s.FindOAuthTokenByRefresh(ctx(t), redeemed.RefreshHash)
		wantCode(t, err, stackgate.ENOTFOUND, "")
		old, err := s.FindOAuthToken(ctx(t), redeemed.AccessHash)
		must(t, err) // the previous access token still works
		if old.RefreshHash != nil {
			t.Fatalf("rotated token kept refresh hash %q", old.RefreshHash)
		}
		got, err := s.FindOAuthTokenByRefresh(ctx(t), next.RefreshHash)
		must(t, err)
		diff(t, "next", next, got)
		diff(t, "changes", none, rec.take())
	})
	sub(t, "SpentSecretsAndFamilies", func(t *testing.T) {
		// A redeemed code and a rotated-out refresh token are remembered
		// with their family; revoking a family takes all its tokens and
		// nothing else.
		rec.take()
		c := newCode(app, user, t0)
		_, err := s.CreateAuthCode(ctx(t), c, t0)
		must(t, err)
		first, other := newToken(app, user.UID, authUID, t0), newToken(app, user.UID, authUID, t0)
		first.FamilyUID, other.FamilyUID = "fam-"+stackgate.NewUID(), "fam-"+stackgate.NewUID()
		must(t, s.RedeemAuthCode(ctx(t), c.Hash, t0, first))
		must(t, s.CreateOAuthToken(ctx(t), other))
		next := newToken(app, user.UID, authUID, t0.Add(time.Minute))
		next.FamilyUID = first.FamilyUID
		must(t, s.RotateRefreshToken(ctx(t), first.RefreshHash, next))
		diff(t, "changes", none, rec.take())
		got, err := s.FindSpentOAuthSecret(ctx(t), c.Hash)
		must(t, err)
		diff(t, "spent code", &stackgate.SpentOAuthSecret{FamilyUID: first.FamilyUID, AppUID: app.UID, SpentAt: t0}, got)
		got, err = s.FindSpentOAuthSecret(ctx(t), first.RefreshHash)
		must(t, err)
		diff(t, "spent refresh token", &stackgate.SpentOAuthSecret{FamilyUID: first.FamilyUID, AppUID: app.UID, SpentAt: t0.Add(time.Minute)}, got)
		_, err = s.FindSpentOAuthSecret(ctx(t), next.RefreshHash)
		wantCode(t, err, stackgate.ENOTFOUND, "")

		must(t, s.RevokeOAuthFamily(ctx(t), first.FamilyUID))
		diff(t, "changes", []stackgate.Change{{UserUID: user.UID}}, rec.take())
		for _, h := range [][]byte{first.AccessHash, next.AccessHash} {
			_, err = s.FindOAuthToken(ctx(t), h)
			wantCode(t, err, stackgate.ENOTFOUND, "")
		}
		_, err = s.FindOAuthToken(ctx(t), other.AccessHash)
		must(t, err)
		wantCode(t, s.RevokeOAuthFamily(ctx(t), first.FamilyUID), stackgate.ENOTFOUND, "")
		wantCode(t, s.RevokeOAuthFamily(ctx(t), ""), stackgate.ENOTFOUND, "")
		diff(t, "changes of refused revocations", none, rec.take())

		// An app token's family: the change is the app's.
		appTok := newToken(app, "", "", t0)
		appTok.FamilyUID = "fam-" + stackgate.NewUID()
		must(t, s.CreateOAuthToken(ctx(t), appTok))
		must(t, s.RevokeOAuthFamily(ctx(t), appTok.FamilyUID))
		diff(t, "changes", []stackgate.Change{{AppUID: app.UID}}, rec.take())
	})
	sub(t, "ExpiredRefreshPurged", func(t *testing.T) {
		// An access token past its hour stays while its refresh token may
		// still be used, and goes once that has expired too.
		spent, live := newToken(app, "", "", t0), newToken(app, "", "", t0)
		spent.RefreshExpiresAt = t0.Add(2 * time.Hour)
		must(t, s.CreateOAuthToken(ctx(t), spent))
		must(t, s.CreateOAuthToken(ctx(t), live))
		must(t, s.CreateOAuthToken(ctx(t), newToken(app, "", "", t0.Add(3*time.Hour))))
		_, err := s.FindOAuthTokenByRefresh(ctx(t), spent.RefreshHash)
		wantCode(t, err, stackgate.ENOTFOUND, "")
		got, err := s.FindOAuthTokenByRefresh(ctx(t), live.RefreshHash)
		must(t, err)
		diff(t, "live", live, got)
		rec.take()
	})
	sub(t, "Logout", func(t *testing.T) {
		list, err := s.ListAuthorizations(ctx(t), app.UID)
		must(t, err)
		if len(list) != 1 || list[0].UID != authUID || list[0].UserUID != user.UID {
			t.Fatalf("authorizations %+v", list)
		}
		wantCode(t, s.DeleteAuthorization(ctx(t), machine.UID, authUID), stackgate.ENOTFOUND, "")
		diff(t, "changes of a refused logout", none, rec.take())
		must(t, s.DeleteAuthorization(ctx(t), app.UID, authUID))
		diff(t, "changes", []stackgate.Change{{UserUID: user.UID}}, rec.take())
		_, err = s.FindOAuthToken(ctx(t), redeemed.AccessHash)
		wantCode(t, err, stackgate.ENOTFOUND, "")
		list, err = s.ListAuthorizations(ctx(t), app.UID)
		must(t, err)
		diff(t, "authorizations after logout", []*stackgate.OAuthAuthorization{}, list)
		wantCode(t, s.DeleteAuthorization(ctx(t), app.UID, authUID), stackgate.ENOTFOUND, "")
	})
	sub(t, "AppTokenAndRemoval", func(t *testing.T) {
		tok := newToken(machine, "", "", t0)
		rec.take()
		must(t, s.CreateOAuthToken(ctx(t), tok))
		diff(t, "changes", none, rec.take())
		got, err := s.FindOAuthToken(ctx(t), tok.AccessHash)
		must(t, err)
		diff(t, "app token", tok, got)
		wantCode(t, s.CreateOAuthToken(ctx(t), newToken(&stackgate.App{UID: "nope"}, "", "", t0)), stackgate.ENOTFOUND, "")
		rec.take()
		must(t, s.DeleteApp(ctx(t), machine.UID))
		diff(t, "changes", []stackgate.Change{{AppUID: machine.UID}}, rec.take())
		_, err = s.FindOAuthToken(ctx(t), tok.AccessHash)
		wantCode(t, err, stackgate.ENOTFOUND, "")
		wantCode(t, s.DeleteApp(ctx(t), machine.UID), stackgate.ENOTFOUND, "")
		diff(t, "changes of a refused removal", none, rec.take())
		// Removing the app takes its users' tokens too.
		c := newCode(app, user, t0)
		a, err := s.CreateAuthCode(ctx(t), c, t0)
		must(t, err)
		ut := newToken(app, user.UID, a.UID, t0)
		must(t, s.RedeemAuthCode(ctx(t), c.Hash, t0, ut))
		must(t, s.DeleteApp(ctx(t), app.UID))
		_, err = s.FindOAuthToken(ctx(t), ut.AccessHash)
		wantCode(t, err, stackgate.ENOTFOUND, "")
		// A token redeemed against a vanished authorization is refused.
		wantCode(t, s.CreateOAuthToken(ctx(t), ut), stackgate.ENOTFOUND, "")
	})
}
