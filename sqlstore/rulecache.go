package sqlstore

import (
	"crypto/sha256"
	"slices"
	"sync"

	"github.com/stackgate/stackgate"
)

// Decoding a role's rules is the dearest part of loading a stack: a stack at
// the limits holds 100 roles of 100 rules, and every write to the stack
// reloads them all. Stored rules are immutable text, so decoded rules are
// kept by the hash of that text and handed out as deep copies (callers may
// change what they get). The cache holds at most ruleCacheMax role texts;
// when full it starts again.
const ruleCacheMax = 4096

type ruleCache struct {
	mu sync.Mutex
	m  map[[sha256.Size]byte][]stackgate.Rule
}

var decodedRules = &ruleCache{m: map[[sha256.Size]byte][]stackgate.Rule{}}

// decodeRules decodes stored rules text, from the cache when it has it.
func decodeRules(text string) ([]stackgate.Rule, error) {
	if len(text) < 256 { // small: decoding is as cheap as hashing
		return unmarshalRules(text)
	}
	h := sha256.Sum256([]byte(text))
	decodedRules.mu.Lock()
	rules, ok := decodedRules.m[h]
	decodedRules.mu.Unlock()
	if ok {
		return cloneRules(rules), nil
	}
	rules, err := unmarshalRules(text)
	if err != nil {
		return nil, err
	}
	decodedRules.mu.Lock()
	if len(decodedRules.m) >= ruleCacheMax {
		decodedRules.m = map[[sha256.Size]byte][]stackgate.Rule{}
	}
	decodedRules.m[h] = cloneRules(rules)
	decodedRules.mu.Unlock()
	return rules, nil
}

// cloneRules copies rules deeply: no slice or pointer is shared.
func cloneRules(rules []stackgate.Rule) []stackgate.Rule {
	if rules == nil {
		return nil
	}
	out := make([]stackgate.Rule, len(rules))
	for i, r := range rules {
		r.Branches = slices.Clone(r.Branches)
		r.BranchAliases = slices.Clone(r.BranchAliases)
		r.ContentTypes = slices.Clone(r.ContentTypes)
		r.Entries = slices.Clone(r.Entries)
		r.Assets = slices.Clone(r.Assets)
		r.Folders = slices.Clone(r.Folders)
		r.Environments = slices.Clone(r.Environments)
		r.Locales = slices.Clone(r.Locales)
		r.Taxonomies = slices.Clone(r.Taxonomies)
		r.Terms = slices.Clone(r.Terms)
		r.TaxonomyContentTypes = slices.Clone(r.TaxonomyContentTypes)
		for j := range r.TaxonomyContentTypes {
			r.TaxonomyContentTypes[j].ACL = cloneACL(r.TaxonomyContentTypes[j].ACL)
		}
		r.ACL = cloneACL(r.ACL)
		out[i] = r
	}
	return out
}

func cloneACL(a stackgate.ACL) stackgate.ACL {
	a.Read, a.Write, a.Create = cloneBool(a.Read), cloneBool(a.Write), cloneBool(a.Create)
	a.Update, a.Delete, a.Publish = cloneBool(a.Update), cloneBool(a.Delete), cloneBool(a.Publish)
	if a.SubACL != nil {
		s := cloneACL(*a.SubACL)
		a.SubACL = &s
	}
	return a
}

func cloneBool(p *bool) *bool {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
