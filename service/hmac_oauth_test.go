package service_test

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/secret"
	"github.com/stackgate/stackgate/service"
)

// TestOAuthReplayAcrossHMACRotation: a code and a refresh token spent by a
// node whose key file has one hmac key (h1) are remembered under h1; a node
// with a new key first (h2, h1) still sees their replay and revokes the
// grant's tokens, including those it issued under h2. After --retire-hmac
// h1 the memory under h1 is forgotten: a replay is refused all the same.
func TestOAuthReplayAcrossHMACRotation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		ctx := t.Context()
		st := open(t)
		file := string(secret.GenerateKeyFile())
		oldRing, _ := secret.ParseKeyFile([]byte(file))
		h2 := strings.Replace(strings.SplitN(string(secret.GenerateKeyFile()), "\n", 3)[1], "hmac h1 ", "hmac h2 ", 1)
		newRing, err := secret.ParseKeyFile([]byte(h2 + "\n" + file))
		if err != nil || newRing.HMACKeyID() != "h2" {
			t.Fatalf("ring: %v %v", newRing.HMACKeyIDs(), err)
		}
		clock := time.Now()
		now := func() time.Time { return clock }
		old, next := service.New(st, oldRing, service.Config{}, nil), service.New(st, newRing, service.Config{}, nil)
		old.Now, next.Now = now, now

		u, _, err := old.EnsureUser(ctx, "u@example.com", "password-1")
		if err != nil {
			t.Fatal(err)
		}
		app, _, err := old.AddApp(ctx, service.AppSpec{Name: "Public", RedirectURIs: []string{"https://app.example.com/cb"}})
		if err != nil {
			t.Fatal(err)
		}
		verifier := strings.Repeat("v", 43)
		sum := sha256.Sum256([]byte(verifier))
		challenge := base64.RawURLEncoding.EncodeToString(sum[:])
		exchange := func(svc *service.Service, code string) (*service.TokenGrant, error) {
			return svc.Token(ctx, service.TokenRequest{GrantType: "authorization_code", ClientID: app.ClientID, Code: code, CodeVerifier: verifier})
		}
		refresh := func(svc *service.Service, rt string) (*service.TokenGrant, error) {
			return svc.Token(ctx, service.TokenRequest{GrantType: "refresh_token", ClientID: app.ClientID, RefreshToken: rt})
		}
		grant := func() (code string, g *service.TokenGrant) {
			t.Helper()
			loc, err := old.Authorize(ctx, u.UID, service.Consent{AppUID: app.UID, ClientID: app.ClientID, CodeChallenge: challenge, Method: "S256"})
			if err != nil {
				t.Fatal(err)
			}
			p, _ := url.Parse(loc)
			code = p.Query().Get("code")
			if g, err = exchange(old, code); err != nil {
				t.Fatal(err)
			}
			return code, g
		}
		live := func(access string) bool {
			t.Helper()
			_, err := st.FindOAuthToken(ctx, newRing.Hash(access))
			if err == nil {
				return true
			}
			hashes, _ := newRing.Hashes(access)
			_, err = st.FindOAuthToken(ctx, hashes[1])
			return err == nil
		}
		refused := func(t *testing.T, what string, err error) {
			t.Helper()
			var oe *service.OAuthError
			if !errors.As(err, &oe) || oe.Code != "invalid_grant" {
				t.Fatalf("%s: %v, want invalid_grant", what, err)
			}
		}

		// A code spent under h1, replayed to the node with h2 first.
		code, g1 := grant()
		g2, err := refresh(next, g1.RefreshToken) // under h1, found by the new node; the next pair is under h2
		if err != nil {
			t.Fatal(err)
		}
		if g2.Token.HashKey != "h2" {
			t.Fatalf("refreshed under %q", g2.Token.HashKey)
		}
		_, err = exchange(next, code)
		refused(t, "the code replayed", err)
		if live(g1.AccessToken) || live(g2.AccessToken) {
			t.Error("the code's replay left its grant's tokens live")
		}
		if _, err := refresh(next, g2.RefreshToken); err == nil {
			t.Error("the revoked grant still refreshes")
		}

		// A refresh token rotated out under h1, replayed after the grace.
		_, g3 := grant()
		g4, err := refresh(old, g3.RefreshToken)
		if err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(service.RefreshReuseGrace + time.Second)
		_, err = refresh(next, g3.RefreshToken)
		refused(t, "the refresh token replayed", err)
		if live(g4.AccessToken) {
			t.Error("the refresh token's replay left its grant's tokens live")
		}

		// Retiring h1 forgets the memory under it; a replay is refused still.
		code5, g5 := grant()
		if _, err := next.RetireHMACKey(ctx, "h1"); err != nil {
			t.Fatal(err)
		}
		b, err := st.KeyBinding(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n := b.HashedBy["h1"][stackgate.HashOAuthSpent]; n != 0 {
			t.Errorf("%d spent values under the retired key", n)
		}
		_, err = exchange(next, code5)
		refused(t, "a code replayed after its key was retired", err)
		if live(g5.AccessToken) {
			t.Error("retiring h1 left a token hashed under it")
		}
	})
}
