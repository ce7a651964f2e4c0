package service

import (
	"github.com/stackgate/stackgate"
)

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
