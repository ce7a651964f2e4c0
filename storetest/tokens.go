package storetest

import (
	"testing"
	"time"

	"github.com/stackgate/stackgate"
)

func testDeliveryTokens(t *testing.T, s stackgate.Store) {
	f := newFixture(t, s)
	other := newFixture(t, s)
	envRef := []stackgate.Ref{{Kind: stackgate.RefEnvironment, Value: f.seed.Environment.UID, Field: "scope.environments"}}
	dt := f.newDeliveryToken("web")
	must(t, s.CreateDeliveryToken(ctx(t), dt, envRef, 3))

	sub(t, "Find", func(t *testing.T) {
		got, err := s.FindDeliveryToken(ctx(t), f.stack, dt.UID)
		must(t, err)
		diff(t, "token", dt, got)
	})
	sub(t, "Missing", func(t *testing.T) {
		_, err := s.FindDeliveryToken(ctx(t), f.stack, "bltmissing")
		wantCode(t, err, stackgate.ENOTFOUND, "")
		_, err = s.FindDeliveryTokenByHash(ctx(t), []byte("nope"), false)
		wantCode(t, err, stackgate.ENOTFOUND, "")
		wantCode(t, s.DeleteDeliveryToken(ctx(t), f.stack, "bltmissing"), stackgate.ENOTFOUND, "")
		u := *dt
		u.UID = "bltmissing"
		wantCode(t, s.UpdateDeliveryToken(ctx(t), &u, nil), stackgate.ENOTFOUND, "")
		wantCode(t, s.SetPreviewToken(ctx(t), f.stack, "bltmissing", sealed("p"), "x", now()), stackgate.ENOTFOUND, "")
	})
	sub(t, "List", func(t *testing.T) {
		empty, err := s.ListDeliveryTokens(ctx(t), other.stack)
		must(t, err)
		diff(t, "other stack", []*stackgate.DeliveryToken{}, empty)
		got, err := s.ListDeliveryTokens(ctx(t), f.stack)
		must(t, err)
		diff(t, "tokens", []*stackgate.DeliveryToken{dt}, got)
	})
	sub(t, "Duplicate", func(t *testing.T) {
		dup := f.newDeliveryToken("web")
		wantCode(t, s.CreateDeliveryToken(ctx(t), dup, nil, 0), stackgate.ECONFLICT, "name")
		// Names are unique per stack only.
		must(t, s.CreateDeliveryToken(ctx(t), other.newDeliveryToken("web"), nil, 0))
	})
	sub(t, "Preview", func(t *testing.T) {
		for _, tc := range []struct {
			name    string
			preview stackgate.Sealed
		}{
			{"Set", sealed("preview-1")},
			{"Replace", sealed("preview-2")},
			{"Remove", stackgate.Sealed{}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				old := dt.Preview
				at := now()
				must(t, s.SetPreviewToken(ctx(t), f.stack, dt.UID, tc.preview, "bltpreviewer", at))
				dt.Preview, dt.UpdatedBy, dt.UpdatedAt = tc.preview, "bltpreviewer", at
				got, err := s.FindDeliveryToken(ctx(t), f.stack, dt.UID)
				must(t, err)
				diff(t, "token", dt, got)
				if !tc.preview.IsZero() {
					got, err := s.FindDeliveryTokenByHash(ctx(t), tc.preview.Hash, true)
					must(t, err)
					diff(t, "by preview hash", dt, got)
					// A preview hash is not a delivery token hash.
					_, err = s.FindDeliveryTokenByHash(ctx(t), tc.preview.Hash, false)
					wantCode(t, err, stackgate.ENOTFOUND, "")
				}
				if !old.IsZero() {
					_, err := s.FindDeliveryTokenByHash(ctx(t), old.Hash, true)
					wantCode(t, err, stackgate.ENOTFOUND, "")
				}
			})
		}
	})
	sub(t, "FindByHash", func(t *testing.T) {
		got, err := s.FindDeliveryTokenByHash(ctx(t), dt.Secret.Hash, false)
		must(t, err)
		diff(t, "token", dt, got)
		_, err = s.FindDeliveryTokenByHash(ctx(t), dt.Secret.Hash, true)
		wantCode(t, err, stackgate.ENOTFOUND, "")
	})
	sub(t, "Update", func(t *testing.T) {
		u := *dt
		u.Name, u.Description, u.Scope, u.UpdatedBy, u.UpdatedAt = "mobile", "changed", []stackgate.ScopeEntry{}, "bltother", now()
		must(t, s.UpdateDeliveryToken(ctx(t), &u, nil))
		got, err := s.FindDeliveryToken(ctx(t), f.stack, dt.UID)
		must(t, err)
		diff(t, "token", &u, got)
		*dt = u
		// The refs were replaced by none: the environment may go now.
		must(t, s.DeleteEnvironment(ctx(t), f.stack, f.seed.Environment.UID))
	})
	sub(t, "UpdateDuplicate", func(t *testing.T) {
		second := f.newDeliveryToken("second")
		must(t, s.CreateDeliveryToken(ctx(t), second, nil, 0))
		second.Name = dt.Name
		wantCode(t, s.UpdateDeliveryToken(ctx(t), second, nil), stackgate.ECONFLICT, "name")
	})
	sub(t, "Limit", func(t *testing.T) {
		// The stack holds web (now "mobile") and second; a limit of 2 is reached.
		wantCode(t, s.CreateDeliveryToken(ctx(t), f.newDeliveryToken("third"), nil, 2), stackgate.EINVALID, "token")
		must(t, s.CreateDeliveryToken(ctx(t), f.newDeliveryToken("third"), nil, 3))
		wantCode(t, s.CreateDeliveryToken(ctx(t), f.newDeliveryToken("fourth"), nil, 3), stackgate.EINVALID, "token")
	})
	sub(t, "Delete", func(t *testing.T) {
		must(t, s.SetPreviewToken(ctx(t), f.stack, dt.UID, sealed("p"), "x", now()))
		must(t, s.DeleteDeliveryToken(ctx(t), f.stack, dt.UID))
		_, err := s.FindDeliveryToken(ctx(t), f.stack, dt.UID)
		wantCode(t, err, stackgate.ENOTFOUND, "")
		_, err = s.FindDeliveryTokenByHash(ctx(t), dt.Secret.Hash, false)
		wantCode(t, err, stackgate.ENOTFOUND, "")
	})
}

func testManagementTokens(t *testing.T, s stackgate.Store) {
	f := newFixture(t, s)
	other := newFixture(t, s)
	mt := f.newManagementToken("ci")
	must(t, s.CreateManagementToken(ctx(t), mt, []stackgate.Ref{{Kind: stackgate.RefBranch, Value: "main", Field: "scope.branches"}}, 10))

	sub(t, "Find", func(t *testing.T) {
		got, err := s.FindManagementToken(ctx(t), f.stack, mt.UID)
		must(t, err)
		diff(t, "token", mt, got)
		got, err = s.FindManagementTokenByHash(ctx(t), mt.TokenHash)
		must(t, err)
		diff(t, "token by hash", mt, got)
	})
	sub(t, "Missing", func(t *testing.T) {
		_, err := s.FindManagementToken(ctx(t), f.stack, "bltmissing")
		wantCode(t, err, stackgate.ENOTFOUND, "")
		_, err = s.FindManagementTokenByHash(ctx(t), []byte("nope"))
		wantCode(t, err, stackgate.ENOTFOUND, "")
		wantCode(t, s.DeleteManagementToken(ctx(t), f.stack, "bltmissing"), stackgate.ENOTFOUND, "")
		u := *mt
		u.UID = "bltmissing"
		wantCode(t, s.UpdateManagementToken(ctx(t), &u, nil), stackgate.ENOTFOUND, "")
	})
	sub(t, "List", func(t *testing.T) {
		empty, err := s.ListManagementTokens(ctx(t), other.stack)
		must(t, err)
		diff(t, "other stack", []*stackgate.ManagementToken{}, empty)
		got, err := s.ListManagementTokens(ctx(t), f.stack)
		must(t, err)
		diff(t, "tokens", []*stackgate.ManagementToken{mt}, got)
	})
	sub(t, "Duplicate", func(t *testing.T) {
		wantCode(t, s.CreateManagementToken(ctx(t), f.newManagementToken("ci"), nil, 0), stackgate.ECONFLICT, "name")
	})
	sub(t, "Update", func(t *testing.T) {
		u := *mt
		u.Name, u.Description, u.Scope, u.ExpiresOn, u.EmailNotification = "deploy", "changed", []stackgate.ScopeEntry{}, nil, false
		u.TokenHash = []byte("ignored") // never replaced
		u.UpdatedBy, u.UpdatedAt = "bltother", now()
		must(t, s.UpdateManagementToken(ctx(t), &u, nil))
		got, err := s.FindManagementToken(ctx(t), f.stack, mt.UID)
		must(t, err)
		u.TokenHash = mt.TokenHash
		diff(t, "token", &u, got)
		exp := time.Date(2031, 2, 3, 0, 0, 0, 0, time.UTC)
		u.ExpiresOn = &exp
		must(t, s.UpdateManagementToken(ctx(t), &u, nil))
		got, err = s.FindManagementToken(ctx(t), f.stack, mt.UID)
		must(t, err)
		diff(t, "token with expiry", &u, got)
		*mt = u
	})
	sub(t, "Limit", func(t *testing.T) {
		wantCode(t, s.CreateManagementToken(ctx(t), f.newManagementToken("two"), nil, 1), stackgate.EINVALID, "token")
		must(t, s.CreateManagementToken(ctx(t), f.newManagementToken("two"), nil, 2))
		wantCode(t, s.CreateManagementToken(ctx(t), f.newManagementToken("three"), nil, 2), stackgate.EINVALID, "token")
	})
	sub(t, "Delete", func(t *testing.T) {
		must(t, s.DeleteManagementToken(ctx(t), f.stack, mt.UID))
		_, err := s.FindManagementToken(ctx(t), f.stack, mt.UID)
		wantCode(t, err, stackgate.ENOTFOUND, "")
		_, err = s.FindManagementTokenByHash(ctx(t), mt.TokenHash)
		wantCode(t, err, stackgate.ENOTFOUND, "")
	})
}
