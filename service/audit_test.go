package service_test

import (
	"testing"
	"time"

	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/secret"
	"github.com/stackgate/stackgate/service"
)

// TestPruneAudit: entries are kept for the retention and deleted after it,
// by the service's clock.
func TestPruneAudit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		st := open(t)
		keys, _ := secret.ParseKeyFile(secret.GenerateKeyFile())
		svc := service.New(st, keys, service.Config{}, nil)
		u, _, err := svc.EnsureUser(t.Context(), "owner@example.com", "owner-password")
		if err != nil {
			t.Fatal(err)
		}
		stack, err := svc.CreateStack(t.Context(), u, "S")
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		for _, tc := range []struct {
			after time.Duration
			want  int // entries left
		}{{89 * 24 * time.Hour, 1}, {91 * 24 * time.Hour, 0}} {
			svc.Now = func() time.Time { return start.Add(tc.after) }
			if _, err := svc.PruneAuditOnce(t.Context(), service.DefaultAuditRetention); err != nil {
				t.Fatal(err)
			}
			logs, err := svc.AuditLogs(t.Context(), stack.UID)
			if err != nil {
				t.Fatal(err)
			}
			if len(logs) != tc.want {
				t.Errorf("%v later: %d entries, want %d", tc.after, len(logs), tc.want)
			}
		}
	})
}
