package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stackgate/stackgate/webhook"
)

// TestServeWebhookFlags: bad webhook flags stop serve before it listens,
// and neither the secret nor the URL's credentials are printed.
func TestServeWebhookFlags(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "sg.db")
	good, short := filepath.Join(dir, "secret"), filepath.Join(dir, "short")
	const secret = "a-webhook-secret-of-32-bytes-xyz"
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(good, []byte(secret+"\n"), 0o600))
	must(os.WriteFile(short, []byte("tiny"), 0o600))
	const credURL = "https://user:hunter2@hooks.example.com/x?sig=s3cret"
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"url without secret", []string{"--webhook-url", credURL}, "needs --webhook-secret-file"},
		{"secret without url", []string{"--webhook-secret-file", good}, "needs --webhook-url"},
		{"not http", []string{"--webhook-url", "ftp://user:hunter2@hooks.example.com/?sig=s3cret", "--webhook-secret-file", good}, "http or https"},
		{"short secret", []string{"--webhook-url", credURL, "--webhook-secret-file", short}, "at least 16 bytes"},
		{"missing secret file", []string{"--webhook-url", credURL, "--webhook-secret-file", filepath.Join(dir, "nope")}, "--webhook-secret-file"},
		{"zero attempts", []string{"--webhook-max-attempts", "0"}, "--webhook-max-attempts"},
		{"backoff above its bound", []string{"--webhook-backoff", "2h"}, "--webhook-max-backoff"},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"serve", "--addr", "127.0.0.1:0", "--database", db}, c.args...)
			var out bytes.Buffer
			err := run(context.Background(), args, func(string) string { return "" }, &out, &out)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, c.want)
			}
			for _, s := range []string{secret, "hunter2", "s3cret"} {
				if strings.Contains(out.String()+err.Error(), s) {
					t.Fatalf("%q was printed: %v", s, err)
				}
			}
		})
	}
}

// TestServeWebhook: serve with --webhook-url posts a management token's
// creation, signed with the secret file's key, and without its value.
func TestServeWebhook(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	key := []byte("a-webhook-secret-of-32-bytes-xyz")
	if err := os.WriteFile(secretFile, append(key, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	type delivery struct {
		header http.Header
		body   []byte
	}
	got := make(chan delivery, 10)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- delivery{r.Header.Clone(), b}
	}))
	defer rcv.Close()
	db, apiKey := bootstrapDB(t, dir)
	// The later --database wins over startServe's own.
	base := "http://" + startServe(t, noEnv, "--database", db, "--webhook-url", rcv.URL+"/hook",
		"--webhook-secret-file", secretFile, "--webhook-interval", "20ms")
	resp, err := http.Post(base+"/v3/user-session", "application/json",
		strings.NewReader(`{"user":{"email":"o@example.com","password":"whole-program-1"}}`))
	if err != nil {
		t.Fatal(err)
	}
	var login struct {
		User struct{ Authtoken string } `json:"user"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&login)
	resp.Body.Close()
	req, _ := http.NewRequest("POST", base+"/v3/stacks/management_tokens", strings.NewReader(
		`{"token":{"name":"ci","scope":[{"module":"$all","acl":{"read":true}},{"module":"branch","branches":["main"],"acl":{"read":true}}]}}`))
	req.Header.Set("api_key", apiKey)
	req.Header.Set("authtoken", login.User.Authtoken)
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		Token struct{ UID, Token string } `json:"token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if resp.StatusCode != 201 || created.Token.Token == "" {
		t.Fatalf("create: %d %+v", resp.StatusCode, created)
	}
	var d delivery
	select {
	case d = <-got:
	case <-time.After(20 * time.Second):
		t.Fatal("no delivery")
	}
	if !webhook.Verify(key, d.body, d.header.Get("X-Stackgate-Signature")) || d.header.Get("X-Stackgate-Event") != "token.created" ||
		d.header.Get("X-Stackgate-Delivery") == "" {
		t.Errorf("delivery headers %v body %s", d.header, d.body)
	}
	if strings.Contains(string(d.body), created.Token.Token) || !strings.Contains(string(d.body), created.Token.UID) ||
		!strings.Contains(string(d.body), apiKey) {
		t.Errorf("body %s (token uid %s)", d.body, created.Token.UID)
	}
}
