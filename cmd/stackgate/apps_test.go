package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
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
	want := map[string]any{"app_uid": "6400aa06db64de001a31c8a9", "client_id": "Ie0FEfTzlfAHL4xM",
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
	if err != nil || robot["client_secret"] != "robot-secret-1" {
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
		if a["app_uid"] == robot["app_uid"] && (a["machine"] != true || a["stack_uid"] != boot["stack_uid"] || a["name"] != "Robot") {
			t.Errorf("app list: machine app %v", a)
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

// TestServeOAuthAbsoluteForm: the whole program, one listener answering for
// the developerhub-api, api and app hosts with absolute-form requests (as
// through an HTTP proxy): a machine app's client_credentials, its Bearer
// token on the CMA, the consent page.
func TestServeOAuthAbsoluteForm(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "sg.db")
	getenv := func(string) string { return "" }
	ctx := context.Background()
	var out strings.Builder
	if err := run(ctx, []string{"bootstrap", "--database", db, "--email", "o@example.com", "--password", "whole-program-1", "--stack", "S"}, getenv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var boot map[string]string
	_ = json.Unmarshal([]byte(out.String()), &boot)
	out.Reset()
	if err := run(ctx, []string{"app", "add", "--database", db, "--name", "Robot", "--machine", "--stack", boot["api_key"], "--scopes", "cm.roles.management:read"}, getenv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var app map[string]any
	_ = json.Unmarshal([]byte(out.String()), &app)
	addr := startServe(t, getenv, "--database", db)

	raw := func(method, target, host string, headers map[string]string, body string) (*http.Response, []byte) {
		t.Helper()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\nContent-Length: %d\r\n", method, target, host, len(body))
		for k, v := range headers {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
		b.WriteString("\r\n" + body)
		if _, err := c.Write([]byte(b.String())); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp, data
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {app["client_id"].(string)}, "client_secret": {app["client_secret"].(string)}}.Encode()
	resp, body := raw("POST", "http://developerhub-api.stackgate.test/token", "developerhub-api.stackgate.test",
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, form)
	var tok map[string]any
	if err := json.Unmarshal(body, &tok); err != nil || resp.StatusCode != 200 || tok["access_token"] == nil {
		t.Fatalf("token: %d %s", resp.StatusCode, body)
	}
	resp, body = raw("GET", "http://api.stackgate.test/v3/roles", "api.stackgate.test",
		map[string]string{"api_key": boot["api_key"], "authorization": "Bearer " + tok["access_token"].(string)}, "")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"roles"`) {
		t.Fatalf("roles with the app token: %d %s", resp.StatusCode, body)
	}
	resp, body = raw("POST", "http://developerhub-api.stackgate.test/token", "developerhub-api.stackgate.test",
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "grant_type=password")
	if resp.StatusCode != 400 || !strings.Contains(string(body), `"error":"unsupported_grant_type"`) {
		t.Fatalf("bad grant: %d %s", resp.StatusCode, body)
	}
	resp, body = raw("GET", "http://app.stackgate.test/?response_type=code&client_id=x", "app.stackgate.test", nil, "")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(body), "/consent/consent.js") {
		t.Fatalf("consent page: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}
