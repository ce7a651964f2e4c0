package sqlstore

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/stackgate/stackgate"
)

// The stored forms of rules and ACLs. The domain types carry no JSON tags
// and their wire form belongs to the HTTP layer, which may change without a
// migration of stored rows; these may not. They keep the keys every stored
// row was written with (the Roles page's, which the rules column held
// before it had a form of its own), so rows written by any version read
// back: TestStoredRulesReadOldRows holds them to such a row.

// storedACL is the stored form of stackgate.ACL; a sub_acl is one too.
// Rights never given stay absent.
type storedACL struct {
	Read    *bool      `json:"read,omitempty"`
	Write   *bool      `json:"write,omitempty"`
	Create  *bool      `json:"create,omitempty"`
	Update  *bool      `json:"update,omitempty"`
	Delete  *bool      `json:"delete,omitempty"`
	Publish *bool      `json:"publish,omitempty"`
	SubACL  *storedACL `json:"sub_acl,omitempty"`
}

func storeACL(a stackgate.ACL) storedACL {
	s := storedACL{Read: a.Read, Write: a.Write, Create: a.Create, Update: a.Update, Delete: a.Delete, Publish: a.Publish}
	if a.SubACL != nil {
		sub := storeACL(*a.SubACL)
		s.SubACL = &sub
	}
	return s
}

func (s storedACL) acl() stackgate.ACL {
	a := stackgate.ACL{Read: s.Read, Write: s.Write, Create: s.Create, Update: s.Update, Delete: s.Delete, Publish: s.Publish}
	if s.SubACL != nil {
		sub := s.SubACL.acl()
		a.SubACL = &sub
	}
	return a
}

// storedRule is the stored form of stackgate.Rule. content_types holds uids,
// except in the taxonomy module, where it holds storedTaxonomyContentTypes.
// restrict is present when the rule was given one.
type storedRule struct {
	Module        stackgate.Module `json:"module"`
	Branches      []string         `json:"branches,omitempty"`
	BranchAliases []string         `json:"branch_aliases,omitempty"`
	ContentTypes  json.RawMessage  `json:"content_types,omitempty"`
	ContentType   string           `json:"content_type,omitempty"`
	Entries       []string         `json:"entries,omitempty"`
	Assets        []string         `json:"assets,omitempty"`
	Folders       []string         `json:"folders,omitempty"`
	Environments  []string         `json:"environments,omitempty"`
	Locales       []string         `json:"locales,omitempty"`
	Taxonomies    []string         `json:"taxonomies,omitempty"`
	Terms         []string         `json:"terms,omitempty"`
	ACL           storedACL        `json:"acl"`
	Restrict      *bool            `json:"restrict,omitempty"`
}

type storedTaxonomyContentType struct {
	UID string    `json:"uid"`
	ACL storedACL `json:"acl"`
}

// marshalRules renders rules for storage; nil stays null so it reads back nil.
func marshalRules(rules []stackgate.Rule) (string, error) {
	if rules == nil {
		return "null", nil
	}
	out := make([]storedRule, len(rules))
	for i, r := range rules {
		s := storedRule{Module: r.Module, Branches: r.Branches, BranchAliases: r.BranchAliases,
			ContentType: r.ContentType, Entries: r.Entries, Assets: r.Assets, Folders: r.Folders,
			Environments: r.Environments, Locales: r.Locales, Taxonomies: r.Taxonomies, Terms: r.Terms,
			ACL: storeACL(r.ACL)}
		var err error
		switch {
		case r.Module == stackgate.ModuleTaxonomy && r.TaxonomyContentTypes != nil:
			cts := make([]storedTaxonomyContentType, len(r.TaxonomyContentTypes))
			for j, ct := range r.TaxonomyContentTypes {
				cts[j] = storedTaxonomyContentType{UID: ct.UID, ACL: storeACL(ct.ACL)}
			}
			s.ContentTypes, err = json.Marshal(cts)
		case r.ContentTypes != nil:
			s.ContentTypes, err = json.Marshal(r.ContentTypes)
		}
		if err != nil {
			return "", err
		}
		if r.HasRestrict || r.Restrict {
			s.Restrict = &r.Restrict
		}
		out[i] = s
	}
	return marshal(out)
}

// unmarshalRules reads stored rules (decodeRules caches it).
func unmarshalRules(text string) ([]stackgate.Rule, error) {
	var in []storedRule
	if err := unmarshal(text, &in); err != nil {
		return nil, err
	}
	if in == nil {
		return nil, nil
	}
	out := make([]stackgate.Rule, len(in))
	for i, s := range in {
		r := stackgate.Rule{Module: s.Module, Branches: s.Branches, BranchAliases: s.BranchAliases,
			ContentType: s.ContentType, Entries: s.Entries, Assets: s.Assets, Folders: s.Folders,
			Environments: s.Environments, Locales: s.Locales, Taxonomies: s.Taxonomies, Terms: s.Terms,
			ACL: s.ACL.acl()}
		if s.Restrict != nil {
			r.Restrict, r.HasRestrict = *s.Restrict, true
		}
		if len(s.ContentTypes) > 0 && !bytes.Equal(s.ContentTypes, []byte("null")) {
			if err := s.contentTypes(&r); err != nil {
				return nil, fmt.Errorf("decode stored rule %d: content_types: %w", i, err)
			}
		}
		out[i] = r
	}
	return out, nil
}

func (s storedRule) contentTypes(r *stackgate.Rule) error {
	if s.Module != stackgate.ModuleTaxonomy {
		return json.Unmarshal(s.ContentTypes, &r.ContentTypes)
	}
	var cts []storedTaxonomyContentType
	if err := json.Unmarshal(s.ContentTypes, &cts); err != nil {
		return err
	}
	r.TaxonomyContentTypes = make([]stackgate.TaxonomyContentType, len(cts))
	for i, ct := range cts {
		r.TaxonomyContentTypes[i] = stackgate.TaxonomyContentType{UID: ct.UID, ACL: ct.ACL.acl()}
	}
	return nil
}
