package sqlstore

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stackgate/stackgate"
)

// Rows as the code before the stored forms wrote them: rules in the
// Roles page's JSON (stackgate.Rule's old MarshalJSON), scopes with
// stackgate.ACL's old tags. Regenerating them would defeat the test.
const (
	oldRulesRow = `[{"module":"branch","branches":["main"],"acl":{"read":true}},{"module":"content_type","content_types":["blog"],"acl":{"read":true,"sub_acl":{"read":true,"create":false,"publish":true}}},{"module":"taxonomy","content_types":[{"uid":"$all","acl":{"read":true,"sub_acl":{"update":true}}}],"taxonomies":["regions"],"terms":["regions.na"],"acl":{"read":true}},{"module":"locale","locales":["en-us"],"acl":{"read":true,"sub_acl":{"delete":false}},"restrict":true},{"module":"locale","locales":["fr-fr"],"acl":{"read":true},"restrict":false},{"module":"entry","content_type":"blog","entries":["e1"],"acl":{"read":true,"update":true,"delete":false}},{"module":"environment","environments":["production"],"acl":{"read":true}},{"module":"content_type","content_types":[],"acl":{}}]`
	oldScopeRow = `[{"module":"environment","environments":["bltprod"],"acl":{"read":true},"metadata_uid":"m1"},{"module":"branch","branches":["main"],"acl":{"read":true,"write":false}},{"module":"branch_alias","branch_aliases":["deploy"],"acl":{"read":true,"write":true},"metadata_uid":"m3"}]`
)

// TestStoredRulesReadOldRows: rules and scopes stored before they had forms
// of their own read back as the rules they were, and are written again
// byte for byte the same, so existing databases need no migration.
func TestStoredRulesReadOldRows(t *testing.T) {
	yes, no := true, false
	wantRules := []stackgate.Rule{
		{Module: stackgate.ModuleBranch, Branches: []string{"main"}, ACL: stackgate.ACL{Read: &yes}},
		{Module: stackgate.ModuleContentType, ContentTypes: []string{"blog"},
			ACL: stackgate.ACL{Read: &yes, SubACL: &stackgate.ACL{Read: &yes, Create: &no, Publish: &yes}}},
		{Module: stackgate.ModuleTaxonomy, Taxonomies: []string{"regions"}, Terms: []string{"regions.na"}, ACL: stackgate.ACL{Read: &yes},
			TaxonomyContentTypes: []stackgate.TaxonomyContentType{{UID: stackgate.Wildcard,
				ACL: stackgate.ACL{Read: &yes, SubACL: &stackgate.ACL{Update: &yes}}}}},
		{Module: stackgate.ModuleLocale, Locales: []string{"en-us"}, ACL: stackgate.ACL{Read: &yes, SubACL: &stackgate.ACL{Delete: &no}},
			Restrict: true, HasRestrict: true},
		{Module: stackgate.ModuleLocale, Locales: []string{"fr-fr"}, ACL: stackgate.ACL{Read: &yes}, HasRestrict: true},
		{Module: stackgate.ModuleEntry, ContentType: "blog", Entries: []string{"e1"}, ACL: stackgate.ACL{Read: &yes, Update: &yes, Delete: &no}},
		{Module: stackgate.ModuleEnvironment, Environments: []string{"production"}, ACL: stackgate.ACL{Read: &yes}},
		{Module: stackgate.ModuleContentType, ContentTypes: []string{}},
	}
	wantScope := []stackgate.ScopeEntry{
		{Module: stackgate.ModuleEnvironment, Environments: []string{"bltprod"}, ACL: stackgate.ACL{Read: &yes}, MetadataUID: "m1"},
		{Module: stackgate.ModuleBranch, Branches: []string{"main"}, ACL: stackgate.ACL{Read: &yes, Write: &no}},
		{Module: stackgate.ModuleBranchAlias, BranchAliases: []string{"deploy"}, ACL: stackgate.ACL{Read: &yes, Write: &yes}, MetadataUID: "m3"},
	}
	for _, tc := range []struct {
		name   string
		row    string
		decode func(string) (any, error)
		encode func() (string, error)
		want   any
	}{
		{"rules", oldRulesRow, func(s string) (any, error) { return decodeRules(s) }, func() (string, error) { return marshalRules(wantRules) }, wantRules},
		{"scope", oldScopeRow, func(s string) (any, error) { return unmarshalScope(s) }, func() (string, error) { return marshalScope(wantScope) }, wantScope},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.decode(tc.row)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("read (-want +got):\n%s", d)
			}
			again, err := tc.encode()
			if err != nil {
				t.Fatal(err)
			}
			if again != tc.row {
				t.Errorf("written again differs:\n got %s\nwant %s", again, tc.row)
			}
		})
	}
	if rules, err := decodeRules("null"); err != nil || rules != nil {
		t.Errorf(`decodeRules("null") = %v, %v; want nil, nil`, rules, err)
	}
	if s, err := marshalRules(nil); err != nil || s != "null" {
		t.Errorf("marshalRules(nil) = %q, %v; want null", s, err)
	}
}
