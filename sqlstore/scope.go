package sqlstore

import "github.com/stackgate/stackgate"

// scopeEntry is the stored form of stackgate.ScopeEntry, which has no JSON
// tags of its own (its wire form belongs to the HTTP layer and may change
// without a migration of stored rows).
type scopeEntry struct {
	Module        stackgate.Module `json:"module"`
	Environments  []string         `json:"environments,omitempty"`
	Branches      []string         `json:"branches,omitempty"`
	BranchAliases []string         `json:"branch_aliases,omitempty"`
	ACL           storedACL        `json:"acl"`
	MetadataUID   string           `json:"metadata_uid,omitempty"`
}

// marshalScope renders scope for storage; nil stays null so it reads back nil.
func marshalScope(scope []stackgate.ScopeEntry) (string, error) {
	if scope == nil {
		return "null", nil
	}
	out := make([]scopeEntry, len(scope))
	for i, e := range scope {
		out[i] = scopeEntry{Module: e.Module, Environments: e.Environments, Branches: e.Branches,
			BranchAliases: e.BranchAliases, ACL: storeACL(e.ACL), MetadataUID: e.MetadataUID}
	}
	return marshal(out)
}

func unmarshalScope(s string) ([]stackgate.ScopeEntry, error) {
	var in []scopeEntry
	if err := unmarshal(s, &in); err != nil {
		return nil, err
	}
	if in == nil {
		return nil, nil
	}
	out := make([]stackgate.ScopeEntry, len(in))
	for i, e := range in {
		out[i] = stackgate.ScopeEntry{Module: e.Module, Environments: e.Environments, Branches: e.Branches,
			BranchAliases: e.BranchAliases, ACL: e.ACL.acl(), MetadataUID: e.MetadataUID}
	}
	return out, nil
}
