package http_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"github.com/stackgate/stackgate"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stackgate/stackgate/internal/testdb"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

var (
	uidRe   = regexp.MustCompile(`"blt[0-9a-f]{8,}"`)
	tokenRe = regexp.MustCompile(`"cs[0-9a-f]{16,}"`)
	timeRe  = regexp.MustCompile(`"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"`)
	dateRe  = regexp.MustCompile(`"\d{4}-\d\d-\d\d"`)
)

// normalise replaces what changes from run to run (uids, token values,
// times) and indents, keeping the keys in the order they were sent, so the
// wire shape, key order included, is what is compared.
func normalise(t *testing.T, raw []byte) []byte {
	t.Helper()
	b := uidRe.ReplaceAll(raw, []byte(`"<uid>"`))
	b = tokenRe.ReplaceAll(b, []byte(`"<token>"`))
	b = timeRe.ReplaceAll(b, []byte(`"<time>"`))
	b = dateRe.ReplaceAll(b, []byte(`"<date>"`))
	var out bytes.Buffer
	if err := json.Indent(&out, bytes.TrimSpace(b), "", "  "); err != nil {
		t.Fatalf("not JSON: %s", raw)
	}
	out.WriteByte('\n')
	return out.Bytes()
}

func golden(t *testing.T, name string, got reply) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".json")
	norm := normalise(t, got.raw)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, norm, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./http -run Golden -update)", err)
	}
	if !bytes.Equal(want, norm) {
		t.Errorf("%s: wire shape changed (-want +got):\n%s", name, cmp.Diff(string(want), string(norm)))
	}
}

// TestGolden pins the wire shape, key order included, of token, role,
// environment, locale, branch and alias replies, single and listed.
func TestGolden(t *testing.T) {
	f := newFixture(t, testdb.SQLite)
	owner := f.as(Owner)
	do := func(method, path string, body any) reply {
		r := f.do(req{method: method, path: path, headers: owner, body: body})
		if r.status >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, r.status, r.raw)
		}
		return r
	}
	created := do("POST", "/v3/stacks/delivery_tokens?create_with_preview_token=true", dtBody("site", dtScope()))
	golden(t, "delivery_token_create", created)
	uid := created.body["token"].(map[string]any)["uid"].(string)
	golden(t, "delivery_token_fetch", do("GET", "/v3/stacks/delivery_tokens/"+uid, nil))
	golden(t, "delivery_token_list", do("GET", "/v3/stacks/delivery_tokens?include_count=true", nil))
	golden(t, "delivery_token_update", do("PUT", "/v3/stacks/delivery_tokens/"+uid, dtBody("site 2", dtScope())))
	golden(t, "preview_token_create", do("POST", "/v3/stacks/delivery_tokens/"+uid+"/preview_token", nil))
	golden(t, "delivery_token_delete", do("DELETE", "/v3/stacks/delivery_tokens/"+uid, nil))

	mt := do("POST", "/v3/stacks/management_tokens", mtBody("ci", mtScope("$all", rw), map[string]any{"expires_on": "2099-12-31"}))
	golden(t, "management_token_create", mt)
	mtUID := mt.body["token"].(map[string]any)["uid"].(string)
	golden(t, "management_token_fetch", do("GET", "/v3/stacks/management_tokens/"+mtUID, nil))
	golden(t, "management_token_list", do("GET", "/v3/stacks/management_tokens", nil))

	role := do("POST", "/v3/roles", roleBody("Editors", branchRule,
		map[string]any{"module": "content_type", "content_types": []string{"blog"}, "acl": map[string]any{"read": true, "sub_acl": map[string]any{"read": true}}}))
	golden(t, "role_create", role)
	roleUID := role.body["role"].(map[string]any)["uid"].(string)
	golden(t, "role_fetch", do("GET", "/v3/roles/"+roleUID, nil))
	golden(t, "role_fetch_rules_permissions", do("GET", "/v3/roles/"+roleUID+"?include_rules=true&include_permissions=true", nil))
	golden(t, "role_list", do("GET", `/v3/roles?include_count=true&query={"name":"Editors"}`, nil))
	golden(t, "role_list_rules_permissions", do("GET", `/v3/roles?include_rules=true&include_permissions=true&query={"uid":"`+roleUID+`"}`, nil))
	golden(t, "role_fetch_system_rules_permissions", do("GET", "/v3/roles/"+f.roleUIDs[stackgate.RoleDeveloper]+"?include_rules=true&include_permissions=true", nil))
	tax := do("POST", "/v3/roles", roleBody("Taxonomists", branchRule,
		map[string]any{"module": "content_type", "content_types": []string{"blog"}, "acl": map[string]any{"read": true}},
		map[string]any{"module": "taxonomy", "taxonomies": []string{"regions", "topics"}, "terms": []string{"regions.emea"},
			"content_types": []any{map[string]any{"uid": "news", "acl": map[string]any{"read": true, "sub_acl": map[string]any{"read": true, "update": true}}}},
			"acl":           map[string]any{"read": true}}))
	golden(t, "role_fetch_taxonomy_permissions", do("GET", "/v3/roles/"+tax.body["role"].(map[string]any)["uid"].(string)+"?include_permissions=true", nil))

	golden(t, "environment_create", do("POST", "/v3/environments", envBody("staging")))
	golden(t, "environment_fetch", do("GET", "/v3/environments/staging", nil))
	golden(t, "environment_list", do("GET", "/v3/environments?include_count=true", nil))
	golden(t, "locale_create", do("POST", "/v3/locales", map[string]any{"locale": map[string]any{"code": "fr-fr", "name": "French"}}))
	golden(t, "locale_fetch", do("GET", "/v3/locales/fr-fr", nil))
	golden(t, "locale_list", do("GET", "/v3/locales?asc=code", nil))
	golden(t, "branch_create", do("POST", "/v3/stacks/branches", map[string]any{"branch": map[string]string{"uid": "development", "source": "main"}}))
	golden(t, "branch_alias_assign", do("PUT", "/v3/stacks/branch_aliases/deploy", map[string]any{"branch_alias": map[string]string{"target_branch": "development"}}))
	golden(t, "branch_fetch", do("GET", "/v3/stacks/branches/development", nil))
	golden(t, "branch_list", do("GET", "/v3/stacks/branches?asc=uid&include_count=true", nil))
	golden(t, "branch_alias_fetch", do("GET", "/v3/stacks/branch_aliases/deploy", nil))
	golden(t, "branch_alias_list", do("GET", "/v3/stacks/branch_aliases", nil))

	golden(t, "error_not_found", f.do(req{method: "GET", path: "/v3/roles/bltnope", headers: owner}))
	golden(t, "error_no_stack", f.do(req{method: "GET", path: "/v3/roles", headers: map[string]string{"api_key": "bltnope"}}))
}
