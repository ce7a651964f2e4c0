package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	secretpkg "github.com/stackgate/stackgate/secret"
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

// TestServeStackWebhook: serve as shipped, with no --webhook-url: a stack
// admin sets the stack's own token webhook over the API and its events
// arrive there, signed with the secret the PUT returned, for the events it
// selected. Without --webhook-allow-http and --webhook-allow-private the
// same URL (http, loopback) is refused with 422 and nothing is set.
func TestServeStackWebhook(t *testing.T) {
	got := make(chan http.Header, 10)
	bodies := make(chan []byte, 10)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r.Header.Clone()
		bodies <- b
	}))
	defer rcv.Close()
	login := func(base string) string {
		_, body := httpJSON(t, "POST", base+"/v3/user-session", nil, `{"user":{"email":"o@example.com","password":"whole-program-1"}}`)
		user, _ := body["user"].(map[string]any)
		token, _ := user["authtoken"].(string)
		if token == "" {
			t.Fatalf("login: %v", body)
		}
		return token
	}
	put := `{"token_webhook":{"url":"` + rcv.URL + `/hook","events":["created","revoked"]}}`
	// putHook sets the stack's webhook and returns its secret.
	putHook := func(t *testing.T, base string, h map[string]string) string {
		t.Helper()
		status, body := httpJSON(t, "PUT", base+"/v3/stacks/token_webhook", h, put)
		hook, _ := body["token_webhook"].(map[string]any)
		secret, _ := hook["secret"].(string)
		if status != 201 || secret == "" {
			t.Fatalf("PUT: %d %v", status, body)
		}
		return secret
	}

	t.Run("refused", func(t *testing.T) {
		db, apiKey := bootstrapDB(t, t.TempDir())
		base := "http://" + startServe(t, noEnv, "--database", db)
		h := map[string]string{"api_key": apiKey, "authtoken": login(base)}
		status, body := httpJSON(t, "PUT", base+"/v3/stacks/token_webhook", h, put)
		errs, _ := body["errors"].(map[string]any)
		if status != 422 || errs["url"] == nil {
			t.Fatalf("PUT an http loopback URL: %d %v", status, body)
		}
		https := strings.Replace(put, "http://", "https://", 1)
		if status, body = httpJSON(t, "PUT", base+"/v3/stacks/token_webhook", h, https); status != 422 ||
			!strings.Contains(fmt.Sprint(body["errors"]), "loopback") {
			t.Fatalf("PUT an https loopback URL: %d %v", status, body)
		}
		if status, _ = httpJSON(t, "GET", base+"/v3/stacks/token_webhook", h, ""); status != 422 {
			t.Fatalf("GET after refusals: %d, want 422 (none set)", status)
		}
	})

	t.Run("delivered", func(t *testing.T) {
		db, apiKey := bootstrapDB(t, t.TempDir())
		base := "http://" + startServe(t, noEnv, "--database", db, "--webhook-allow-http", "--webhook-allow-private",
			"--webhook-interval", "20ms")
		h := map[string]string{"api_key": apiKey, "authtoken": login(base)}
		secret := putHook(t, base, h)
		status, body := httpJSON(t, "POST", base+"/v3/stacks/management_tokens", h,
			`{"token":{"name":"ci","scope":[{"module":"$all","acl":{"read":true}},{"module":"branch","branches":["main"],"acl":{"read":true}}]}}`)
		tok, _ := body["token"].(map[string]any)
		if status != 201 {
			t.Fatalf("create: %d %v", status, body)
		}
		// A rotation (not selected) then a deletion (selected).
		if status, body = httpJSON(t, "POST", base+"/v3/stacks/management_tokens/"+tok["uid"].(string)+"/rotate", h, `{}`); status != 200 {
			t.Fatalf("rotate: %d %v", status, body)
		}
		rotated, _ := body["token"].(map[string]any)
		if status, _ = httpJSON(t, "DELETE", base+"/v3/stacks/management_tokens/"+tok["uid"].(string), h, ""); status != 200 {
			t.Fatalf("delete: %d", status)
		}
		var events []string
		for range 2 {
			select {
			case hd := <-got:
				b := <-bodies
				if !webhook.Verify([]byte(secret), b, hd.Get("X-Stackgate-Signature")) {
					t.Errorf("%s: the signature is not the stack secret's", hd.Get("X-Stackgate-Event"))
				}
				for _, s := range []any{tok["token"], rotated["token"], secret} {
					if strings.Contains(string(b), s.(string)) {
						t.Errorf("body %s holds a secret", b)
					}
				}
				events = append(events, hd.Get("X-Stackgate-Event"))
			case <-time.After(20 * time.Second):
				t.Fatalf("deliveries so far: %v", events)
			}
		}
		if strings.Join(events, " ") != "token.created token.revoked" {
			t.Errorf("events %v, want token.created token.revoked", events)
		}
		select {
		case hd := <-got:
			t.Errorf("an unselected event was delivered: %s", hd.Get("X-Stackgate-Event"))
		case <-time.After(300 * time.Millisecond):
		}
	})

	// The stack's webhook secret is sealed, its hash checked when it is
	// opened to sign: through an hmac key rotation (a new key first, rekey,
	// --retire-hmac, the old line removed, restarts), deliveries are still
	// signed with the same secret; the old key cannot go while it hashes it.
	t.Run("hmac rotation", func(t *testing.T) {
		dir := t.TempDir()
		db, apiKey := bootstrapDB(t, dir)
		keyFile := filepath.Join(dir, "sg.db.key")
		serve := func() (string, func() error) {
			lines, stop := serveLines(t, "--addr", "127.0.0.1:0", "--database", db, "--webhook-allow-http", "--webhook-allow-private",
				"--webhook-interval", "20ms")
			return "http://" + waitLine(t, lines, regexp.MustCompile(`addr=http://([0-9.:]+)`))[1], stop
		}
		base, stop := serve()
		h := map[string]string{"api_key": apiKey, "authtoken": login(base)}
		secret := putHook(t, base, h)
		stop()

		old, _ := os.ReadFile(keyFile)
		newHMAC := strings.Replace(lineOf(secretpkg.GenerateKeyFile(), "hmac"), "hmac h1 ", "hmac h2 ", 1)
		os.WriteFile(keyFile, []byte(newHMAC+"\n"+lineOf(old, "hmac")+"\n"+lineOf(old, "enc")+"\n"), 0o600)
		withoutH1 := filepath.Join(dir, "without-h1.key")
		os.WriteFile(withoutH1, []byte(newHMAC+"\n"+lineOf(old, "enc")+"\n"), 0o600)
		type report struct {
			Hashed map[string]map[string]int `json:"hashed_by_hmac_key"`
		}
		// Before rekey the old key still hashes the webhook secret (and the
		// session): a key file without it is refused.
		wantErr(t, cliErr(t, "rekey", "--database", db, "--secret-key-file", withoutH1), `lacks hmac key "h1", which still hashes 2 credential(s)`)
		base, stop = serve()
		if r := cliJSON[report](t, "rekey", "--database", db); r.Hashed["h2"]["token_webhook"] != 1 || r.Hashed["h1"]["token_webhook"] != 0 {
			t.Fatalf("rekey: %+v", r.Hashed)
		}
		if text, _ := cli(t, "rekey", "--database", db, "--retire-hmac", "h1"); !strings.Contains(text, "revoked 1 credential(s)") {
			t.Fatalf("retire: %s", text)
		}
		stop()

		os.Rename(withoutH1, keyFile)
		base, stop = serve()
		defer stop()
		h["authtoken"] = login(base)
		status, body := httpJSON(t, "POST", base+"/v3/stacks/management_tokens", h,
			`{"token":{"name":"after","scope":[{"module":"$all","acl":{"read":true}},{"module":"branch","branches":["main"],"acl":{"read":true}}]}}`)
		if status != 201 {
			t.Fatalf("create after the rotation: %d %v", status, body)
		}
		select {
		case hd := <-got:
			b := <-bodies
			if hd.Get("X-Stackgate-Event") != "token.created" || !webhook.Verify([]byte(secret), b, hd.Get("X-Stackgate-Signature")) {
				t.Errorf("%s after the rotation: not signed with the stack's secret", hd.Get("X-Stackgate-Event"))
			}
		case <-time.After(20 * time.Second):
			t.Fatal("no delivery after the hmac rotation")
		}
	})
}
