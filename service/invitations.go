package service

import (
	"context"

	"github.com/stackgate/stackgate"
)

// Invitation is a pending stack invitation as its invitee sees it.
type Invitation struct {
	*stackgate.StackInvitation
	Stack   *stackgate.Stack
	Roles   []*stackgate.Role // those of RoleUIDs that still exist
	Inviter *stackgate.User   // nil when the inviter no longer exists
}

// StackInvitations returns the pending invitations addressed to the e-mail of
// the user userUID, oldest first.
func (s *Service) StackInvitations(ctx context.Context, userUID string) ([]*Invitation, error) {
	u, err := s.CurrentUser(ctx, userUID)
	if err != nil {
		return nil, err
	}
	invs, err := s.store.ListStackInvitations(ctx, u.Email)
	if err != nil {
		return nil, err
	}
	out := make([]*Invitation, 0, len(invs))
	for _, inv := range invs {
		st, err := s.store.FindStackByUID(ctx, inv.StackUID)
		if stackgate.IsCode(err, stackgate.ENOTFOUND) {
			continue // deleted meanwhile
		} else if err != nil {
			return nil, err
		}
		v := &Invitation{StackInvitation: inv, Stack: st, Roles: []*stackgate.Role{}}
		for _, uid := range inv.RoleUIDs {
			r, err := s.store.FindRole(ctx, inv.StackUID, uid)
			if stackgate.IsCode(err, stackgate.ENOTFOUND) {
				continue
			} else if err != nil {
				return nil, err
			}
			v.Roles = append(v.Roles, r)
		}
		if v.Inviter, err = s.store.FindUserByUID(ctx, inv.InvitedBy); stackgate.IsCode(err, stackgate.ENOTFOUND) {
			v.Inviter = nil
		} else if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
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
