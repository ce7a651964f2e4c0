package wire

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/stackgate/stackgate"
)

// The request decoders below read the rules of a role body and the scope of
// a token body as the Roles and Tokens pages send them. They report what is
// wrong with the JSON's shape as field problems under "rules…" and
// "scope…" paths and never fail otherwise; the use cases take the typed
// values and the problems, report the problems where they report their own
// (after the object the request names is found, so an unknown role stays a
// 404), and keep the checks that need the stack (references, limits).

// ruleModules are the modules a role rule may name (spec §5).
var ruleModules = map[stackgate.Module]bool{
	stackgate.ModuleBranch: true, stackgate.ModuleBranchAlias: true, stackgate.ModuleContentType: true,
	stackgate.ModuleEntry: true, stackgate.ModuleAsset: true, stackgate.ModuleFolder: true,
	stackgate.ModuleEnvironment: true, stackgate.ModuleLocale: true, stackgate.ModuleTaxonomy: true,
}

// ruleListFields are the list fields of rules; each must be a list of strings.
var ruleListFields = []string{"branches", "branch_aliases", "entries", "assets", "folders",
	"environments", "locales", "taxonomies", "terms"}

// DecodeRoleRules reads a role body's rules. raw absent (nil) gives nil
// rules and no problem, so an update keeps the role's rules; anything else
// gives non-nil rules (those that are well formed) and the problems found:
// a rule of an unknown module, a list that is not a list of strings, an acl
// that is not an object of booleans, a branch rule without branches, an
// entry rule without a content type, a role without a branch rule. It
// never panics, whatever the input (FuzzDecodeRoleRules).
func DecodeRoleRules(raw json.RawMessage) ([]stackgate.Rule, stackgate.Validation) {
	v := stackgate.Validation{}
	if raw == nil {
		return nil, v
	}
	rules := []stackgate.Rule{}
	if bytes.Equal(raw, []byte("null")) || len(raw) == 0 {
		v.Add("rules.branch", stackgate.ProblemRequired)
		return rules, v
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		v.Add("rules", "must be a list of rule objects.")
		return rules, v
	}
	hasBranch := false
	for i, item := range items {
		path := "rules." + strconv.Itoa(i)
		r, ok := decodeRoleRule(v, path, item)
		if !ok {
			continue
		}
		switch r.Module {
		case stackgate.ModuleBranch:
			hasBranch = true
			if len(r.Branches) == 0 {
				v.Add(path+".branches", stackgate.ProblemRequired)
			}
		case stackgate.ModuleBranchAlias:
			hasBranch = true
			if len(r.BranchAliases) == 0 {
				v.Add(path+".branch_aliases", stackgate.ProblemRequired)
			}
		case stackgate.ModuleEntry:
			if r.ContentType == "" {
				v.Add(path+".content_type", stackgate.ProblemRequired)
			}
		}
		rules = append(rules, r)
	}
	if !hasBranch {
		v.Add("rules.branch", stackgate.ProblemRequired)
	}
	return rules, v
}

// decodeRoleRule reads the rule at path, or records in v why it cannot.
func decodeRoleRule(v stackgate.Validation, path string, item json.RawMessage) (stackgate.Rule, bool) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(item, &fields); err != nil || fields == nil {
		v.Add(path, "is not a valid rule object.")
		return stackgate.Rule{}, false
	}
	var module stackgate.Module
	if err := json.Unmarshal(fields["module"], &module); err != nil || module == "" {
		v.Add(path+".module", stackgate.ProblemRequired)
		return stackgate.Rule{}, false
	}
	if !ruleModules[module] {
		v.Add(path+".module", "is not a valid module.")
		return stackgate.Rule{}, false
	}
	ok := true
	for _, f := range ruleListFields {
		if rawList, present := fields[f]; present && !isStringList(rawList) {
			v.Add(path+"."+f, "must be a list of strings.")
			ok = false
		}
	}
	if rawCT, present := fields["content_types"]; present {
		if module == stackgate.ModuleTaxonomy {
			var cts []TaxonomyContentType
			if json.Unmarshal(rawCT, &cts) != nil {
				v.Add(path+".content_types", "must be a list of {uid, acl} objects.")
				ok = false
			}
		} else if !isStringList(rawCT) {
			v.Add(path+".content_types", "must be a list of strings.")
			ok = false
		}
	}
	if rawCT, present := fields["content_type"]; present {
		var ct string
		if json.Unmarshal(rawCT, &ct) != nil {
			v.Add(path+".content_type", "must be a string.")
			ok = false
		}
	}
	branchy := module == stackgate.ModuleBranch || module == stackgate.ModuleBranchAlias
	acl, hasACL := fields["acl"]
	if !hasACL || bytes.Equal(acl, []byte("null")) {
		if !branchy {
			v.Add(path+".acl", stackgate.ProblemRequired)
			ok = false
		}
	} else if acl[0] != '{' || json.Unmarshal(acl, new(ACL)) != nil {
		v.Add(path+".acl", "must be an object of booleans.")
		ok = false
	}
	if rawRestrict, present := fields["restrict"]; present {
		var b Bool
		if json.Unmarshal(rawRestrict, &b) != nil {
			v.Add(path+".restrict", "must be a boolean.")
			ok = false
		}
	}
	if !ok {
		return stackgate.Rule{}, false
	}
	r, err := DecodeRule(item)
	if err != nil {
		v.Add(path, "is not a valid rule object.")
		return stackgate.Rule{}, false
	}
	if !hasACL && branchy {
		r.ACL = stackgate.ACL{Read: ptr(true)} // a branch rule reads its branches
	}
	return r, true
}

func isStringList(raw json.RawMessage) bool {
	var l []string
	return json.Unmarshal(raw, &l) == nil
}

// scopeEntryJSON is one scope entry as a request sends it. Environments may
// be names, uids, or environment objects carrying name/uid (the JS SDK's
// update() sends back what fetch() gave).
type scopeEntryJSON struct {
	Module        *stackgate.Module `json:"module"`
	Environments  []json.RawMessage `json:"environments"`
	Branches      []string          `json:"branches"`
	BranchAliases []string          `json:"branch_aliases"`
	ACL           json.RawMessage   `json:"acl"`
	Metadata      *struct {
		UID string `json:"uid"`
	} `json:"_metadata"`
}

// DecodeScope reads a token body's scope; allowed says which modules the
// token kind accepts. raw absent (nil) gives a nil scope and no problem, so
// an update keeps the token's scope; anything else gives a non-nil scope
// (the well-formed entries) and the problems found. An environment entry's
// Environments are the names or uids as sent, for the use case to resolve.
// It never panics, whatever the input (FuzzDecodeScope).
func DecodeScope(raw json.RawMessage, allowed map[stackgate.Module]bool) ([]stackgate.ScopeEntry, stackgate.Validation) {
	v := stackgate.Validation{}
	if raw == nil {
		return nil, v
	}
	entries := []stackgate.ScopeEntry{}
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		v.Add("scope", stackgate.ProblemRequired)
		return entries, v
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		v.Add("scope", "must be a list of scope objects.")
		return entries, v
	}
	if len(items) == 0 {
		v.Add("scope", stackgate.ProblemRequired)
		return entries, v
	}
	for i, item := range items {
		path := "scope." + strconv.Itoa(i)
		var in scopeEntryJSON
		if err := json.Unmarshal(item, &in); err != nil {
			v.Add(path, "is not a valid scope object.")
			continue
		}
		if in.Module == nil || *in.Module == "" {
			v.Add(path+".module", stackgate.ProblemRequired)
			continue
		}
		if !allowed[*in.Module] {
			v.Add(path+".module", "is not a valid module.")
			continue
		}
		e := stackgate.ScopeEntry{Module: *in.Module}
		if in.Metadata != nil {
			e.MetadataUID = in.Metadata.UID
		}
		if len(in.ACL) == 0 || bytes.Equal(in.ACL, []byte("null")) {
			e.ACL = stackgate.ACL{Read: ptr(true)}
		} else if in.ACL[0] != '{' || json.Unmarshal(in.ACL, (*ACL)(&e.ACL)) != nil {
			v.Add(path+".acl", "must be an object of booleans, e.g. {\"read\":true}.")
			continue
		}
		switch e.Module {
		case stackgate.ModuleEnvironment:
			for _, rawEnv := range in.Environments {
				key, ok := environmentKey(rawEnv)
				if !ok {
					v.Add("scope.environments", stackgate.ProblemNotValid)
					continue
				}
				e.Environments = append(e.Environments, key)
			}
		case stackgate.ModuleBranch:
			e.Branches = in.Branches
			if len(e.Branches) == 0 {
				v.Add("scope.branches", stackgate.ProblemRequired)
			}
		case stackgate.ModuleBranchAlias:
			e.BranchAliases = in.BranchAliases
			if len(e.BranchAliases) == 0 {
				v.Add("scope.branch_aliases", stackgate.ProblemRequired)
			}
		}
		entries = append(entries, e)
	}
	return entries, v
}

// environmentKey reads a scope environment: a string, or an object with a
// uid or name.
func environmentKey(raw json.RawMessage) (string, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, s != ""
	}
	var obj struct {
		UID  string `json:"uid"`
		Name string `json:"name"`
	}
	if json.Unmarshal(raw, &obj) != nil {
		return "", false
	}
	if obj.UID != "" {
		return obj.UID, true
	}
	return obj.Name, obj.Name != ""
}

func ptr[T any](v T) *T { return &v }
