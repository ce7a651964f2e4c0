package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"sqlite:./stackgate.db", "sqlite:./stackgate.db"},
		{"postgres://sg@db:5432/sg?sslmode=verify-full", "postgres://sg@db:5432/sg?sslmode=verify-full"},
		{"postgres://sg:s3cret@db:5432/sg", "postgres://sg:***@db:5432/sg"},
		{"postgres://sg@db/sg?password=s3cret&sslmode=require", "postgres://sg@db/sg?password=***&sslmode=require"},
		{"postgres://sg:s3c%ret@db/sg", "postgres://(unparsable; not shown)"},
		{"postgresql://sg:s3cret@[::1/sg", "postgresql://(unparsable; not shown)"},
		{"host=db user=sg password=s3cret", "(a connection string that is not a URL; not shown)"},
		{"http://user:s3cret@upstream:8080/", "http://user:***@upstream:8080/"},
	} {
		if got := redact(c.in); got != c.want {
			t.Errorf("redact(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestDatabaseURLNeverEchoed: whatever is wrong with a database URL, the
// password in it reaches neither the error nor the output.
func TestDatabaseURLNeverEchoed(t *testing.T) {
	for _, u := range []string{
		"postgres://u:s3cretpw@127.0.0.1:notaport/db",
		"postgres://u:s3cretpw@127.0.0.1:1/db",
		"postgres://u:s3c%retpw@h/db",
		"postgresql://u:s3cretpw@[::1/db",
		"postgres://127.0.0.1:1/db?password=s3cretpw",
		"host=127.0.0.1 port=1 password=s3cretpw",
		"mysql://u:s3cretpw@h/db",
	} {
		for _, cmd := range []string{"migrate", "serve"} {
			var out bytes.Buffer
			err := run(t.Context(), []string{cmd, "--database", u, "--secret-key-file", "/nonexistent"}, noEnv, &out, &out)
			if err == nil {
				t.Fatalf("%s %s succeeded", cmd, u)
			}
			if strings.Contains(err.Error()+out.String(), "s3cret") {
				t.Errorf("%s %s: the password is echoed: %v %s", cmd, u, err, out.String())
			}
		}
	}
}

// TestServeFailureLoggedInFormat: once serve has its logger, its last
// words (here: a bad flag combination) are a line in --log-format, and
// main does not print them again.
func TestServeFailureLoggedInFormat(t *testing.T) {
	db := "sqlite:" + t.TempDir() + "/sg.db"
	var stderr bytes.Buffer
	err := run(t.Context(), []string{"serve", "--database", db, "--log-format", "json", "--cda-addr", "127.0.0.1:0"}, noEnv, &bytes.Buffer{}, &stderr)
	if err == nil || !errors.As(err, new(loggedError)) {
		t.Fatalf("err = %v, want one already logged", err)
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	for _, l := range lines {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) != nil {
			t.Errorf("not a JSON line: %s", l)
		}
	}
	if last := lines[len(lines)-1]; !strings.Contains(last, `"msg":"stackgate stopped"`) || !strings.Contains(last, "--cda-addr and --cda-upstream go together") {
		t.Fatalf("last line %s", last)
	}
}
