package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestAppCommands: app add (the CLI's built-in app, a confidential app, a
// machine app on a stack), what each prints, the refusals, list, remove.
func TestAppCommands(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "sg.db")
	getenv := func(string) string { return "" }
	ctx := context.Background()
	sg := func(args ...string) (map[string]any, string, error) {
		t.Helper()
		var out, errOut strings.Builder
		err := run(ctx, append(args, "--database", db), getenv, &out, &errOut)
		var m map[string]any
		if err == nil && strings.HasPrefix(out.String(), "{") {
			if jerr := json.Unmarshal([]byte(out.String()), &m); jerr != nil {
				t.Fatalf("%v printed %q", args, out.String())
			}
		}
		return m, out.String(), err
	}
	boot, _, err := sg("bootstrap", "--email", "o@example.com", "--password", "whole-program-1", "--stack", "S")
	if err != nil {
		t.Fatal(err)
	}

	cli, _, err := sg("app", "add", "--name", "Contentstack CLI", "--redirect-uri", "http://localhost:8184",
		"--app-uid", "6400aa06db64de001a31c8a9", "--client-id", "Ie0FEfTzlfAHL4xM", "--scopes", "cm.roles.management:read user:read")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"app_uid": "6400aa06db64de001a31c8a9", "name": "Contentstack CLI", "client_id": "Ie0FEfTzlfAHL4xM",
		"redirect_uris": []any{"http://localhost:8184"}, "scopes": []any{"cm.roles.management:read", "user:read"}}
	if d := cmp.Diff(want, cli); d != "" {
		t.Errorf("app add (-want +got):\n%s", d)
	}

	web, _, err := sg("app", "add", "--name", "Web", "--redirect-uri", "https://a.example.com/cb", "--redirect-uri", "https://b.example.com/cb", "--client-secret")
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := web["client_secret"].(string); len(s) != 64 || len(web["client_id"].(string)) == 0 || len(web["scopes"].([]any)) < 20 {
		t.Errorf("confidential app %v: want a 64-hex secret, a client id, every scope", web)
	}
	robot, _, err := sg("app", "add", "--name", "Robot", "--machine", "--stack", boot["api_key"].(string), "--client-secret=robot-secret-1", "--scopes", "cm.roles.management:read")
	if err != nil || robot["client_secret"] != "robot-secret-1" || robot["machine"] != true || robot["stack_uid"] != boot["stack_uid"] {
		t.Fatalf("machine app %v %v", robot, err)
	}

	for _, bad := range [][]string{
		{"app", "add", "--name", "dup", "--redirect-uri", "http://x.example.com", "--client-id", "Ie0FEfTzlfAHL4xM"},
		{"app", "add", "--name", "dup", "--redirect-uri", "http://x.example.com", "--app-uid", "6400aa06db64de001a31c8a9"},
		{"app", "add", "--redirect-uri", "http://x.example.com"},
		{"app", "add", "--name", "x"},
		{"app", "add", "--name", "x", "--redirect-uri", "javascript:alert(1)"},
		{"app", "add", "--name", "x", "--redirect-uri", "http://x.example.com", "--scopes", "cm.everything:write"},
		{"app", "add", "--name", "x", "--machine"},
		{"app", "add", "--name", "x", "--machine", "--stack", "blt-no-such-stack"},
		{"app", "add", "--name", "x", "--redirect-uri", "http://x.example.com", "--stack", boot["api_key"].(string)},
		{"app", "remove", "--app-uid", "nope"},
		{"app", "remove"},
		{"app", "frobnicate"},
	} {
		if _, _, err := sg(bad...); err == nil {
			t.Errorf("%v succeeded", bad)
		}
	}

	_, out, err := sg("app", "list")
	if err != nil {
		t.Fatal(err)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 3 {
		t.Fatalf("app list %q %v", out, err)
	}
	for _, a := range list {
		if _, ok := a["client_secret"]; ok {
			t.Errorf("app list shows a secret: %v", a)
		}
	}
	if _, _, err := sg("app", "remove", "--app-uid", web["app_uid"].(string)); err != nil {
		t.Fatal(err)
	}
	_, out, _ = sg("app", "list")
	if strings.Contains(out, web["app_uid"].(string)) {
		t.Errorf("removed app still listed: %s", out)
	}
}
