package service

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/http/wire"
)

// scopeEntryInput is one scope entry as a request sends it. Environments may
// be names, uids, or environment objects carrying name/uid (the JS SDK's
// update() sends back what fetch() gave).
type scopeEntryInput struct {
	Module        *stackgate.Module `json:"module"`
	Environments  []json.RawMessage `json:"environments"`
	Branches      []string          `json:"branches"`
	BranchAliases []string          `json:"branch_aliases"`
	ACL           json.RawMessage   `json:"acl"`
	Metadata      *struct {
		UID string `json:"uid"`
	} `json:"_metadata"`
}

// parsedScope is a scope after shape validation, before references are
// resolved against the stack.
type parsedScope struct {
	entries []stackgate.ScopeEntry
	envKeys [][]string // per entry: the environment names/uids as sent
}

// parseScope validates the shape of a token scope. allowed says which
// modules the token kind accepts. Problems go into v under "scope…" paths.
func parseScope(v stackgate.Validation, raw json.RawMessage, allowed map[stackgate.Module]bool) parsedScope {
	var out parsedScope
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		v.Add("scope", stackgate.ProblemRequired)
		return out
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		v.Add("scope", "must be a list of scope objects.")
		return out
	}
	if len(items) == 0 {
		v.Add("scope", stackgate.ProblemRequired)
		return out
	}
	for i, item := range items {
		path := "scope." + strconv.Itoa(i)
		var in scopeEntryInput
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
		} else if in.ACL[0] != '{' || json.Unmarshal(in.ACL, (*wire.ACL)(&e.ACL)) != nil {
			v.Add(path+".acl", "must be an object of booleans, e.g. {\"read\":true}.")
			continue
		}
		var keys []string
		switch e.Module {
		case stackgate.ModuleEnvironment:
			for _, rawEnv := range in.Environments {
				key, ok := environmentKey(rawEnv)
				if !ok {
					v.Add("scope.environments", stackgate.ProblemNotValid)
					continue
				}
				keys = append(keys, key)
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
		out.entries = append(out.entries, e)
		out.envKeys = append(out.envKeys, keys)
	}
	return out
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

// branchRefs returns the refs of the branch and branch_alias entries, and
// whether there is at least one such entry.
func branchRefs(entries []stackgate.ScopeEntry) ([]stackgate.Ref, bool) {
	var refs []stackgate.Ref
	has := false
	for _, e := range entries {
		switch e.Module {
		case stackgate.ModuleBranch:
			has = true
			for _, b := range e.Branches {
				if b != stackgate.Wildcard {
					refs = append(refs, stackgate.Ref{Kind: stackgate.RefBranch, Value: b, Field: "scope.branches"})
				}
			}
		case stackgate.ModuleBranchAlias:
			has = true
			for _, a := range e.BranchAliases {
				if a != stackgate.Wildcard {
					refs = append(refs, stackgate.Ref{Kind: stackgate.RefBranchAlias, Value: a, Field: "scope.branch_aliases"})
				}
			}
		}
	}
	return refs, has
}

// keepMetadataUIDs gives each new entry a stable _metadata.uid: the one it
// carried if the token had it, else the uid of the old entry of the same
// module, else a fresh one.
func keepMetadataUIDs(entries, old []stackgate.ScopeEntry) {
	known := map[string]bool{}
	byModule := map[stackgate.Module]string{}
	for _, e := range old {
		known[e.MetadataUID] = true
		if _, ok := byModule[e.Module]; !ok {
			byModule[e.Module] = e.MetadataUID
		}
	}
	used := map[string]bool{}
	for i := range entries {
		e := &entries[i]
		switch {
		case e.MetadataUID != "" && known[e.MetadataUID] && !used[e.MetadataUID]:
		case byModule[e.Module] != "" && !used[byModule[e.Module]]:
			e.MetadataUID = byModule[e.Module]
		default:
			e.MetadataUID = stackgate.NewMetadataUID()
		}
		used[e.MetadataUID] = true
	}
}

func ptr[T any](v T) *T { return &v }
