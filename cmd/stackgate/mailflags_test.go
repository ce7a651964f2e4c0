package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeMailFlags: bad mail flags stop serve before it listens, and the
// SMTP password never appears in what it prints.
func TestServeMailFlags(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "sg.db")
	pw := filepath.Join(dir, "pw")
	const password = "hunter2-smtp-password"
	if err := os.WriteFile(pw, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"bad tls mode", []string{"--smtp-tls", "ssl"}, nil, "--smtp-tls"},
		{"bad tls mode from env", nil, map[string]string{"STACKGATE_SMTP_TLS": "yes"}, "--smtp-tls"},
		{"zero interval", []string{"--notify-interval", "0s"}, nil, "--notify-interval"},
		{"username without addr", []string{"--smtp-username", "u"}, nil, "need --smtp-addr"},
		{"addr without from", []string{"--smtp-addr", "127.0.0.1:25"}, nil, "--smtp-from"},
		{"addr not host:port", []string{"--smtp-addr", "mail.example.com", "--smtp-from", "a@example.com"}, nil, "HOST:PORT"},
		{"from not an address", []string{"--smtp-addr", "127.0.0.1:25", "--smtp-from", "nobody"}, nil, "--smtp-from"},
		{"username without password file", []string{"--smtp-addr", "127.0.0.1:25", "--smtp-from", "a@example.com", "--smtp-username", "u"}, nil, "go together"},
		{"password file missing", []string{"--smtp-addr", "127.0.0.1:25", "--smtp-from", "a@example.com", "--smtp-username", "u", "--smtp-password-file", filepath.Join(dir, "nope")}, nil, "--smtp-password-file"},
		{"ca file not PEM", []string{"--smtp-addr", "127.0.0.1:25", "--smtp-from", "a@example.com", "--smtp-username", "u", "--smtp-password-file", pw, "--smtp-ca-file", pw}, nil, "no PEM certificate"},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"serve", "--addr", "127.0.0.1:0", "--database", db}, c.args...)
			var out bytes.Buffer
			err := run(context.Background(), args, func(k string) string { return c.env[k] }, &out, &out)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, c.want)
			}
			if strings.Contains(out.String()+err.Error(), password) {
				t.Fatal("the SMTP password was printed")
			}
		})
	}
}
