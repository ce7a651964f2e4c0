package storetest

import (
	"testing"
	"time"

	"github.com/stackgate/stackgate"
)

// testLastUse: a batch of last uses is written, each only forward (the
// latest wins whichever node flushes last), tokens gone are skipped, and it
// announces nothing.
func testLastUse(t *testing.T, s stackgate.Store) {
	f := newFixture(t, s)
	dt := f.newDeliveryToken("site")
	dt.Preview = sealed("preview")
	must(t, s.CreateDeliveryToken(ctx(t), dt, nil, 0))
	mt := f.newManagementToken("ci")
	must(t, s.CreateManagementToken(ctx(t), mt, nil, 0))
	heard := 0
	s.OnCommit(func(stackgate.Change) { heard++ })
	t1 := time.Date(2031, 1, 1, 10, 0, 0, 0, time.UTC)
	t0, t2 := t1.Add(-time.Minute), t1.Add(time.Minute)
	read := func(t *testing.T) []time.Time {
		t.Helper()
		d, err := s.FindDeliveryToken(ctx(t), f.stack, dt.UID)
		must(t, err)
		m, err := s.FindManagementToken(ctx(t), f.stack, mt.UID)
		must(t, err)
		return []time.Time{d.LastUsedAt, d.PreviewUsed, m.LastUsedAt}
	}
	diff(t, "never used", []time.Time{{}, {}, {}}, read(t))
	must(t, s.RecordLastUse(ctx(t), []stackgate.LastUse{
		{Kind: stackgate.LastUseDelivery, StackUID: f.stack, TokenUID: dt.UID, At: t1},
		{Kind: stackgate.LastUsePreview, StackUID: f.stack, TokenUID: dt.UID, At: t2},
		{Kind: stackgate.LastUseManagement, StackUID: f.stack, TokenUID: mt.UID, At: t1},
		{Kind: stackgate.LastUseDelivery, StackUID: f.stack, TokenUID: "bltgone", At: t1},
	}))
	diff(t, "after a flush", []time.Time{t1, t2, t1}, read(t))
	// Another node's older view never moves them back; a newer one does.
	must(t, s.RecordLastUse(ctx(t), []stackgate.LastUse{
		{Kind: stackgate.LastUseDelivery, StackUID: f.stack, TokenUID: dt.UID, At: t0},
		{Kind: stackgate.LastUseManagement, StackUID: f.stack, TokenUID: mt.UID, At: t2},
	}))
	diff(t, "latest wins", []time.Time{t1, t2, t2}, read(t))
	must(t, s.RecordLastUse(ctx(t), nil))
	diff(t, "changes announced", 0, heard)
}
