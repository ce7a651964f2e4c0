package sqlstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/stackgate/stackgate"
)

// PutStackInvitations records invs, each replacing the stack's pending
// invitation of the same e-mail address. It takes the stack lock (the limit
// check counts holders) but announces nothing: no credential changed.
func (s *Store) PutStackInvitations(ctx context.Context, invs []*stackgate.StackInvitation, usersPerRole, maxPending int) error {
	if len(invs) == 0 {
		return nil
	}
	stackUID := invs[0].StackUID
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := lockStack(ctx, tx, stackUID); err != nil {
		return err
	}
	for _, inv := range invs {
		if inv.StackUID != stackUID {
			return fmt.Errorf("sqlstore: invitations of several stacks in one call")
		}
		for _, role := range inv.RoleUIDs {
			if err := findRoleRow(ctx, tx, stackUID, role); err != nil {
				return err
			}
			if err := checkHolders(ctx, tx, stackUID, role, usersPerRole, ""); err != nil {
				return err
			}
		}
		if _, err := tx.exec(ctx, `DELETE FROM stack_invitations WHERE stack_uid = ? AND email = ?`, stackUID, inv.Email); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO stack_invitations (uid, stack_uid, email, invited_by, created_at) VALUES (?, ?, ?, ?, ?)`,
			inv.UID, stackUID, inv.Email, inv.InvitedBy, ms(inv.CreatedAt)); err != nil {
			return err
		}
		for _, role := range inv.RoleUIDs {
			if _, err := tx.exec(ctx, `INSERT INTO stack_invitation_roles (invitation_uid, stack_uid, role_uid) VALUES (?, ?, ?)
				ON CONFLICT (invitation_uid, role_uid) DO NOTHING`, inv.UID, stackUID, role); err != nil {
				return err
			}
		}
	}
	if maxPending > 0 {
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM stack_invitations WHERE stack_uid = ?`, stackUID).Scan(&n); err != nil {
			return err
		}
		if n > maxPending {
			return stackgate.FieldError(stackgate.EINVALID, "emails", fmt.Sprintf("limit of %d pending invitations per stack reached.", maxPending))
		}
	}
	return tx.Commit(ctx)
}

// ListStackInvitations returns the pending invitations of email, oldest
// first, with their stacks, roles and inviters: five statements in one read
// transaction, however many invitations there are.
func (s *Store) ListStackInvitations(ctx context.Context, email string) ([]*stackgate.PendingInvitation, error) {
	return read(ctx, s, func(tx *Tx) ([]*stackgate.PendingInvitation, error) {
		const mine = `SELECT uid FROM stack_invitations WHERE email = ?`
		invs, err := queryList(ctx, tx, scanInvitation,
			`SELECT `+invitationColumns+` FROM stack_invitations WHERE email = ? ORDER BY seq`, email)
		if err != nil || len(invs) == 0 {
			return []*stackgate.PendingInvitation{}, err
		}
		stacks, err := queryList(ctx, tx, scanStack, `SELECT `+stackColumns+` FROM stacks
			WHERE uid IN (SELECT stack_uid FROM stack_invitations WHERE email = ?)`, email)
		if err != nil {
			return nil, err
		}
		roles, err := queryList(ctx, tx, scanRole, `SELECT `+roleColumns+` FROM roles r WHERE EXISTS (
			SELECT 1 FROM stack_invitation_roles ir WHERE ir.stack_uid = r.stack_uid AND ir.role_uid = r.uid
			AND ir.invitation_uid IN (`+mine+`))`, email)
		if err != nil {
			return nil, err
		}
		users, err := queryList(ctx, tx, scanUser, `SELECT `+userColumns+` FROM users
			WHERE uid IN (SELECT invited_by FROM stack_invitations WHERE email = ?)`, email)
		if err != nil {
			return nil, err
		}
		given, err := invitationRoleUIDs(ctx, tx, `invitation_uid IN (`+mine+`)`, email)
		if err != nil {
			return nil, err
		}
		stackByUID := byKey(stacks, func(st *stackgate.Stack) string { return st.UID })
		roleByKey := byKey(roles, func(r *stackgate.Role) string { return r.StackUID + "/" + r.UID })
		userByUID := byKey(users, func(u *stackgate.User) string { return u.UID })
		out := make([]*stackgate.PendingInvitation, 0, len(invs))
		for _, inv := range invs {
			if stackByUID[inv.StackUID] == nil {
				continue // cannot be: deleting a stack deletes its invitations
			}
			inv.RoleUIDs = given[inv.UID]
			if inv.RoleUIDs == nil {
				inv.RoleUIDs = []string{}
			}
			p := &stackgate.PendingInvitation{StackInvitation: inv, Stack: stackByUID[inv.StackUID],
				Roles: make([]*stackgate.Role, 0, len(inv.RoleUIDs)), Inviter: userByUID[inv.InvitedBy]}
			for _, uid := range inv.RoleUIDs {
				if r := roleByKey[inv.StackUID+"/"+uid]; r != nil {
					p.Roles = append(p.Roles, r)
				}
			}
			out = append(out, p)
		}
		return out, nil
	})
}

// invitationRoleUIDs returns the roles of the invitations that where
// selects (on stack_invitation_roles), by invitation uid, sorted.
func invitationRoleUIDs(ctx context.Context, tx *Tx, where string, args ...any) (map[string][]string, error) {
	rows, err := tx.query(ctx, `SELECT invitation_uid, role_uid FROM stack_invitation_roles
		WHERE `+where+` ORDER BY invitation_uid, role_uid`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	given := map[string][]string{}
	for rows.Next() {
		var inv, role string
		if err := rows.Scan(&inv, &role); err != nil {
			return nil, err
		}
		given[inv] = append(given[inv], role)
	}
	return given, rows.Err()
}

// byKey indexes vs by key(v).
func byKey[T any](vs []*T, key func(*T) string) map[string]*T {
	m := make(map[string]*T, len(vs))
	for _, v := range vs {
		m[key(v)] = v
	}
	return m
}

// AcceptStackInvitation makes userUID a member of the invitation's stack with
// its roles and deletes it, in one transaction under the stack lock.
func (s *Store) AcceptStackInvitation(ctx context.Context, uid, email, userUID string, usersPerRole int) (*stackgate.StackInvitation, error) {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	inv, err := findInvitation(ctx, tx, uid, email)
	if err != nil {
		return nil, err
	}
	if err := lockStack(ctx, tx, inv.StackUID); err != nil {
		return nil, err
	}
	// Read again under the lock: a concurrent accept or decline may have won.
	if inv, err = findInvitation(ctx, tx, uid, email); err != nil {
		return nil, err
	}
	if err := invitationRoles(ctx, tx, inv); err != nil {
		return nil, err
	}
	for _, role := range inv.RoleUIDs {
		if err := checkHolders(ctx, tx, inv.StackUID, role, usersPerRole, userUID); err != nil {
			return nil, err
		}
	}
	if err := addMember(ctx, tx, inv.StackUID, userUID, inv.RoleUIDs); err != nil {
		return nil, err
	}
	if _, err := tx.exec(ctx, `DELETE FROM stack_invitations WHERE uid = ?`, uid); err != nil {
		return nil, err
	}
	tx.changed(stackgate.Change{StackUID: inv.StackUID})
	if err := tx.Commit(ctx); err != nil {
		return nil, err
	}
	return inv, nil
}

// DeleteStackInvitation removes the invitation of uid addressed to email.
func (s *Store) DeleteStackInvitation(ctx context.Context, uid, email string) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.exec(ctx, `DELETE FROM stack_invitations WHERE uid = ? AND email = ?`, uid, email)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return stackgate.ErrNotFound("invitation")
	}
	return tx.Commit(ctx)
}

const invitationColumns = `uid, stack_uid, email, invited_by, created_at`

func scanInvitation(r scanner) (*stackgate.StackInvitation, error) {
	var inv stackgate.StackInvitation
	var created int64
	if err := r.Scan(&inv.UID, &inv.StackUID, &inv.Email, &inv.InvitedBy, &created); err != nil {
		return nil, notFound(err, "invitation")
	}
	inv.CreatedAt = fromMS(created)
	return &inv, nil
}

func findInvitation(ctx context.Context, tx *Tx, uid, email string) (*stackgate.StackInvitation, error) {
	return scanInvitation(tx.queryRow(ctx, `SELECT `+invitationColumns+` FROM stack_invitations WHERE uid = ? AND email = ?`, uid, email))
}

func invitationRoles(ctx context.Context, tx *Tx, inv *stackgate.StackInvitation) error {
	roles, err := queryStrings(ctx, tx, `SELECT role_uid FROM stack_invitation_roles WHERE invitation_uid = ? ORDER BY role_uid`, inv.UID)
	if err != nil {
		return err
	}
	inv.RoleUIDs = roles
	return nil
}

// findRoleRow checks that role is a role of the stack: EINVALID on "roles"
// when it is not.
func findRoleRow(ctx context.Context, tx *Tx, stackUID, role string) error {
	var uid string
	if err := tx.queryRow(ctx, `SELECT uid FROM roles WHERE stack_uid = ? AND uid = ?`, stackUID, role).Scan(&uid); err != nil {
		if noRows(err) {
			return stackgate.FieldError(stackgate.EINVALID, "roles", stackgate.ProblemNotValid)
		}
		return err
	}
	return nil
}

// checkHolders refuses (EINVALID on "users") to give role to userUID (""
// for a user not known yet) when that would make more than limit holders:
// a user who holds it already does not count twice. No limit when <= 0.
func checkHolders(ctx context.Context, tx *Tx, stackUID, role string, limit int, userUID string) error {
	if limit <= 0 {
		return nil
	}
	holders, err := queryStrings(ctx, tx, `SELECT user_uid FROM member_roles WHERE stack_uid = ? AND role_uid = ?`, stackUID, role)
	if err != nil {
		return err
	}
	if !slices.Contains(holders, userUID) && len(holders) >= limit {
		return usersPerRoleError(limit)
	}
	return nil
}

func usersPerRoleError(limit int) error {
	return stackgate.FieldError(stackgate.EINVALID, "users", fmt.Sprintf("limit of %d users per role reached.", limit))
}
