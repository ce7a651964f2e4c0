// Package wire is the Contentstack wire form of role rules and ACLs: how
// the Roles and Tokens pages (and the SDKs) write them, the .NET SDK's
// "true"/"false" strings included, and how replies render them. The
// domain types at the root carry no JSON of their own, and the SQL store
// keeps its own stored form, so neither changes with this one.
//
// It also decodes the rules of a role body and the scope of a token body
// (decode.go) into the typed values the use cases take. It is a package of
// its own, beside http, so that tests and tools that call the use cases
// directly can decode the same way without the server; nothing below the
// HTTP layer imports it (layering_test.go at the root).
package wire

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/stackgate/stackgate"
)

// Bool is a JSON boolean that also accepts the strings "true" and "false".
// It renders as a plain boolean.
type Bool bool

// UnmarshalJSON accepts true, false, "true" and "false".
func (b *Bool) UnmarshalJSON(data []byte) error {
	switch string(data) {
	case "true", `"true"`:
		*b = true
	case "false", `"false"`:
		*b = false
	default:
		return fmt.Errorf("expected a boolean, got %s", data)
	}
	return nil
}

// ACL is a stackgate.ACL in its wire form: the keys given come back out,
// absent ones stay absent.
type ACL stackgate.ACL

// aclJSON is the acl object. Its sub_acl has no write and no sub_acl of
// its own: keys there other than the five rights are ignored, as they
// always were.
type aclJSON struct {
	Read    *Bool       `json:"read,omitempty"`
	Write   *Bool       `json:"write,omitempty"`
	Create  *Bool       `json:"create,omitempty"`
	Update  *Bool       `json:"update,omitempty"`
	Delete  *Bool       `json:"delete,omitempty"`
	Publish *Bool       `json:"publish,omitempty"`
	SubACL  *subACLJSON `json:"sub_acl,omitempty"`
}

type subACLJSON struct {
	Read    *Bool `json:"read,omitempty"`
	Create  *Bool `json:"create,omitempty"`
	Update  *Bool `json:"update,omitempty"`
	Delete  *Bool `json:"delete,omitempty"`
	Publish *Bool `json:"publish,omitempty"`
}

// MarshalJSON renders the rights that are set, booleans as booleans.
func (a ACL) MarshalJSON() ([]byte, error) {
	j := aclJSON{Read: (*Bool)(a.Read), Write: (*Bool)(a.Write), Create: (*Bool)(a.Create),
		Update: (*Bool)(a.Update), Delete: (*Bool)(a.Delete), Publish: (*Bool)(a.Publish)}
	if s := a.SubACL; s != nil {
		j.SubACL = &subACLJSON{Read: (*Bool)(s.Read), Create: (*Bool)(s.Create), Update: (*Bool)(s.Update),
			Delete: (*Bool)(s.Delete), Publish: (*Bool)(s.Publish)}
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads an acl object, accepting string booleans.
func (a *ACL) UnmarshalJSON(data []byte) error {
	var j aclJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*a = ACL{Read: (*bool)(j.Read), Write: (*bool)(j.Write), Create: (*bool)(j.Create),
		Update: (*bool)(j.Update), Delete: (*bool)(j.Delete), Publish: (*bool)(j.Publish)}
	if s := j.SubACL; s != nil {
		a.SubACL = &stackgate.ACL{Read: (*bool)(s.Read), Create: (*bool)(s.Create), Update: (*bool)(s.Update),
			Delete: (*bool)(s.Delete), Publish: (*bool)(s.Publish)}
	}
	return nil
}

// Rule is a stackgate.Rule in the Roles page's form: only the fields
// present in the request come back out.
type Rule stackgate.Rule

// Rules converts domain rules for rendering; nil stays nil.
func Rules(rules []stackgate.Rule) []Rule {
	if rules == nil {
		return nil
	}
	out := make([]Rule, len(rules))
	for i, r := range rules {
		out[i] = Rule(r)
	}
	return out
}

// ruleJSON is the rule object. content_types is a list of uids, except in
// the taxonomy module, where it is a list of {uid, acl} objects.
type ruleJSON struct {
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
	ACL           ACL              `json:"acl"`
	Restrict      *bool            `json:"restrict,omitempty"`
}

// TaxonomyContentType is one {uid, acl} object of a taxonomy rule's content_types.
type TaxonomyContentType struct {
	UID string `json:"uid"`
	ACL ACL    `json:"acl"`
}

// MarshalJSON renders the rule as the Roles page shows it.
func (r Rule) MarshalJSON() ([]byte, error) {
	j := ruleJSON{Module: r.Module, Branches: r.Branches, BranchAliases: r.BranchAliases,
		ContentType: r.ContentType, Entries: r.Entries, Assets: r.Assets, Folders: r.Folders,
		Environments: r.Environments, Locales: r.Locales, Taxonomies: r.Taxonomies, Terms: r.Terms, ACL: ACL(r.ACL)}
	var err error
	switch {
	case r.Module == stackgate.ModuleTaxonomy && r.TaxonomyContentTypes != nil:
		cts := make([]TaxonomyContentType, len(r.TaxonomyContentTypes))
		for i, ct := range r.TaxonomyContentTypes {
			cts[i] = TaxonomyContentType{UID: ct.UID, ACL: ACL(ct.ACL)}
		}
		j.ContentTypes, err = json.Marshal(cts)
	case r.ContentTypes != nil:
		j.ContentTypes, err = json.Marshal(r.ContentTypes)
	}
	if err != nil {
		return nil, err
	}
	if r.HasRestrict || r.Restrict {
		restrict := r.Restrict
		j.Restrict = &restrict
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads a rule.
func (r *Rule) UnmarshalJSON(b []byte) error {
	var j ruleJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = Rule{Module: j.Module, Branches: j.Branches, BranchAliases: j.BranchAliases,
		ContentType: j.ContentType, Entries: j.Entries, Assets: j.Assets, Folders: j.Folders,
		Environments: j.Environments, Locales: j.Locales, Taxonomies: j.Taxonomies, Terms: j.Terms, ACL: stackgate.ACL(j.ACL)}
	if j.Restrict != nil {
		r.Restrict, r.HasRestrict = *j.Restrict, true
	}
	if len(j.ContentTypes) == 0 || bytes.Equal(j.ContentTypes, []byte("null")) {
		return nil
	}
	if j.Module != stackgate.ModuleTaxonomy {
		if err := json.Unmarshal(j.ContentTypes, &r.ContentTypes); err != nil {
			return fmt.Errorf("content_types: %w", err)
		}
		return nil
	}
	var cts []TaxonomyContentType
	if err := json.Unmarshal(j.ContentTypes, &cts); err != nil {
		return fmt.Errorf("content_types: %w", err)
	}
	r.TaxonomyContentTypes = make([]stackgate.TaxonomyContentType, len(cts))
	for i, ct := range cts {
		r.TaxonomyContentTypes[i] = stackgate.TaxonomyContentType{UID: ct.UID, ACL: stackgate.ACL(ct.ACL)}
	}
	return nil
}

// DecodeRule reads one rule object.
func DecodeRule(data []byte) (stackgate.Rule, error) {
	var r Rule
	err := json.Unmarshal(data, &r)
	return stackgate.Rule(r), err
}

// DecodeRules reads a list of rule objects.
func DecodeRules(data []byte) ([]stackgate.Rule, error) {
	var rules []Rule
	if err := json.Unmarshal(data, &rules); err != nil {
		return nil, err
	}
	return DomainRules(rules), nil
}

// DomainRules converts decoded rules back; nil stays nil.
func DomainRules(rules []Rule) []stackgate.Rule {
	if rules == nil {
		return nil
	}
	out := make([]stackgate.Rule, len(rules))
	for i, r := range rules {
		out[i] = stackgate.Rule(r)
	}
	return out
}
