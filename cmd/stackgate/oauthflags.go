package main

import (
	"flag"
	"fmt"
	"time"

	"github.com/stackgate/stackgate/service"
)

// oauthFlags are serve's flags for OAuth refresh tokens' lifetimes.
type oauthFlags struct {
	refreshTTL, refreshIdle days
	envErr                  error
}

func (o *oauthFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	for _, f := range []struct {
		p         *days
		def       time.Duration
		name, env string
		usage     string
	}{
		{&o.refreshTTL, service.DefaultOAuthRefreshTTL, "oauth-refresh-ttl", "STACKGATE_OAUTH_REFRESH_TTL",
			"how long an OAuth sign-in's refresh tokens work, from the code exchange, whatever the rotations: 90d, 720h"},
		{&o.refreshIdle, service.DefaultOAuthRefreshIdle, "oauth-refresh-idle", "STACKGATE_OAUTH_REFRESH_IDLE",
			"how long an OAuth refresh token may go unused before it is spent: 30d, 720h (at least --oauth-refresh-ttl: no idle limit)"},
	} {
		*f.p = days(f.def)
		if v := getenv(f.env); v != "" {
			if err := f.p.Set(v); err != nil && o.envErr == nil {
				o.envErr = fmt.Errorf("%s: %w", f.env, err)
			}
		}
		fs.Var(f.p, f.name, fmt.Sprintf("%s (env %s)", f.usage, f.env))
	}
}

func (o *oauthFlags) check() error {
	if o.envErr != nil {
		return o.envErr
	}
	if o.refreshTTL <= 0 {
		return fmt.Errorf("--oauth-refresh-ttl must be positive")
	}
	if o.refreshIdle <= 0 {
		return fmt.Errorf("--oauth-refresh-idle must be positive")
	}
	return nil
}

// service sets the service's side of the flags.
func (o *oauthFlags) service(cfg *service.Config) {
	cfg.OAuthRefreshTTL, cfg.OAuthRefreshIdle = time.Duration(o.refreshTTL), time.Duration(o.refreshIdle)
}
