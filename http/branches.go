package http

import (
	"net/http"

	"github.com/stackgate/stackgate"
)

// handleBranchList handles "GET /v3/stacks/branches".
func (s *Server) handleBranchList(w http.ResponseWriter, r *http.Request) error {
	ctx, stackUID := r.Context(), principal(r).Stack.UID
	bs, err := s.svc.Branches(ctx, stackUID)
	if err != nil {
		return err
	}
	as, err := s.svc.BranchAliases(ctx, stackUID)
	if err != nil {
		return err
	}
	return writeList(w, r, "branches", branchFields, mapSlice(bs, func(b *stackgate.Branch) branchJSON { return renderBranch(b, as) }))
}

// handleBranchGet handles "GET /v3/stacks/branches/{branch_uid}".
func (s *Server) handleBranchGet(w http.ResponseWriter, r *http.Request) error {
	ctx, stackUID := r.Context(), principal(r).Stack.UID
	b, err := s.svc.Branch(ctx, stackUID, r.PathValue("branch_uid"))
	if err != nil {
		return err
	}
	as, err := s.svc.BranchAliases(ctx, stackUID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"branch": renderBranch(b, as)})
	return nil
}

// handleBranchCreate handles "POST /v3/stacks/branches".
func (s *Server) handleBranchCreate(w http.ResponseWriter, r *http.Request) error {
	body, err := decode[struct {
		Branch *struct {
			UID    string `json:"uid"`
			Source string `json:"source"`
		} `json:"branch"`
	}](r, false)
	if err != nil {
		return err
	}
	if body.Branch == nil {
		return stackgate.FieldError(stackgate.EINVALID, "branch", stackgate.ProblemRequired)
	}
	b, err := s.svc.CreateBranch(r.Context(), actor(r), body.Branch.UID, body.Branch.Source)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"notice": "Branch created successfully.", "branch": renderBranch(b, nil)})
	return nil
}

// handleBranchDelete handles "DELETE /v3/stacks/branches/{branch_uid}".
func (s *Server) handleBranchDelete(w http.ResponseWriter, r *http.Request) error {
	if _, err := queryBool(r, "force", false); err != nil {
		return err
	}
	if err := s.svc.DeleteBranch(r.Context(), actor(r), r.PathValue("branch_uid")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, notice{"Branch deleted successfully."})
	return nil
}

// handleBranchAliasList handles "GET /v3/stacks/branch_aliases".
func (s *Server) handleBranchAliasList(w http.ResponseWriter, r *http.Request) error {
	ctx, stackUID := r.Context(), principal(r).Stack.UID
	as, err := s.svc.BranchAliases(ctx, stackUID)
	if err != nil {
		return err
	}
	bs, err := s.svc.Branches(ctx, stackUID)
	if err != nil {
		return err
	}
	byUID := map[string]*stackgate.Branch{}
	for _, b := range bs {
		byUID[b.UID] = b
	}
	return writeList(w, r, "branch_aliases", branchAliasFields, mapSlice(as, func(a *stackgate.BranchAlias) branchAliasJSON {
		return renderBranchAlias(a, byUID[a.TargetBranch])
	}))
}

// handleBranchAliasGet handles "GET /v3/stacks/branch_aliases/{alias_uid}".
func (s *Server) handleBranchAliasGet(w http.ResponseWriter, r *http.Request) error {
	ctx, stackUID := r.Context(), principal(r).Stack.UID
	a, err := s.svc.BranchAlias(ctx, stackUID, r.PathValue("alias_uid"))
	if err != nil {
		return err
	}
	target, _ := s.svc.Branch(ctx, stackUID, a.TargetBranch)
	writeJSON(w, http.StatusOK, map[string]any{"branch_alias": renderBranchAlias(a, target)})
	return nil
}

// handleBranchAliasPut handles "PUT /v3/stacks/branch_aliases/{alias_uid}".
func (s *Server) handleBranchAliasPut(w http.ResponseWriter, r *http.Request) error {
	body, err := decode[struct {
		BranchAlias *struct {
			TargetBranch string `json:"target_branch"`
		} `json:"branch_alias"`
	}](r, false)
	if err != nil {
		return err
	}
	if body.BranchAlias == nil {
		return stackgate.FieldError(stackgate.EINVALID, "branch_alias", stackgate.ProblemRequired)
	}
	a, err := s.svc.PutBranchAlias(r.Context(), actor(r), r.PathValue("alias_uid"), body.BranchAlias.TargetBranch)
	if err != nil {
		return err
	}
	target, _ := s.svc.Branch(r.Context(), a.StackUID, a.TargetBranch)
	writeJSON(w, http.StatusOK, map[string]any{"notice": "Branch alias assigned successfully.", "branch_alias": renderBranchAlias(a, target)})
	return nil
}

// handleBranchAliasDelete handles "DELETE /v3/stacks/branch_aliases/{alias_uid}".
func (s *Server) handleBranchAliasDelete(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.DeleteBranchAlias(r.Context(), actor(r), r.PathValue("alias_uid")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, notice{"Branch alias deleted successfully."})
	return nil
}
