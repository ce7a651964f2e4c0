package e2e

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"
	"time"
)

// world is a running stackgate with the credentials the proxy tests use:
// a delivery token for production on main (with its preview token), a
// read-only management token ($all read), a Content Manager, and a member
// whose custom role publishes only on staging.
type world struct {
	gate                        *node
	key                         string
	owner                       string // the owner's authtoken
	delivery, preview, mgmtRead string
	contentManager, publisher   string // authtokens
}

// newWorld starts stackgate serve (with args added) and creates them.
func newWorld(t *testing.T, args ...string) *world {
	t.Helper()
	db := "sqlite:" + filepath.Join(t.TempDir(), "sg.db")
	boot := bootstrap(t, nil, db, "owner@example.com", "Proxied Stack")
	w := &world{gate: serve(t, nil, append([]string{"--database", db}, args...)...), key: boot["api_key"]}
	w.owner = login(t, w.gate.URL, "owner@example.com")
	owner := map[string]string{"api_key": w.key, "authtoken": w.owner}
	mustCall := func(path string, body any) map[string]any {
		t.Helper()
		status, got, _ := call(t, "POST", w.gate.URL+path, owner, body)
		if status != 201 && status != 200 {
			t.Fatalf("POST %s: %d %v", path, status, got)
		}
		return got
	}
	mustCall("/v3/environments", map[string]any{"environment": map[string]any{"name": "staging"}})
	branchMain := map[string]any{"module": "branch", "branches": []string{"main"}, "acl": map[string]bool{"read": true}}
	tok := mustCall("/v3/stacks/delivery_tokens?create_with_preview_token=true", map[string]any{"token": map[string]any{
		"name": "site", "scope": []any{
			map[string]any{"module": "environment", "environments": []string{"production"}, "acl": map[string]bool{"read": true}},
			branchMain}}})["token"].(map[string]any)
	w.delivery, w.preview = tok["token"].(string), tok["preview_token"].(string)
	w.mgmtRead = mustCall("/v3/stacks/management_tokens", map[string]any{"token": map[string]any{
		"name": "read-only", "scope": []any{map[string]any{"module": "$all", "acl": map[string]bool{"read": true}}, branchMain}}})["token"].(map[string]any)["token"].(string)
	mustCall("/v3/roles", map[string]any{"role": map[string]any{"name": "staging publisher", "description": "publishes on staging only",
		"rules": []any{branchMain,
			map[string]any{"module": "content_type", "content_types": []string{"$all"},
				"acl": map[string]any{"read": true, "sub_acl": map[string]bool{"read": true, "create": true, "update": true, "delete": true, "publish": true}}},
			map[string]any{"module": "environment", "environments": []string{"staging"}, "acl": map[string]bool{"read": true}}}}})
	runCmd(t, nil, "user", "add", "--database", db, "--email", "cm@example.com", "--password", "e2e-password-1",
		"--stack", w.key, "--role", "Content Manager")
	runCmd(t, nil, "user", "add", "--database", db, "--email", "publisher@example.com", "--password", "e2e-password-1",
		"--stack", w.key, "--role", "staging publisher")
	w.contentManager = login(t, w.gate.URL, "cm@example.com")
	w.publisher = login(t, w.gate.URL, "publisher@example.com")
	// user add ran beside the server: wait until it sees both members.
	for _, tok := range []string{w.contentManager, w.publisher} {
		w.waitAllowed(t, "cma", "GET", "/v3/content_types/blog/entries", map[string]string{"api_key": w.key, "authtoken": tok})
	}
	return w
}

// waitAllowed polls the gate until it allows a request (the server notices
// writes by other processes within 200 ms).
func (w *world) waitAllowed(t *testing.T, api, method, uri string, headers map[string]string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		d := w.direct(t, api, method, uri, toPairs(headers))
		if d.status == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the gate still refuses %s %s: %d %s", method, uri, d.status, d.body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func toPairs(m map[string]string) [][2]string {
	var out [][2]string
	for k, v := range m {
		out = append(out, [2]string{k, v})
	}
	return out
}

// direct asks /gate/auth?api=… itself, as nginx's auth subrequest would,
// for a request with this method, URI and headers.
func (w *world) direct(t *testing.T, api, method, uri string, headers [][2]string) rawReply {
	t.Helper()
	hs := append([][2]string{{"X-Original-Method", method}, {"X-Original-URI", uri}}, headers...)
	return rawDo(t, w.gate.URL[len("http://"):], "GET", "/gate/auth?api="+api, hs, "")
}

// errorCode is the error_code of a Contentstack JSON error body, or 0.
func errorCode(body []byte) int {
	var e struct {
		Code int `json:"error_code"`
	}
	_ = json.Unmarshal(body, &e)
	return e.Code
}
