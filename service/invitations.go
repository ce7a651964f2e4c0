package service

import (
	"context"

	"github.com/stackgate/stackgate"
)

// Invitation is a pending stack invitation as its invitee sees it.
type Invitation = stackgate.PendingInvitation

// StackInvitations returns the pending invitations addressed to the e-mail of
// the user userUID, oldest first.
func (s *Service) StackInvitations(ctx context.Context, userUID string) ([]*Invitation, error) {
	u, err := s.CurrentUser(ctx, userUID)
	if err != nil {
		return nil, err
	}
	return s.store.ListStackInvitations(ctx, u.Email)
}

// AcceptStackInvitation makes the user userUID a member of
// the invitation's stack with its roles, in one transaction that also
// deletes the invitation, and returns the stack. An invitation addressed to
// another e-mail is not found (422, as an unknown uid); a role that would
// pass the users-per-role limit refuses the whole acceptance.
func (s *Service) AcceptStackInvitation(ctx context.Context, userUID, uid string) (*stackgate.Stack, error) {
	u, err := s.CurrentUser(ctx, userUID)
	if err != nil {
		return nil, err
	}
	inv, err := s.store.AcceptStackInvitation(ctx, uid, u.Email, u.UID, s.cfg.Limits.UsersPerRole)
	if err != nil {
		return nil, err
	}
	return s.store.FindStackByUID(ctx, inv.StackUID)
}

// DeclineStackInvitation deletes an invitation addressed to the e-mail of the
// user userUID; another's is not found.
func (s *Service) DeclineStackInvitation(ctx context.Context, userUID, uid string) error {
	u, err := s.CurrentUser(ctx, userUID)
	if err != nil {
		return err
	}
	return s.store.DeleteStackInvitation(ctx, uid, u.Email)
}
