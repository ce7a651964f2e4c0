package main

import (
	"context"
	"flag"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stackgate/stackgate/service"
)

// TestServeOAuthFlags: bad values of --oauth-refresh-ttl and
// --oauth-refresh-idle, or of their environment variables, stop serve with a
// message naming them.
func TestServeOAuthFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"zero ttl", []string{"--oauth-refresh-ttl", "0"}, nil, "oauth-refresh-ttl"},
		{"negative ttl", []string{"--oauth-refresh-ttl", "-1h"}, nil, "oauth-refresh-ttl"},
		{"bad ttl", []string{"--oauth-refresh-ttl", "soon"}, nil, "oauth-refresh-ttl"},
		{"bad ttl env", nil, map[string]string{"STACKGATE_OAUTH_REFRESH_TTL": "xd"}, "STACKGATE_OAUTH_REFRESH_TTL"},
		{"zero idle", []string{"--oauth-refresh-idle", "0d"}, nil, "oauth-refresh-idle"},
		{"bad idle env", nil, map[string]string{"STACKGATE_OAUTH_REFRESH_IDLE": "-2d"}, "STACKGATE_OAUTH_REFRESH_IDLE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := "sqlite:" + filepath.Join(t.TempDir(), "sg.db")
			var stderr strings.Builder
			err := run(context.Background(), append([]string{"serve", "--addr", "127.0.0.1:0", "--database", db}, tc.args...),
				func(k string) string { return tc.env[k] }, io.Discard, &stderr)
			if err == nil || !strings.Contains(err.Error()+stderr.String(), tc.want) {
				t.Fatalf("err = %v (stderr %q), want a message naming %s", err, stderr.String(), tc.want)
			}
		})
	}
}

// TestOAuthFlagsReachServiceConfig: the flags (days or durations) and their
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
