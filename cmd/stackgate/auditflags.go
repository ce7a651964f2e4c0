package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/stackgate/stackgate/service"
)

// auditFlags are serve's flags for the audit log's retention.
type auditFlags struct {
	retention days
	interval  time.Duration
	envErr    error
}

func (a *auditFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	a.retention = days(service.DefaultAuditRetention)
	if v := getenv("STACKGATE_AUDIT_RETENTION"); v != "" {
		if err := a.retention.Set(v); err != nil {
			a.envErr = fmt.Errorf("STACKGATE_AUDIT_RETENTION: %w", err)
		}
	}
	fs.Var(&a.retention, "audit-retention", "how long audit log entries are kept: 90d, 720h; 0 keeps them forever (env STACKGATE_AUDIT_RETENTION)")
	fs.DurationVar(&a.interval, "audit-prune-interval", time.Hour, "how often each node deletes audit log entries past --audit-retention")
}

func (a *auditFlags) check() error {
	if a.envErr != nil {
		return a.envErr
	}
	if a.interval <= 0 {
		return errors.New("--audit-prune-interval must be positive")
	}
	return nil
}

// run prunes the audit log until ctx ends; stop waits for it.
func (a *auditFlags) run(ctx context.Context, svc *service.Service, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); svc.PruneAudit(ctx, time.Duration(a.retention), a.interval, log) }()
	return func() { cancel(); <-done }
}

// days is a duration flag that also takes whole days ("90d").
type days time.Duration

func (d *days) String() string {
	if d == nil {
		return ""
	}
	if v := time.Duration(*d); v%(24*time.Hour) == 0 {
		return strconv.Itoa(int(v/(24*time.Hour))) + "d"
	}
	return time.Duration(*d).String()
}

func (d *days) Set(s string) error {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		v, err := strconv.Atoi(n)
		if err != nil || v < 0 {
			return fmt.Errorf("%q is not a number of days", s)
		}
		*d = days(time.Duration(v) * 24 * time.Hour)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("%q is not a duration", s)
	}
	*d = days(v)
	return nil
}

// lastUseFlags are serve's flag for the last-use flush.
type lastUseFlags struct{ interval time.Duration }

func (l *lastUseFlags) register(fs *flag.FlagSet) {
	fs.DurationVar(&l.interval, "last-use-flush-interval", service.DefaultLastUseFlush,
		"how often each node writes the tokens' last uses it recorded in memory (at most 10s)")
}

func (l *lastUseFlags) check() error {
	if l.interval <= 0 || l.interval > 10*time.Second {
		return errors.New("--last-use-flush-interval must be positive and at most 10s")
	}
	return nil
}

// run flushes last uses until ctx ends (and once more then); stop waits.
func (l *lastUseFlags) run(ctx context.Context, svc *service.Service, src service.LastUseSource, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); svc.RunLastUse(ctx, src, l.interval, log) }()
	return func() { cancel(); <-done }
}
