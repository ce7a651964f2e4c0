package http

import (
	"net/http"

	"github.com/stackgate/stackgate"
)

// Stack invitations, as their invitee sees them: POST /v3/stacks/share
// records one per e-mail address; the user whose e-mail it is lists, accepts
// or declines them with their own authtoken. An invitation addressed to
// someone else answers as an unknown uid does.

type invitationJSON struct {
	UID       string          `json:"uid"`
	Email     string          `json:"email"`
	Stack     invitationStack `json:"stack"`
	Roles     []roleRef       `json:"roles"`
	InvitedBy string          `json:"invited_by"` // the inviter's e-mail, "" when gone
	CreatedAt string          `json:"created_at"`
}

type invitationStack struct {
	UID  string `json:"uid"`
	Name string `json:"name"`
}

type roleRef struct {
	UID  string `json:"uid"`
	Name string `json:"name"`
}

// handleInvitationList handles "GET /v3/user/stack_invitations".
func (s *Server) handleInvitationList(w http.ResponseWriter, r *http.Request) error {
	uid, err := s.user(r)
	if err != nil {
		return err
	}
	invs, err := s.svc.StackInvitations(r.Context(), uid)
	if err != nil {
		return err
	}
	out := make([]invitationJSON, 0, len(invs))
	for _, inv := range invs {
		j := invitationJSON{UID: inv.UID, Email: inv.Email, Stack: invitationStack{UID: inv.Stack.UID, Name: inv.Stack.Name},
			Roles: make([]roleRef, 0, len(inv.Roles)), CreatedAt: stackgate.FormatTime(inv.CreatedAt)}
		for _, role := range inv.Roles {
			j.Roles = append(j.Roles, roleRef{role.UID, role.Name})
		}
		if inv.Inviter != nil {
			j.InvitedBy = inv.Inviter.Email
		}
		out = append(out, j)
	}
	writeJSON(w, http.StatusOK, map[string]any{"stack_invitations": out})
	return nil
}

// handleInvitationAccept handles "POST /v3/user/stack_invitations/{invitation_uid}/accept".
func (s *Server) handleInvitationAccept(w http.ResponseWriter, r *http.Request) error {
	if _, err := decode[struct{}](r, true); err != nil {
		return err
	}
	uid, err := s.user(r)
	if err != nil {
		return err
	}
	st, err := s.svc.AcceptStackInvitation(r.Context(), uid, r.PathValue("invitation_uid"))
	if err != nil {
		return err
	}
	members, err := s.svc.Members(r.Context(), st.UID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"notice": "The invitation has been accepted.", "stack": renderStack(st, members)})
	return nil
}

// handleInvitationDecline handles "DELETE /v3/user/stack_invitations/{invitation_uid}".
func (s *Server) handleInvitationDecline(w http.ResponseWriter, r *http.Request) error {
	uid, err := s.user(r)
	if err != nil {
		return err
	}
	if err := s.svc.DeclineStackInvitation(r.Context(), uid, r.PathValue("invitation_uid")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, notice{"The invitation has been declined."})
	return nil
}
