package storetest

import (
	"testing"
	"time"

	"github.com/stackgate/stackgate"
)

// testRotation: a rotation replaces the value, keeps the replaced one
// (found by its hash) only with a grace window, is an audit entry, and
// reaches no other stack's token.
func testRotation(t *testing.T, s stackgate.Store) {
	f := newFixture(t, s)
	other := newFixture(t, s)
	dt := f.newDeliveryToken("site")
	dt.Preview = sealed("preview")
	must(t, s.CreateDeliveryToken(ctx(t), dt, nil, 0))
	bare := f.newDeliveryToken("bare")
	must(t, s.CreateDeliveryToken(ctx(t), bare, nil, 0))
	mt := f.newManagementToken("ci")
	must(t, s.CreateManagementToken(ctx(t), mt, nil, 0))
	theirs := other.newDeliveryToken("theirs")
	must(t, s.CreateDeliveryToken(ctx(t), theirs, nil, 0))

	at := now()
	until := at.Add(time.Hour)
	findBy := func(t *testing.T, hash []byte, preview bool) (*stackgate.DeliveryToken, error) {
		t.Helper()
		return s.FindDeliveryTokenByHash(ctx(t), hash, preview)
	}
	sub(t, "DeliveryWithGrace", func(t *testing.T) {
		next := sealed("next")
		must(t, s.RotateDeliveryToken(ctx(t), f.stack, dt.UID, next, until, "bltrotator", at))
		got, err := s.FindDeliveryToken(ctx(t), f.stack, dt.UID)
		must(t, err)
		diff(t, "secret", next, got.Secret)
		diff(t, "previous", stackgate.Rotated{Hash: dt.Secret.Hash, ExpiresAt: until}, got.Previous)
		diff(t, "updated_by", "bltrotator", got.UpdatedBy)
		for _, h := range [][]byte{next.Hash, dt.Secret.Hash} {
			byHash, err := findBy(t, h, false)
			must(t, err)
			diff(t, "found by hash", dt.UID, byHash.UID)
		}
		entries, err := s.ListAuditLogs(ctx(t), f.stack)
		must(t, err)
		if e := entries[len(entries)-1]; e.Module != stackgate.AuditDeliveryToken || e.EventType != stackgate.AuditRotate || e.ObjectUID != dt.UID || e.Title != "site" {
			t.Errorf("audit entry: %+v", e)
		}
		dt.Secret, dt.Previous = next, got.Previous
	})
	sub(t, "DeliveryWithoutGrace", func(t *testing.T) {
		old := dt.Previous.Hash
		next := sealed("again")
		must(t, s.RotateDeliveryToken(ctx(t), f.stack, dt.UID, next, time.Time{}, "bltrotator", at))
		got, err := s.FindDeliveryToken(ctx(t), f.stack, dt.UID)
		must(t, err)
		diff(t, "previous", stackgate.Rotated{}, got.Previous)
		for _, h := range [][]byte{old, dt.Secret.Hash} {
			_, err := findBy(t, h, false)
			wantCode(t, err, stackgate.ENOTFOUND, "")
		}
		dt.Secret = next
	})
	sub(t, "Preview", func(t *testing.T) {
		next := sealed("preview next")
		must(t, s.RotatePreviewToken(ctx(t), f.stack, dt.UID, next, until, "bltrotator", at))
		got, err := s.FindDeliveryToken(ctx(t), f.stack, dt.UID)
		must(t, err)
		diff(t, "preview", next, got.Preview)
		diff(t, "preview previous", stackgate.Rotated{Hash: dt.Preview.Hash, ExpiresAt: until}, got.PreviewPrev)
		diff(t, "delivery value untouched", dt.Secret, got.Secret)
		byOld, err := findBy(t, dt.Preview.Hash, true)
		must(t, err)
		diff(t, "found by the old preview hash", dt.UID, byOld.UID)
		wantCode(t, s.RotatePreviewToken(ctx(t), f.stack, bare.UID, sealed("x"), until, "", at), stackgate.ENOTFOUND, "")
		// Deleting the preview token ends the old value's grace too.
		must(t, s.SetPreviewToken(ctx(t), f.stack, dt.UID, stackgate.Sealed{}, "", at))
		_, err = findBy(t, dt.Preview.Hash, true)
		wantCode(t, err, stackgate.ENOTFOUND, "")
	})
	sub(t, "Management", func(t *testing.T) {
		next := []byte("mt-next-" + stackgate.NewUID())
		must(t, s.RotateManagementToken(ctx(t), f.stack, mt.UID, next, "h1", until, "bltrotator", at))
		got, err := s.FindManagementToken(ctx(t), f.stack, mt.UID)
		must(t, err)
		diff(t, "hash", next, got.TokenHash)
		diff(t, "previous", stackgate.Rotated{Hash: mt.TokenHash, ExpiresAt: until}, got.Previous)
		for _, h := range [][]byte{next, mt.TokenHash} {
			byHash, err := s.FindManagementTokenByHash(ctx(t), h)
			must(t, err)
			diff(t, "found by hash", mt.UID, byHash.UID)
		}
		// Deleting the token kills both values.
		must(t, s.DeleteManagementToken(ctx(t), f.stack, mt.UID))
		for _, h := range [][]byte{next, mt.TokenHash} {
			_, err := s.FindManagementTokenByHash(ctx(t), h)
			wantCode(t, err, stackgate.ENOTFOUND, "")
		}
	})
	sub(t, "Missing", func(t *testing.T) {
		before, err := s.ListAuditLogs(ctx(t), other.stack)
		must(t, err)
		wantCode(t, s.RotateDeliveryToken(ctx(t), f.stack, "bltmissing", sealed("m"), until, "", at), stackgate.ENOTFOUND, "")
		wantCode(t, s.RotateDeliveryToken(ctx(t), f.stack, theirs.UID, sealed("m"), until, "", at), stackgate.ENOTFOUND, "")
		wantCode(t, s.RotateManagementToken(ctx(t), f.stack, "bltmissing", []byte("m"), "h1", until, "", at), stackgate.ENOTFOUND, "")
		got, err := s.FindDeliveryToken(ctx(t), other.stack, theirs.UID)
		must(t, err)
		diff(t, "other stack's token", theirs.Secret, got.Secret)
		after, err := s.ListAuditLogs(ctx(t), other.stack)
		must(t, err)
		diff(t, "other stack's log", before, after)
	})
	sub(t, "DeliveryExpiry", func(t *testing.T) {
		day := time.Date(2031, 5, 10, 0, 0, 0, 0, time.UTC)
		e := f.newDeliveryToken("expiring")
		e.ExpiresOn = &day
		must(t, s.CreateDeliveryToken(ctx(t), e, nil, 0))
		got, err := s.FindDeliveryToken(ctx(t), f.stack, e.UID)
		must(t, err)
		diff(t, "expires_on", &day, got.ExpiresOn)
		got.ExpiresOn = nil
		must(t, s.UpdateDeliveryToken(ctx(t), got, nil))
		again, err := s.FindDeliveryToken(ctx(t), f.stack, e.UID)
		must(t, err)
		if again.ExpiresOn != nil {
			t.Errorf("expires_on after clearing: %v", again.ExpiresOn)
		}
	})
}
