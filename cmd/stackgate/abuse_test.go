package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stackgate/stackgate/access"
	"github.com/stackgate/stackgate/service"
)

// startServe runs "stackgate serve" with args on 127.0.0.1:0 and returns its
// address; the server stops when the test ends.
func startServe(t *testing.T, getenv func(string) string, args ...string) string {
	t.Helper()
	db := "sqlite:" + filepath.Join(t.TempDir(), "sg.db")
	ctx, stop := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--database", db}, args...), getenv, io.Discard, pw)
		pw.Close()
	}()
	t.Cleanup(func() {
		stop()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("serve did not shut down")
		}
	})
	addrRe := regexp.MustCompile(`addr=http://([0-9.:]+)`)
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := addrRe.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	select {
	case a := <-addr:
		return a
	case err := <-done:
		t.Fatalf("serve exited: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not log its address")
	}
	return ""
}

// TestServeCutsStalledBodies: with --read-timeout 300ms, connections that
// send their headers and then stall the body are closed by the server (each
// is seen closed well before the client's own 10 s deadline), and the server
// keeps answering others.
func TestServeCutsStalledBodies(t *testing.T) {
	addr := startServe(t, func(string) string { return "" }, "--read-timeout", "300ms")
	const n = 50
	conns := make([]net.Conn, n)
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, err = io.WriteString(c, "POST /v3/user-session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"+
			"Content-Length: 1000\r\n\r\n{\"user\":")
		if err != nil {
			t.Fatal(err)
		}
		conns[i] = c
	}
	start := time.Now()
	for i, c := range conns {
		_ = c.SetReadDeadline(start.Add(10 * time.Second))
		// The server answers what it could read (400: the body ended early)
		// or just closes; either way the connection reaches EOF.
		_, err := io.Copy(io.Discard, c)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("connection %d still open after 10 s: the stalled body was never cut off", i)
		}
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz after the stalled bodies: %v %v", resp, err)
	}
	resp.Body.Close()
}

// TestServeAbuseFlags: bad values of the abuse flags, the OAuth refresh
// lifetimes (oauthflags.go) and their environment variables stop serve with
// a message naming them.
func TestServeAbuseFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"bad proxy", []string{"--trusted-proxies", "10.0.0.0/8,nonsense"}, nil, "trusted-proxies"},
		{"bad proxy env", nil, map[string]string{"STACKGATE_TRUSTED_PROXIES": "300.1.1.1"}, "trusted-proxies"},
		{"bad read timeout", []string{"--read-timeout", "soon"}, nil, "read-timeout"},
		{"bad read timeout env", nil, map[string]string{"STACKGATE_READ_TIMEOUT": "-1s"}, "STACKGATE_READ_TIMEOUT"},
		{"bad refusal rate", []string{"--gate-refusal-rate", "-3"}, nil, "gate-refusal-rate"},
		{"bad cma rate limit", []string{"--cma-rate-limit", "-1"}, nil, "cma-rate-limit"},
		{"bad cma rate limit env", nil, map[string]string{"STACKGATE_CMA_RATE_LIMIT": "fast"}, "STACKGATE_CMA_RATE_LIMIT"},
		{"bad cache size", []string{"--cache-max-stacks", "x"}, nil, "cache-max-stacks"},
		{"zero limit", []string{"--max-environments", "0"}, nil, "max-environments"},
		{"bad limit env", nil, map[string]string{"STACKGATE_MAX_RULES_PER_ROLE": "many"}, "STACKGATE_MAX_RULES_PER_ROLE"},
		{"zero token limit", []string{"--max-delivery-tokens", "0"}, nil, "max-delivery-tokens"},
		{"bad password wait", []string{"--password-queue-wait", "soon"}, nil, "password-queue-wait"},
		{"bad password wait env", nil, map[string]string{"STACKGATE_PASSWORD_QUEUE_WAIT": "0s"}, "STACKGATE_PASSWORD_QUEUE_WAIT"},
		{"zero refresh ttl", []string{"--oauth-refresh-ttl", "0"}, nil, "oauth-refresh-ttl"},
		{"negative refresh ttl", []string{"--oauth-refresh-ttl", "-1h"}, nil, "oauth-refresh-ttl"},
		{"bad refresh ttl", []string{"--oauth-refresh-ttl", "soon"}, nil, "oauth-refresh-ttl"},
		{"bad refresh ttl env", nil, map[string]string{"STACKGATE_OAUTH_REFRESH_TTL": "xd"}, "STACKGATE_OAUTH_REFRESH_TTL"},
		{"zero refresh idle", []string{"--oauth-refresh-idle", "0d"}, nil, "oauth-refresh-idle"},
		{"bad refresh idle env", nil, map[string]string{"STACKGATE_OAUTH_REFRESH_IDLE": "-2d"}, "STACKGATE_OAUTH_REFRESH_IDLE"},
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

// TestAbuseFlagsReachServiceConfig: every limit of service.Config and
// access.Config that serve sets comes from its flag or environment variable.
func TestAbuseFlagsReachServiceConfig(t *testing.T) {
	var a abuseFlags
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	env := map[string]string{"STACKGATE_MAX_SESSIONS_PER_USER": "7", "STACKGATE_PASSWORD_QUEUE_WAIT": "3s"}
	a.register(fs, func(k string) string { return env[k] })
	if err := fs.Parse([]string{"--max-delivery-tokens", "5", "--max-management-tokens", "4", "--password-concurrency", "2",
		"--cache-max-stacks", "9", "--max-locales", "8"}); err != nil {
		t.Fatal(err)
	}
	var cfg service.Config
	a.service(&cfg)
	want := service.Config{DeliveryTokenLimit: 5, ManagementTokenLimit: 4, MaxSessionsPerUser: 7, PasswordConcurrency: 2,
		PasswordQueueWait: 3 * time.Second}
	if cfg.Limits.Locales != 8 {
		t.Errorf("Limits.Locales = %d, want 8", cfg.Limits.Locales)
	}
	cfg.Limits = service.StackLimits{}
	if cfg != want {
		t.Errorf("service.Config = %+v, want %+v", cfg, want)
	}
	var acc access.Config
	a.access(&acc)
	if want := (access.Config{CacheMaxStacks: 9}); acc != want {
		t.Errorf("access.Config = %+v, want %+v", acc, want)
	}
}
