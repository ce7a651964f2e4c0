package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stackgate/stackgate"
)

// testConcurrency checks the invariants that concurrent writers could break:
// token limits, and references to a target being deleted at the same time.
func testConcurrency(t *testing.T, s stackgate.Store) {
	f := newFixture(t, s)
	sub(t, "Limit", func(t *testing.T) {
		const n, limit = 6, 3
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			dt := f.newDeliveryToken(fmt.Sprintf("c%d", i))
			wg.Go(func() { errs[i] = s.CreateDeliveryToken(t.Context(), dt, nil, limit) })
		}
		wg.Wait()
		created := 0
		for _, err := range errs {
			switch {
			case err == nil:
				created++
			case stackgate.IsCode(err, stackgate.EINVALID):
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		list, err := s.ListDeliveryTokens(ctx(t), f.stack)
		must(t, err)
		if created != limit || len(list) != limit {
			t.Errorf("created %d, listed %d, want %d", created, len(list), limit)
		}
	})
	sub(t, "DeleteWhileReferenced", func(t *testing.T) {
		for round := range 5 {
			e := f.environment(t, s, fmt.Sprintf("race%d", round))
			dt := f.newDeliveryToken(fmt.Sprintf("race%d", round))
			var createErr, deleteErr error
			var wg sync.WaitGroup
			wg.Go(func() {
				createErr = s.CreateDeliveryToken(t.Context(), dt,
					[]stackgate.Ref{{Kind: stackgate.RefEnvironment, Value: e.Name, Field: "scope.environments"}}, 0)
			})
			wg.Go(func() { deleteErr = s.DeleteEnvironment(t.Context(), f.stack, e.UID) })
			wg.Wait()
			_, findErr := s.FindEnvironment(ctx(t), f.stack, e.UID)
			switch {
			case createErr == nil:
				// The token came first: the delete must have been refused.
				wantCode(t, deleteErr, stackgate.EINVALID, "environment")
				must(t, findErr)
			case deleteErr == nil:
				// The delete came first: the token must have been refused.
				wantCode(t, createErr, stackgate.EINVALID, "scope.environments")
				wantCode(t, findErr, stackgate.ENOTFOUND, "")
			default:
				t.Fatalf("both failed: create %v, delete %v", createErr, deleteErr)
			}
		}
	})
}
