package main

import (
	"flag"
	"fmt"
	"time"

	"github.com/stackgate/stackgate/access"
)

// outageFlags is --outage-grace: the store outage policy (access/outage.go,
// README "Store outages").
type outageFlags struct {
	grace time.Duration
	raw   string
}

const defaultOutageGrace = 30 * time.Second

func (f *outageFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&f.raw, "outage-grace", envOr(getenv, "STACKGATE_OUTAGE_GRACE", defaultOutageGrace.String()),
		"after the change listener loses the database, keep deciding from what was cached for this long (0: refuse with 503 at once; env STACKGATE_OUTAGE_GRACE)")
}

// apply checks the flag and sets the checker's config.
func (f *outageFlags) apply(cfg *access.Config) error {
	d, err := time.ParseDuration(f.raw)
	if err != nil || d < 0 {
		return fmt.Errorf("--outage-grace %q: want a duration like 30s, or 0", f.raw)
	}
	f.grace, cfg.OutageGrace = d, d
	return nil
}
