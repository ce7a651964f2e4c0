package http

import (
	"net/http"
)

// handleStackGet handles "GET /v3/stacks": the stack named by api_key;
// include_collaborators=true adds its members (the JS SDK's stack.users()).
// Without api_key (userForm) it is "Get all stacks": handleStackList.
func (s *Server) handleStackGet(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if p == nil {
		return s.handleStackList(w, r)
	}
	withCollaborators, err := queryBool(r, "include_collaborators", false)
	if err != nil {
		return err
	}
	members, err := s.svc.Members(r.Context(), p.Stack.UID)
	if err != nil {
		return err
	}
	st := renderStack(p.Stack, members)
	if !withCollaborators {
		writeJSON(w, http.StatusOK, map[string]any{"stack": st})
		return nil
	}
	type collaborator struct {
		userJSON
		IsOwner bool       `json:"is_owner"`
		Roles   []aliasRef `json:"roles"`
	}
	out := struct {
		stackJSON
		Collaborators []collaborator `json:"collaborators"`
	}{stackJSON: st, Collaborators: []collaborator{}}
	collaborators, err := s.svc.Collaborators(r.Context(), p.Stack.UID)
	if err != nil {
		return err
	}
	for _, cb := range collaborators {
		m := cb.Member
		c := collaborator{userJSON: renderUser(cb.User, ""), IsOwner: m.UserUID == p.Stack.OwnerUID, Roles: []aliasRef{}}
		for _, uid := range m.RoleUIDs {
			c.Roles = append(c.Roles, aliasRef{uid})
		}
		out.Collaborators = append(out.Collaborators, c)
	}
	writeJSON(w, http.StatusOK, map[string]any{"stack": out})
	return nil
}

// handleStackSettings handles "GET /v3/stacks/settings".
func (s *Server) handleStackSettings(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]any{"stack_settings": map[string]any{
		"stack_variables": map[string]any{}, "discrete_variables": map[string]any{}, "rte": map[string]any{},
		"live_preview": map[string]any{}}})
	return nil
}

// handleStackUsersRoles handles "POST /v3/stacks/users/roles".
func (s *Server) handleStackUsersRoles(w http.ResponseWriter, r *http.Request) error {
	body, err := decode[struct {
		Users map[string][]string `json:"users"`
	}](r, false)
	if err != nil {
		return err
	}
	if err := s.svc.SetMemberRoles(r.Context(), principal(r).Stack.UID, body.Users); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, notice{"The roles were applied successfully."})
	return nil
}

// handleStackShare handles "POST /v3/stacks/share": it invites, and its
// reply is the same whichever addresses have accounts.
func (s *Server) handleStackShare(w http.ResponseWriter, r *http.Request) error {
	body, err := decode[struct {
		Emails []string            `json:"emails"`
		Roles  map[string][]string `json:"roles"`
	}](r, false)
	if err != nil {
		return err
	}
	if err := s.svc.Share(r.Context(), principal(r).Stack.UID, principal(r).UID, body.Emails, body.Roles); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, notice{"The invitation has been sent successfully."})
	return nil
}

// handleStackUnshare handles "POST /v3/stacks/unshare": the user with the
// body's e-mail leaves the stack (or their pending invitation is withdrawn).
// The reply is the Content Management API reference's "Unshare a stack"
// sample response, byte for byte.
func (s *Server) handleStackUnshare(w http.ResponseWriter, r *http.Request) error {
	body, err := decode[struct {
		Email string `json:"email"`
	}](r, false)
	if err != nil {
		return err
	}
	if err := s.svc.Unshare(r.Context(), actor(r), body.Email); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, notice{"The stack has been successfully unshared."})
	return nil
}

// handleStackList handles "GET /v3/stacks" without api_key: the stacks the
// user of the authtoken or OAuth token is a member of, each as the single
// stack's reply renders it, newest first, with the list parameters.
func (s *Server) handleStackList(w http.ResponseWriter, r *http.Request) error {
	uid, err := s.routeUser(r, "GET", "/v3/stacks")
	if err != nil {
		return err
	}
	info(r.Context()).principal = "user:" + uid
	stacks, err := s.svc.StacksOfUser(r.Context(), uid)
	if err != nil {
		return err
	}
	out := make([]stackJSON, 0, len(stacks))
	for _, st := range stacks {
		out = append(out, renderStack(st.Stack, st.Members))
	}
	return writeList(w, r, "stacks", stackFields, out)
}
