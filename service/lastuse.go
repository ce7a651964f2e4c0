package service

import (
	"context"
	"log/slog"
	"time"

	"github.com/stackgate/stackgate"
)

// DefaultLastUseFlush is how often recorded last uses are written unless
// configured.
const DefaultLastUseFlush = 10 * time.Second

// LastUseSource is where last uses are recorded in memory (the access
// checker): taken in batches, marked once written.
type LastUseSource interface {
	LastUses() []stackgate.LastUse
	MarkFlushed([]stackgate.LastUse)
}

// FlushLastUse writes what src recorded since its last flush, in one
// store call.
func (s *Service) FlushLastUse(ctx context.Context, src LastUseSource) error {
	uses := src.LastUses()
	if len(uses) == 0 {
		return nil
	}
	if err := s.store.RecordLastUse(ctx, uses); err != nil {
		return err
	}
	src.MarkFlushed(uses)
	return nil
}

// RunLastUse flushes src every interval until ctx ends, and once more
// then, so that a clean shutdown loses nothing.
func (s *Service) RunLastUse(ctx context.Context, src LastUseSource, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := s.FlushLastUse(final, src); err != nil {
				log.Warn("last use not flushed at shutdown", "err", err)
			}
			return
		case <-t.C:
			if err := s.FlushLastUse(ctx, src); err != nil && ctx.Err() == nil {
				log.Warn("last use flush failed", "err", err)
			}
		}
	}
}
