package service

import (
	"context"
	"log/slog"
	"time"

	"github.com/stackgate/stackgate"
)

// AuditLogPage returns one page of the stack's audit log, newest first,
// and the log's length.
func (s *Service) AuditLogPage(ctx context.Context, stackUID string, skip, limit int) ([]*stackgate.AuditEntry, int, error) {
	return s.store.ListAuditLogPage(ctx, stackUID, skip, limit)
}

// AuditLogs returns the stack's audit log, oldest first (the HTTP list shows it newest first).
func (s *Service) AuditLogs(ctx context.Context, stackUID string) ([]*stackgate.AuditEntry, error) {
	return s.store.ListAuditLogs(ctx, stackUID)
}

// AuditLog returns one entry of the stack's log.
func (s *Service) AuditLog(ctx context.Context, stackUID, uid string) (*stackgate.AuditEntry, error) {
	return s.store.FindAuditLog(ctx, stackUID, uid)
}

// RecordAuditResponse adds a request's response to the entries it wrote
// (the store removes its secrets).
func (s *Service) RecordAuditResponse(ctx context.Context, requestID string, response []byte) error {
	return s.store.SetAuditResponse(ctx, requestID, response)
}

// DefaultAuditRetention is how long entries are kept unless configured.
const DefaultAuditRetention = 90 * 24 * time.Hour

// PruneAudit runs until ctx ends, deleting every interval the entries older
// than retention (no pruning when retention <= 0). Every node may run it:
// a delete by age is the same whoever runs it.
func (s *Service) PruneAudit(ctx context.Context, retention, interval time.Duration, log *slog.Logger) {
	if retention <= 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := s.PruneAuditOnce(ctx, retention)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("audit log pruning failed", "err", err)
		case n > 0:
			log.Info("audit log pruned", "entries", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// PruneAuditOnce deletes the entries older than retention (by the service's
// clock) and returns how many.
func (s *Service) PruneAuditOnce(ctx context.Context, retention time.Duration) (int, error) {
	return s.store.PruneAuditLogs(ctx, s.Now().Add(-retention))
}
