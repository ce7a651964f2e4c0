package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestServeLoginListEnvironments starts the whole program on 127.0.0.1:0
// with a temporary database, logs in and lists environments over real HTTP.
func TestServeLoginListEnvironments(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "sg.db")
	getenv := func(string) string { return "" }
	ctx := context.Background()

	var out strings.Builder
	if err := run(ctx, []string{"bootstrap", "--database", db, "--email", "o@example.com", "--password", "whole-program-1", "--stack", "S"}, getenv, &out, io.Discard); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	var boot map[string]string
	if err := json.Unmarshal([]byte(out.String()), &boot); err != nil {
		t.Fatalf("bootstrap printed %q", out.String())
	}
	for _, k := range []string{"user_uid", "email", "stack_uid", "api_key"} {
		if boot[k] == "" {
			t.Fatalf("bootstrap output lacks %s: %v", k, boot)
		}
	}
	// Twice for the same email and stack name is an error, not a second stack.
	if err := run(ctx, []string{"bootstrap", "--database", db, "--email", "o@example.com", "--password", "whole-program-1", "--stack", "S"}, getenv, io.Discard, io.Discard); err == nil {
		t.Fatal("second bootstrap of the same stack succeeded")
	}

	serveCtx, stop := context.WithCancel(ctx)
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(serveCtx, []string{"serve", "--addr", "127.0.0.1:0", "--database", db}, getenv, io.Discard, pw)
		pw.Close()
	}()
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
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("serve exited: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not log its address")
	}

	resp, err := http.Post(base+"/v3/user-session", "application/json",
		strings.NewReader(`{"user":{"email":"o@example.com","password":"whole-program-1"}}`))
	if err != nil {
		t.Fatal(err)
	}
	var loginBody struct {
		Notice string `json:"notice"`
		User   struct {
			Authtoken string `json:"authtoken"`
		} `json:"user"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&loginBody)
	resp.Body.Close()
	if resp.StatusCode != 200 || loginBody.User.Authtoken == "" || loginBody.Notice != "Login Successful." {
		t.Fatalf("login: %d %+v", resp.StatusCode, loginBody)
	}

	req, _ := http.NewRequest("GET", base+"/v3/environments", nil)
	req.Header.Set("api_key", boot["api_key"])
	req.Header.Set("authtoken", loginBody.User.Authtoken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var envs struct {
		Environments []struct {
			Name string `json:"name"`
		} `json:"environments"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&envs)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(envs.Environments) != 1 || envs.Environments[0].Name != "production" {
		t.Fatalf("environments: %d %+v", resp.StatusCode, envs)
	}

	stop() // SIGINT-equivalent: graceful shutdown
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not shut down")
	}
}

// TestPostgresNeedsKeyFile: PostgreSQL mode refuses to start without a key
// file, with a message that says why.
func TestPostgresNeedsKeyFile(t *testing.T) {
	err := run(context.Background(), []string{"serve", "--database", "postgres://127.0.0.1:1/none"},
		func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "secret-key-file") {
		t.Fatalf("err = %v, want a message about --secret-key-file", err)
	}
}

// TestServeProxyFlags: the proxy flags go in pairs and take http(s) URLs;
// a bad combination stops serve before it listens.
func TestServeProxyFlags(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "sg.db")
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"cda addr without upstream", []string{"--cda-addr", "127.0.0.1:0"}, "--cda-addr and --cda-upstream go together"},
		{"preview upstream without addr", []string{"--preview-upstream", "http://127.0.0.1:1"}, "--preview-addr and --preview-upstream go together"},
		{"upstream not http", []string{"--cda-addr", "127.0.0.1:0", "--cda-upstream", "ftp://h"}, "--cda-upstream"},
		{"upstream with a query", []string{"--cma-upstream", "http://h/?x=1"}, "--cma-upstream"},
		{"zero timeout", []string{"--cma-upstream", "http://h", "--upstream-timeout", "0s"}, "--upstream-timeout"},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"serve", "--addr", "127.0.0.1:0", "--database", db}, c.args...)
			err := run(context.Background(), args, func(string) string { return "" }, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, c.want)
			}
		})
	}
}
