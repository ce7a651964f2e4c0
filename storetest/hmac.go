package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/stackgate/stackgate"
)

// testHMACKeys: the hmac key id of every stored lookup hash (counted by
// kind in KeyBinding.HashedBy), Rehash's compare-and-set, the re-hashing
// of delivery and preview tokens by RekeyDeliveryTokens and of token
// webhook secrets by RekeyTokenWebhooks, the OAuth replay memory kept
// under the key of its day, and RetireHMACKey.
func testHMACKeys(t *testing.T, s stackgate.Store) {
	f := newFixture(t, s)
	user := newUser(t, s)
	moved, stays := []byte("sess-old-"+stackgate.NewUID()), []byte("sess-stays-"+stackgate.NewUID())
	created := now()
	for _, h := range [][]byte{moved, stays} {
		must(t, s.CreateSession(ctx(t), &stackgate.Session{TokenHash: h, HashKey: "h0", UserUID: user.UID, CreatedAt: created}, 0))
	}
	must(t, s.CreateSession(ctx(t), &stackgate.Session{TokenHash: []byte("sess-new"), HashKey: "h2", UserUID: user.UID, CreatedAt: now()}, 0))
	mtMoved, mtStays := f.newManagementToken("moved"), f.newManagementToken("stays")
	must(t, s.CreateManagementToken(ctx(t), mtMoved, nil, 0))
	must(t, s.CreateManagementToken(ctx(t), mtStays, nil, 0))
	dt := f.newDeliveryToken("dt")
	dt.Preview = sealed("preview")
	must(t, s.CreateDeliveryToken(ctx(t), dt, nil, 0))
	app := newApp("Secret", "")
	app.SecretHash, app.SecretKey = []byte("app-secret-old"), "h0"
	must(t, s.CreateApp(ctx(t), app))
	// Codes count while they are live, by the wall clock.
	auth, err := s.CreateAuthCode(ctx(t), newCode(app, user, stackgate.Now()), now())
	must(t, err)
	tok := newToken(app, user.UID, auth.UID, now())
	// Tokens count while their access or refresh token lives, by the wall
	// clock.
	tok.HashKey, tok.RefreshExpiresAt = "h0", stackgate.Now().Add(time.Hour)
	must(t, s.CreateOAuthToken(ctx(t), tok))
	// A code redeemed under h0 is remembered as spent under h0; the token it
	// gave is under h2.
	spentCode := newCode(app, user, stackgate.Now())
	spentCode.HashKey = "h0"
	_, err = s.CreateAuthCode(ctx(t), spentCode, now())
	must(t, err)
	redeemed := newToken(app, user.UID, auth.UID, now())
	redeemed.HashKey, redeemed.FamilyUID, redeemed.RefreshExpiresAt = "h2", stackgate.NewUID(), stackgate.Now().Add(time.Hour)
	must(t, s.RedeemAuthCode(ctx(t), spentCode.Hash, stackgate.Now(), redeemed))
	hook := f.newTokenWebhook("https://hooks.example.com/hmac") // sealed() hashes under h0
	must(t, s.CreateTokenWebhook(ctx(t), hook))

	hashed := func(t *testing.T) map[string]map[stackgate.HashKind]int {
		t.Helper()
		b, err := s.KeyBinding(ctx(t))
		must(t, err)
		return b.HashedBy
	}
	// Retiring h0 is refused, changing nothing, while it hashes what rekey
	// moves.
	retireRefused := func(t *testing.T) {
		before := hashed(t)
		_, err := s.RetireHMACKey(ctx(t), "h0")
		wantCode(t, err, stackgate.EINVALID, "hmac_key")
		diff(t, "hashed by after a refusal", before, hashed(t))
	}
	// reseal moves a value's hash to h2, as rekey's does.
	reseal := func(v stackgate.Sealed) (stackgate.Sealed, error) {
		return stackgate.Sealed{Hash: append([]byte("h2:"), v.Hash...), HashKey: "h2", Ciphertext: v.Ciphertext, KeyID: v.KeyID}, nil
	}
	sub(t, "HashedBy", func(t *testing.T) {
		diff(t, "hashed by", map[string]map[stackgate.HashKind]int{
			"h0": {stackgate.HashSession: 2, stackgate.HashManagementToken: 2, stackgate.HashDeliveryToken: 1,
				stackgate.HashPreviewToken: 1, stackgate.HashOAuthAppSecret: 1, stackgate.HashOAuthToken: 1,
				stackgate.HashOAuthSpent: 1, stackgate.HashTokenWebhook: 1},
			"h1": {stackgate.HashOAuthCode: 1},
			"h2": {stackgate.HashSession: 1, stackgate.HashOAuthToken: 1},
		}, hashed(t))
		sp, err := s.FindSpentOAuthSecret(ctx(t), spentCode.Hash)
		must(t, err)
		if sp.FamilyUID != redeemed.FamilyUID || sp.AppUID != app.UID {
			t.Errorf("spent code %+v", sp)
		}
	})
	sub(t, "Rehash", func(t *testing.T) {
		rec := record(s)
		newHash := []byte("sess-moved-" + stackgate.NewUID())
		must(t, s.Rehash(ctx(t), stackgate.HashSession, moved, newHash, "h2"))
		// The node that lost the race: the new hash is there, no error, no write.
		must(t, s.Rehash(ctx(t), stackgate.HashSession, moved, newHash, "h2"))
		got, err := s.FindSession(ctx(t), newHash)
		must(t, err)
		diff(t, "moved session", &stackgate.Session{UID: got.UID, TokenHash: newHash, HashKey: "h2", UserUID: user.UID, CreatedAt: created}, got)
		_, err = s.FindSession(ctx(t), moved)
		wantCode(t, err, stackgate.ENOTFOUND, "")
		mtHash := []byte("mt-moved-" + stackgate.NewUID())
		must(t, s.Rehash(ctx(t), stackgate.HashManagementToken, mtMoved.TokenHash, mtHash, "h2"))
		must(t, s.Rehash(ctx(t), stackgate.HashManagementToken, mtMoved.TokenHash, mtHash, "h2"))
		mt, err := s.FindManagementTokenByHash(ctx(t), mtHash)
		must(t, err)
		if mt.UID != mtMoved.UID || mt.HashKey != "h2" {
			t.Errorf("moved management token %s under %q", mt.UID, mt.HashKey)
		}
		must(t, s.Rehash(ctx(t), stackgate.HashOAuthAppSecret, app.SecretHash, []byte("app-secret-new"), "h2"))
		a, err := s.FindApp(ctx(t), app.UID)
		must(t, err)
		if string(a.SecretHash) != "app-secret-new" || a.SecretKey != "h2" {
			t.Errorf("app secret %q under %q", a.SecretHash, a.SecretKey)
		}
		// One change per move; none for the lost races or the app secret.
		diff(t, "changes", []stackgate.Change{{UserUID: user.UID}, {StackUID: f.stack}}, rec.take())
		wantCode(t, s.Rehash(ctx(t), stackgate.HashSession, []byte("nope"), []byte("nope2"), "h2"), stackgate.ENOTFOUND, "")
		wantCode(t, s.Rehash(ctx(t), stackgate.HashManagementToken, []byte("nope"), []byte("nope2"), "h2"), stackgate.ENOTFOUND, "")
		wantCode(t, s.Rehash(ctx(t), stackgate.HashDeliveryToken, dt.Secret.Hash, []byte("x"), "h2"), stackgate.EINVALID, "kind")
		diff(t, "changes after refusals", []stackgate.Change{}, rec.take())
	})
	sub(t, "RehashRace", func(t *testing.T) {
		// Nodes moving one credential at once all succeed, and it is moved once.
		racer, next := []byte("sess-race-"+stackgate.NewUID()), []byte("sess-raced-"+stackgate.NewUID())
		must(t, s.CreateSession(ctx(t), &stackgate.Session{TokenHash: racer, HashKey: "h0", UserUID: user.UID, CreatedAt: created}, 0))
		errs := make(chan error, 4)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() { errs <- s.Rehash(ctx(t), stackgate.HashSession, racer, next, "h2") })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			must(t, err)
		}
		got, err := s.FindSession(ctx(t), next)
		must(t, err)
		if got.HashKey != "h2" {
			t.Errorf("raced session under %q", got.HashKey)
		}
		must(t, s.DeleteSession(ctx(t), user.UID, next))
	})
	sub(t, "RetireRefusedWhileDeliveryTokensRemain", retireRefused)
	sub(t, "RekeyMovesDeliveryHashes", func(t *testing.T) {
		n, err := s.RekeyDeliveryTokens(ctx(t), "k1", "h2", 10, reseal)
		must(t, err)
		if n != 1 {
			t.Fatalf("re-sealed %d, want 1", n)
		}
		if n, err = s.RekeyDeliveryTokens(ctx(t), "k1", "h2", 10, reseal); err != nil || n != 0 {
			t.Fatalf("second pass: %d %v", n, err)
		}
		got, err := s.FindDeliveryTokenByHash(ctx(t), append([]byte("h2:"), dt.Secret.Hash...), false)
		must(t, err)
		if got.Secret.HashKey != "h2" || got.Preview.HashKey != "h2" || string(got.Preview.Hash) != "h2:"+string(dt.Preview.Hash) {
			t.Errorf("re-hashed token: %+v %+v", got.Secret, got.Preview)
		}
		if _, err := s.FindDeliveryTokenByHash(ctx(t), append([]byte("h2:"), dt.Preview.Hash...), true); err != nil {
			t.Errorf("preview by its new hash: %v", err)
		}
	})
	sub(t, "RetireRefusedWhileWebhookSecretsRemain", retireRefused)
	sub(t, "RekeyMovesWebhookHashes", func(t *testing.T) {
		// A re-seal must give the hmac key asked for.
		if _, err := s.RekeyTokenWebhooks(ctx(t), "k1", "h2", 10, func(v stackgate.Sealed) (stackgate.Sealed, error) {
			v.Hash = []byte("moved")
			return v, nil
		}); err == nil {
			t.Error("a re-seal that kept hmac key h0 (and moved its hash) was taken")
		}
		n, err := s.RekeyTokenWebhooks(ctx(t), "k1", "h2", 10, reseal)
		must(t, err)
		if n != 1 {
			t.Fatalf("re-sealed %d, want 1", n)
		}
		if n, err = s.RekeyTokenWebhooks(ctx(t), "k1", "h2", 10, reseal); err != nil || n != 0 {
			t.Fatalf("second pass: %d %v", n, err)
		}
		got, err := s.FindTokenWebhook(ctx(t), f.stack)
		must(t, err)
		if got.Secret.HashKey != "h2" || string(got.Secret.Hash) != "h2:"+string(hook.Secret.Hash) || got.Secret.KeyID != "k1" {
			t.Errorf("re-hashed webhook secret: %+v", got.Secret)
		}
	})
	sub(t, "Retire", func(t *testing.T) {
		rec := record(s)
		done, err := s.RetireHMACKey(ctx(t), "h0")
		must(t, err)
		diff(t, "retired", []stackgate.Hashed{
			{Kind: stackgate.HashManagementToken, StackUID: f.stack, UID: mtStays.UID, Name: "stays"},
			{Kind: stackgate.HashSession, UserUID: user.UID},
			{Kind: stackgate.HashOAuthToken, UserUID: user.UID, AppUID: app.UID},
			{Kind: stackgate.HashOAuthSpent, AppUID: app.UID},
		}, done)
		// Forgetting the replay memory announces nothing: no node caches it.
		diff(t, "changes", []stackgate.Change{{StackUID: f.stack}, {UserUID: user.UID}}, rec.take())
		_, err = s.FindSpentOAuthSecret(ctx(t), spentCode.Hash)
		wantCode(t, err, stackgate.ENOTFOUND, "")
		_, err = s.FindSession(ctx(t), stays)
		wantCode(t, err, stackgate.ENOTFOUND, "")
		_, err = s.FindManagementToken(ctx(t), f.stack, mtStays.UID)
		wantCode(t, err, stackgate.ENOTFOUND, "")
		if _, err := s.FindManagementToken(ctx(t), f.stack, mtMoved.UID); err != nil {
			t.Errorf("the moved management token: %v", err)
		}
		diff(t, "hashed by", map[string]map[stackgate.HashKind]int{
			"h1": {stackgate.HashOAuthCode: 1},
			"h2": {stackgate.HashSession: 2, stackgate.HashManagementToken: 1, stackgate.HashDeliveryToken: 1,
				stackgate.HashPreviewToken: 1, stackgate.HashOAuthAppSecret: 1, stackgate.HashOAuthToken: 1,
				stackgate.HashTokenWebhook: 1},
		}, hashed(t))
		// Nothing is left: retiring again revokes nothing.
		done, err = s.RetireHMACKey(ctx(t), "h0")
		must(t, err)
		diff(t, "retired again", []stackgate.Hashed(nil), done)
	})
}
