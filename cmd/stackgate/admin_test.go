package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stackgate/stackgate/secret"
	"github.com/stackgate/stackgate/service"
)

// cli runs one command and returns stdout and stderr; a failure is fatal.
func cli(t *testing.T, args ...string) (string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if err := run(t.Context(), args, noEnv, &stdout, &stderr); err != nil {
		t.Fatalf("stackgate %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), stderr.String()
}

// cliJSON runs a command with --json and decodes what it printed.
func cliJSON[T any](t *testing.T, args ...string) T {
	t.Helper()
	out, _ := cli(t, append(args, "--json")...)
	var v T
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("stackgate %s printed %q: %v", strings.Join(args, " "), out, err)
	}
	return v
}

func cliErr(t *testing.T, args ...string) error {
	t.Helper()
	return run(t.Context(), args, noEnv, io.Discard, io.Discard)
}

func passwordFile(t *testing.T, pw string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(p, []byte(pw+"\n"), 0o600)
	return p
}

// withStdin makes the password prompt read text from a pipe (not a TTY).
func withStdin(t *testing.T, text string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	w.WriteString(text)
	w.Close()
	old := stdin
	stdin = r
	t.Cleanup(func() { stdin = old; r.Close() })
}

type usersOut struct {
	Users []userView `json:"users"`
}

func userNamed(t *testing.T, db, email string) userView {
	t.Helper()
	for _, u := range cliJSON[usersOut](t, "user", "list", "--database", db).Users {
		if u.Email == email {
			return u
		}
	}
	t.Fatalf("user list lacks %s", email)
	return userView{}
}

// TestUserCommands: user add (new and existing), list, passwd (file and
// stdin), unlock and remove, through the whole CLI.
func TestUserCommands(t *testing.T) {
	dir := t.TempDir()
	db, apiKey := bootstrapDB(t, dir)
	c := common{database: db}

	// A new user's password comes from a file, never the command line.
	out, stderr := cli(t, "user", "add", "--database", db, "--email", "dev@example.com", "--password-file", passwordFile(t, "first-password"),
		"--stack", apiKey, "--role", "Developer")
	if !strings.Contains(out, `"created":true`) || !strings.Contains(stderr, "dev@example.com created") {
		t.Fatalf("user add (new): %s %s", out, stderr)
	}
	// An existing user: made a member, password untouched, and it says so.
	out, stderr = cli(t, "user", "add", "--database", db, "--email", "dev@example.com", "--password", "other-password",
		"--stack", apiKey, "--role", "Content Manager")
	if !strings.Contains(out, `"created":false`) || !strings.Contains(stderr, "password was NOT changed") || !strings.Contains(stderr, "already existed") {
		t.Fatalf("user add (existing): %s %s", out, stderr)
	}
	var authtoken string
	withService(t, c, func(svc *service.Service) {
		u, _ := svc.UserByEmail(t.Context(), "dev@example.com")
		if !secret.VerifyPassword(u.PasswordHash, "first-password") {
			t.Fatal("user add changed an existing user's password")
		}
		var err error
		if _, authtoken, err = svc.Login(t.Context(), "dev@example.com", "first-password"); err != nil {
			t.Fatal(err)
		}
	})

	text, _ := cli(t, "user", "list", "--database", db)
	if !regexp.MustCompile(`(?m)^UID +EMAIL +FAILED LOGINS +LOCKED UNTIL\n.*o@example.com +0 +-\n.*dev@example.com +0 +-$`).MatchString(text) {
		t.Fatalf("user list:\n%s", text)
	}

	// passwd from a file: the old sessions end.
	cli(t, "user", "passwd", "--database", db, "--email", "dev@example.com", "--password-file", passwordFile(t, "second-password"))
	withService(t, c, func(svc *service.Service) {
		if _, err := svc.CurrentUser(t.Context(), authtoken); err == nil {
			t.Fatal("a session survived passwd")
		}
		u, _ := svc.UserByEmail(t.Context(), "dev@example.com")
		if !secret.VerifyPassword(u.PasswordHash, "second-password") {
			t.Fatal("passwd did not set the password from the file")
		}
	})
	// passwd from stdin (a script); too short is refused.
	withStdin(t, "third-password\n")
	cli(t, "user", "passwd", "--database", db, "--email", "dev@example.com")
	withService(t, c, func(svc *service.Service) {
		u, _ := svc.UserByEmail(t.Context(), "dev@example.com")
		if !secret.VerifyPassword(u.PasswordHash, "third-password") {
			t.Fatal("passwd did not read the password from stdin")
		}
	})
	withStdin(t, "short\n")
	wantErr(t, cliErr(t, "user", "passwd", "--database", db, "--email", "dev@example.com"), "at least 8 characters")
	wantErr(t, cliErr(t, "user", "passwd", "--database", db, "--email", "nobody@example.com", "--password-file", passwordFile(t, "whatever-1")), "no user with email nobody@example.com")

	// unlock clears a lock.
	st, err := openStore(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	dev := userNamed(t, db, "dev@example.com")
	if err := st.SetLoginFailures(t.Context(), dev.UID, 9, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if u := userNamed(t, db, "dev@example.com"); u.FailedAttempts != 9 || u.LockedUntil == nil {
		t.Fatalf("before unlock: %+v", u)
	}
	cli(t, "user", "unlock", "--database", db, "--email", "dev@example.com")
	if u := userNamed(t, db, "dev@example.com"); u.FailedAttempts != 0 || u.LockedUntil != nil {
		t.Fatalf("after unlock: %+v", u)
	}

	// remove: never the owner of a stack.
	wantErr(t, cliErr(t, "user", "remove", "--database", db, "--email", "o@example.com"), "owns a stack")
	got := cliJSON[map[string]any](t, "user", "remove", "--database", db, "--email", "dev@example.com")
	if got["done"] != "remove" {
		t.Fatalf("user remove printed %v", got)
	}
	if users := cliJSON[usersOut](t, "user", "list", "--database", db).Users; len(users) != 1 || users[0].Email != "o@example.com" {
		t.Fatalf("after remove: %+v", users)
	}
	// The password hash is never printed.
	if out, _ := cli(t, "user", "list", "--database", db, "--json"); strings.Contains(out, "argon2") {
		t.Fatalf("user list printed a hash: %s", out)
	}
}

// TestBootstrapPasswordFile: bootstrap takes the owner's password from a
// file (or the prompt), never needing it on the command line.
func TestBootstrapPasswordFile(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "sg.db")
	out, _ := cli(t, "bootstrap", "--database", db, "--email", "f@example.com", "--password-file", passwordFile(t, "from-a-file-1"), "--stack", "F")
	if !strings.Contains(out, `"api_key"`) {
		t.Fatalf("bootstrap printed %q", out)
	}
	withStdin(t, "from-stdin-22\n")
	cli(t, "bootstrap", "--database", db, "--email", "g@example.com", "--stack", "G")
	withService(t, common{database: db}, func(svc *service.Service) {
		for email, pw := range map[string]string{"f@example.com": "from-a-file-1", "g@example.com": "from-stdin-22"} {
			if u, err := svc.UserByEmail(t.Context(), email); err != nil || !secret.VerifyPassword(u.PasswordHash, pw) {
				t.Errorf("%s: %v", email, err)
			}
		}
	})
}

// TestStackList: every stack with its api_key.
func TestStackList(t *testing.T) {
	db, apiKey := bootstrapDB(t, t.TempDir())
	got := cliJSON[struct {
		Stacks []stackView `json:"stacks"`
	}](t, "stack", "list", "--database", db)
	if len(got.Stacks) != 1 || got.Stacks[0].APIKey != apiKey || got.Stacks[0].Name != "S" {
		t.Fatalf("stack list: %+v", got)
	}
	if text, _ := cli(t, "stack", "list", "--database", db); !strings.Contains(text, apiKey+"  S") {
		t.Fatalf("stack list:\n%s", text)
	}
}

type tokenOut struct {
	Token tokenView `json:"token"`
}

// TestTokenCommands: create, list and revoke; a token revoked by the CLI
// is refused by a server running beside it.
func TestTokenCommands(t *testing.T) {
	dir := t.TempDir()
	db, apiKey := bootstrapDB(t, dir)
	lines, _ := serveLines(t, "--addr", "127.0.0.1:0", "--database", db)
	base := "http://" + waitLine(t, lines, regexp.MustCompile(`addr=http://([0-9.:]+)`))[1]

	dt := cliJSON[tokenOut](t, "token", "create", "--database", db, "--stack", apiKey, "--name", "web", "--environments", "production", "--preview").Token
	if dt.Type != "delivery" || dt.Token == "" || dt.PreviewToken == "" {
		t.Fatalf("token create delivery: %+v", dt)
	}
	mt := cliJSON[tokenOut](t, "token", "create", "--database", db, "--stack", apiKey, "--type", "management", "--name", "ci",
		"--scope", `[{"module":"content_type","acl":{"read":true}},{"module":"branch","branches":["main"],"acl":{"read":true}}]`,
		"--expires-on", time.Now().AddDate(0, 1, 0).Format("2006-01-02")).Token
	if mt.Type != "management" || mt.Token == "" || mt.ExpiresOn == nil {
		t.Fatalf("token create management: %+v", mt)
	}
	wantErr(t, cliErr(t, "token", "create", "--database", db, "--stack", apiKey, "--name", "web", "--environments", "production"), "name")
	wantErr(t, cliErr(t, "token", "create", "--database", db, "--stack", apiKey, "--name", "x", "--environments", "nowhere"), "environments")
	wantErr(t, cliErr(t, "token", "create", "--database", db, "--stack", "bltnosuchstack", "--name", "x"), "no stack with api_key bltnosuchstack")

	list := cliJSON[struct {
		Tokens []tokenView `json:"tokens"`
	}](t, "token", "list", "--database", db, "--stack", apiKey)
	if len(list.Tokens) != 2 || list.Tokens[0].UID != dt.UID || !list.Tokens[0].Preview || list.Tokens[1].UID != mt.UID {
		t.Fatalf("token list: %+v", list)
	}
	for _, tv := range list.Tokens {
		if tv.Token != "" || tv.PreviewToken != "" {
			t.Fatalf("token list printed a value: %+v", tv)
		}
	}

	gate := func() int { return gateStatus(t, base, apiKey, dt.Token) }
	if s := gate(); s != 200 {
		t.Fatalf("gate with the CLI's token: %d", s)
	}
	out, _ := cli(t, "token", "revoke", "--database", db, "--stack", apiKey, "--uid", dt.UID)
	if !strings.Contains(out, "revoked delivery token "+dt.UID) {
		t.Fatalf("token revoke printed %q", out)
	}
	deadline := time.Now().Add(5 * time.Second)
	for gate() == 200 {
		if time.Now().After(deadline) {
			t.Fatal("the server still allows a token the CLI revoked")
		}
		time.Sleep(20 * time.Millisecond)
	}
	wantErr(t, cliErr(t, "token", "revoke", "--database", db, "--stack", apiKey, "--uid", dt.UID), "no delivery token")
	cli(t, "token", "revoke", "--database", db, "--stack", apiKey, "--type", "management", "--uid", mt.UID)
	if text, _ := cli(t, "token", "list", "--database", db, "--stack", apiKey); strings.TrimSpace(text) != "TYPE  UID  NAME  EXPIRES" {
		t.Fatalf("token list after revokes:\n%s", text)
	}
}
