package service

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/http/wire"
)

// FuzzParseRules: role-rule decoding and validation never panic, and either
// accept rules that round-trip through JSON or refuse them with field errors.
func FuzzParseRules(f *testing.F) {
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
		v := stackgate.Validation{}
		rules, refs := ParseRules(v, json.RawMessage(data))
		if len(v) > 0 {
			return
		}
		b, err := json.Marshal(wire.Rules(rules))
		if err != nil {
			t.Fatalf("accepted rules do not marshal: %v", err)
		}
		v2 := stackgate.Validation{}
		again, refs2 := ParseRules(v2, b)
		if len(v2) > 0 || len(again) != len(rules) || len(refs2) != len(refs) {
			t.Fatalf("accepted rules do not round-trip: %s → %v", data, v2)
		}
	})
}

// FuzzParseScope: token-scope decoding never panics, for both token kinds.
func FuzzParseScope(f *testing.F) {
	for _, seed := range []string{
		`[{"module":"environment","environments":["production"],"acl":{"read":true}},{"module":"branch","branches":["main"],"acl":{"read":true}}]`,
		`[{"module":"environment","environments":[{"name":"production","uid":"blt1"}],"acl":{"read":"true"}}]`,
		`[{"module":"$all","acl":{"read":true,"write":true}},{"module":"branch_alias","branch_aliases":["deploy"]}]`,
		`[{"module":"x"}]`, `[{"acl":true}]`, `null`, `{}`, `[null]`, `[{"module":"environment","environments":[1,null,{}]}]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, allowed := range []map[stackgate.Module]bool{deliveryModules, managementModules} {
			v := stackgate.Validation{}
			ps := parseScope(v, json.RawMessage(data), allowed)
			if len(ps.entries) != len(ps.envKeys) {
				t.Fatalf("entries and envKeys disagree: %d vs %d", len(ps.entries), len(ps.envKeys))
			}
			branchRefs(ps.entries)
			keepMetadataUIDs(ps.entries, nil)
		}
		parseExpiry(stackgate.Validation{}, json.RawMessage(data), time.Now())
	})
}
