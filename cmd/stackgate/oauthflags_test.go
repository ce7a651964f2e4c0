package main

import (
	"flag"
	"testing"
	"time"

	"github.com/stackgate/stackgate/service"
)

// TestOAuthFlagsReachServiceConfig (bad values: TestServeAbuseFlags): the flags (days or durations) and their
// environment variables set service.Config; unset, the defaults.
func TestOAuthFlagsReachServiceConfig(t *testing.T) {
	for _, tc := range []struct {
		args      []string
		env       map[string]string
		ttl, idle time.Duration
	}{
		{nil, nil, service.DefaultOAuthRefreshTTL, service.DefaultOAuthRefreshIdle},
		{[]string{"--oauth-refresh-ttl", "30d", "--oauth-refresh-idle", "36h"}, nil, 30 * 24 * time.Hour, 36 * time.Hour},
		{nil, map[string]string{"STACKGATE_OAUTH_REFRESH_TTL": "7d", "STACKGATE_OAUTH_REFRESH_IDLE": "1d"}, 7 * 24 * time.Hour, 24 * time.Hour},
	} {
		var o oauthFlags
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		o.register(fs, func(k string) string { return tc.env[k] })
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		if err := o.check(); err != nil {
			t.Fatal(err)
		}
		var cfg service.Config
		o.service(&cfg)
		if cfg.OAuthRefreshTTL != tc.ttl || cfg.OAuthRefreshIdle != tc.idle {
			t.Errorf("%v %v: ttl %v idle %v, want %v %v", tc.args, tc.env, cfg.OAuthRefreshTTL, cfg.OAuthRefreshIdle, tc.ttl, tc.idle)
		}
	}
}
