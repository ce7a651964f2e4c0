package wire

import (
	"encoding/json"
	"testing"

	"github.com/stackgate/stackgate"
)

// FuzzDecodeRoleRules: role-rule decoding never panics, and either accepts
// rules that round-trip through their wire form or refuses them with field
// problems.
func FuzzDecodeRoleRules(f *testing.F) {
	for _, seed := range []string{
		`[{"module":"branch","branches":["main"],"acl":{"read":true}}]`,
		`[{"module":"taxonomy","taxonomies":["regions"],"terms":["regions.na"],"content_types":[{"uid":"$all","acl":{"read":true,"sub_acl":{"read":true}}}],"acl":{"read":true}}]`,
		`[{"module":"locale","locales":["en-us"],"acl":{"read":true,"sub_acl":{"create":"true"}},"restrict":true}]`,
		`[{"module":"entry","content_type":"blog","entries":["a"],"acl":{"read":true}},{"module":"branch_alias","branch_aliases":["deploy"]}]`,
		`[{"module":"nope"}]`, `[{"module":"branch","branches":"main"}]`, `{}`, `null`, `[]`, `[1]`, `"x"`,
		`[{"module":"content_type","content_types":[{"uid":1}],"acl":[]}]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if data == nil {
			return // an absent rules field; not what is fuzzed
		}
		rules, v := DecodeRoleRules(json.RawMessage(data))
		if rules == nil {
			t.Fatalf("a body with rules decoded to nil rules: %s", data)
		}
		if len(v) > 0 {
			return
		}
		b, err := json.Marshal(Rules(rules))
		if err != nil {
			t.Fatalf("accepted rules do not marshal: %v", err)
		}
		again, v2 := DecodeRoleRules(b)
		if len(v2) > 0 || len(again) != len(rules) {
			t.Fatalf("accepted rules do not round-trip: %s → %v", data, v2)
		}
	})
}

// FuzzDecodeScope: token-scope decoding never panics, for any set of
// allowed modules, and keeps only entries of allowed modules.
func FuzzDecodeScope(f *testing.F) {
	for _, seed := range []string{
		`[{"module":"environment","environments":["production"],"acl":{"read":true}},{"module":"branch","branches":["main"],"acl":{"read":true}}]`,
		`[{"module":"environment","environments":[{"name":"production","uid":"blt1"}],"acl":{"read":"true"}}]`,
		`[{"module":"$all","acl":{"read":true,"write":true}},{"module":"branch_alias","branch_aliases":["deploy"]}]`,
		`[{"module":"x"}]`, `[{"acl":true}]`, `null`, `{}`, `[null]`, `[{"module":"environment","environments":[1,null,{}]}]`,
	} {
		f.Add([]byte(seed))
	}
	allowed := map[stackgate.Module]bool{stackgate.ModuleAll: true, stackgate.ModuleEnvironment: true,
		stackgate.ModuleBranch: true, stackgate.ModuleBranchAlias: true}
	f.Fuzz(func(t *testing.T, data []byte) {
		if data == nil {
			return // an absent scope field; not what is fuzzed
		}
		entries, v := DecodeScope(json.RawMessage(data), allowed)
		if entries == nil {
			t.Fatalf("a body with a scope decoded to a nil scope: %s", data)
		}
		for _, e := range entries {
			if !allowed[e.Module] {
				t.Fatalf("kept an entry of module %q: %s", e.Module, data)
			}
		}
		if len(v) == 0 && len(entries) == 0 {
			t.Fatalf("an empty scope was accepted: %s", data)
		}
	})
}
