package main

import (
	"bytes"
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
