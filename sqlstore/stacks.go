package sqlstore

import (
	"context"
	"slices"

	"github.com/stackgate/stackgate"
)

const stackColumns = `uid, api_key, name, description, org_uid, owner_uid, master_locale, created_at, updated_at`

// CreateStack writes the stack and everything of seed in one transaction.
// ECONFLICT on "name" when the owner already owns a stack of that name.
func (s *Store) CreateStack(ctx context.Context, seed *stackgate.StackSeed) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	st := &seed.Stack
	if _, err := tx.exec(ctx, `INSERT INTO stacks (`+stackColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		st.UID, st.APIKey, st.Name, st.Description, st.OrgUID, st.OwnerUID, st.MasterLocale,
		ms(st.CreatedAt), ms(st.UpdatedAt)); err != nil {
		if tx.d.Classify(err) == ErrForeignKey {
			return stackgate.FieldError(stackgate.EINVALID, "owner", stackgate.ProblemNotValid)
		}
		return tx.conflict(err, "name")
	}
	if err := insertBranch(ctx, tx, &seed.Branch); err != nil {
		return err
	}
	if err := insertLocale(ctx, tx, &seed.Locale); err != nil {
		return err
	}
	if err := insertEnvironment(ctx, tx, &seed.Environment); err != nil {
		return err
	}
	for i := range seed.Roles {
		seed.Roles[i].StackUID = st.UID
		if err := insertRole(ctx, tx, &seed.Roles[i]); err != nil {
			return err
		}
	}
	if err := addMember(ctx, tx, st.UID, seed.Owner.UserUID, seed.Owner.RoleUIDs); err != nil {
		return err
	}
	if err := tx.audit(ctx, st.UID, &event{module: stackgate.AuditStack, typ: stackgate.AuditCreate, uid: st.UID,
		title: st.Name, by: seed.Owner.UserUID}); err != nil {
		return err
	}
	tx.changed(stackgate.Change{StackUID: st.UID})
	return tx.Commit(ctx)
}

// FindStackByAPIKey returns the stack or ENOTFOUND.
func (s *Store) FindStackByAPIKey(ctx context.Context, apiKey string) (*stackgate.Stack, error) {
	return readOne(ctx, s, func(tx *Tx) (*stackgate.Stack, error) { return findStack(ctx, tx, `api_key = ?`, apiKey) })
}

// FindStackByUID returns the stack or ENOTFOUND.
func (s *Store) FindStackByUID(ctx context.Context, uid string) (*stackgate.Stack, error) {
	return readOne(ctx, s, func(tx *Tx) (*stackgate.Stack, error) { return findStack(ctx, tx, `uid = ?`, uid) })
}

// ListStacksOfUser returns the user's stacks in creation order (uid breaks
// ties of one millisecond so the order is total).
func (s *Store) ListStacksOfUser(ctx context.Context, userUID string) ([]*stackgate.Stack, error) {
	return read(ctx, s, func(tx *Tx) ([]*stackgate.Stack, error) {
		return queryList(ctx, tx, scanStack, `SELECT `+stackColumns+` FROM stacks
			WHERE uid IN (SELECT stack_uid FROM members WHERE user_uid = ?)
			ORDER BY created_at, uid`, userUID)
	})
}

// CountStacks returns how many stacks exist.
func (s *Store) CountStacks(ctx context.Context) (int, error) {
	return readOne(ctx, s, func(tx *Tx) (int, error) {
		var n int
		err := tx.queryRow(ctx, `SELECT COUNT(*) FROM stacks`).Scan(&n)
		return n, err
	})
}

func findStack(ctx context.Context, tx *Tx, where string, arg any) (*stackgate.Stack, error) {
	st, err := scanStack(tx.queryRow(ctx, `SELECT `+stackColumns+` FROM stacks WHERE `+where, arg))
	if err != nil {
		return nil, notFound(err, "stack")
	}
	return st, nil
}

func scanStack(r scanner) (*stackgate.Stack, error) {
	var st stackgate.Stack
	var created, updated int64
	if err := r.Scan(&st.UID, &st.APIKey, &st.Name, &st.Description, &st.OrgUID, &st.OwnerUID, &st.MasterLocale,
		&created, &updated); err != nil {
		return nil, err
	}
	st.CreatedAt, st.UpdatedAt = fromMS(created), fromMS(updated)
	return &st, nil
}

// FindMember returns the user's membership in the stack or ENOTFOUND.
func (s *Store) FindMember(ctx context.Context, stackUID, userUID string) (*stackgate.Member, error) {
	return read(ctx, s, func(tx *Tx) (*stackgate.Member, error) {
		if err := findMemberRow(ctx, tx, stackUID, userUID, ""); err != nil {
			return nil, err
		}
		roles, err := queryStrings(ctx, tx, `SELECT role_uid FROM member_roles
			WHERE stack_uid = ? AND user_uid = ? ORDER BY role_uid`, stackUID, userUID)
		if err != nil {
			return nil, err
		}
		return &stackgate.Member{StackUID: stackUID, UserUID: userUID, RoleUIDs: roles}, nil
	})
}

// ListMembers returns the stack's members, oldest membership first.
func (s *Store) ListMembers(ctx context.Context, stackUID string) ([]*stackgate.Member, error) {
	return read(ctx, s, func(tx *Tx) ([]*stackgate.Member, error) { return listMembers(ctx, tx, stackUID) })
}

// listMembers makes two statements: run it in a transaction.
func listMembers(ctx context.Context, tx *Tx, stackUID string) ([]*stackgate.Member, error) {
	members, err := queryList(ctx, tx, func(r scanner) (*stackgate.Member, error) {
		m := &stackgate.Member{StackUID: stackUID, RoleUIDs: []string{}}
		return m, r.Scan(&m.UserUID)
	}, `SELECT user_uid FROM members WHERE stack_uid = ? ORDER BY seq`, stackUID)
	if err != nil {
		return nil, err
	}
	byUser := make(map[string]*stackgate.Member, len(members))
	for _, m := range members {
		byUser[m.UserUID] = m
	}
	rows, err := tx.query(ctx, `SELECT user_uid, role_uid FROM member_roles WHERE stack_uid = ? ORDER BY user_uid, role_uid`, stackUID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var user, role string
		if err := rows.Scan(&user, &role); err != nil {
			return nil, err
		}
		if m := byUser[user]; m != nil {
			m.RoleUIDs = append(m.RoleUIDs, role)
		}
	}
	return members, rows.Err()
}

// LoadStack reads the stack and everything its credentials are decided by
// in one read transaction, so that a write committed meanwhile is seen
// entirely or not at all (SQLite: one WAL snapshot from the first SELECT;
// PostgreSQL: REPEATABLE READ).
func (s *Store) LoadStack(ctx context.Context, apiKey string) (*stackgate.StackContents, error) {
	return read(ctx, s, func(tx *Tx) (*stackgate.StackContents, error) {
		st, err := findStack(ctx, tx, `api_key = ?`, apiKey)
		if err != nil {
			return nil, err
		}
		c := &stackgate.StackContents{Stack: st}
		for _, load := range []func() error{
			func() (err error) { c.Environments, err = listEnvironments(ctx, tx, st.UID); return err },
			func() (err error) { c.Locales, err = listLocales(ctx, tx, st.UID); return err },
			func() (err error) { c.Branches, err = listBranches(ctx, tx, st.UID); return err },
			func() (err error) { c.BranchAliases, err = listBranchAliases(ctx, tx, st.UID); return err },
			func() (err error) { c.Roles, err = listRoles(ctx, tx, st.UID); return err },
			func() (err error) { c.Members, err = listMembers(ctx, tx, st.UID); return err },
			func() (err error) { c.DeliveryTokens, err = listDeliveryTokens(ctx, tx, st.UID); return err },
			func() (err error) { c.ManagementTokens, err = listManagementTokens(ctx, tx, st.UID); return err },
		} {
			if err := load(); err != nil {
				return nil, err
			}
		}
		return c, nil
	})
}

// AddMember makes the user a member with roleUIDs added to any roles they
// already hold. EINVALID on "roles" when a role is not of this stack, on
// "users" when the user does not exist.
func (s *Store) AddMember(ctx context.Context, stackUID, userUID string, roleUIDs []string) error {
	return s.writeStack(ctx, stackUID, &event{module: stackgate.AuditStackUser, typ: stackgate.AuditCreate, uid: userUID, title: userUID}, func(tx *Tx) error {
		if err := addMember(ctx, tx, stackUID, userUID, roleUIDs); err != nil {
			return err
		}
		return nil
	})
}

// SetMemberRoles replaces the roles of each user in assignments. EINVALID on
// "users" when a user is not a member, on "roles" when a role is not of this
// stack, on "users" when a role ends with more than usersPerRole holders and
// more than it had (a role already past a lowered limit may still shrink).
func (s *Store) SetMemberRoles(ctx context.Context, stackUID string, assignments map[string][]string, usersPerRole int) error {
	return s.writeStack(ctx, stackUID, &event{module: stackgate.AuditStackUser, typ: stackgate.AuditUpdate}, func(tx *Tx) error {
		// Sorted, so that errors and lock order do not depend on map iteration.
		users := make([]string, 0, len(assignments))
		var roles []string
		for u, rs := range assignments {
			users = append(users, u)
			roles = append(roles, rs...)
		}
		slices.Sort(users)
		slices.Sort(roles)
		roles = slices.Compact(roles)
		holders := func() (map[string]int, error) {
			n := make(map[string]int, len(roles))
			if usersPerRole <= 0 {
				return n, nil
			}
			for _, role := range roles {
				var c int
				if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM member_roles WHERE stack_uid = ? AND role_uid = ?`, stackUID, role).Scan(&c); err != nil {
					return nil, err
				}
				n[role] = c
			}
			return n, nil
		}
		before, err := holders()
		if err != nil {
			return err
		}
		for _, user := range users {
			if err := findMemberRow(ctx, tx, stackUID, user, "users"); err != nil {
				return err
			}
			if _, err := tx.exec(ctx, `DELETE FROM member_roles WHERE stack_uid = ? AND user_uid = ?`, stackUID, user); err != nil {
				return err
			}
			if err := grantRoles(ctx, tx, stackUID, user, assignments[user]); err != nil {
				return err
			}
		}
		after, err := holders()
		if err != nil {
			return err
		}
		for _, role := range roles {
			if after[role] > usersPerRole && after[role] > before[role] {
				return usersPerRoleError(usersPerRole)
			}
		}
		return nil
	})
}

// RemoveMember removes the membership of the user with that e-mail (its
// role assignments with it) and the stack's invitation to the address, in
// one transaction under the stack lock; the owner is refused by the
// owner_uid read under that lock. It records the stack's change only when a
// membership went: an invitation alone gives no credential anything.
func (s *Store) RemoveMember(ctx context.Context, stackUID, email string) error {
	return s.writeLocked(ctx, stackUID, &event{module: stackgate.AuditStackUser, typ: stackgate.AuditUnshare, title: email}, func(tx *Tx) error {
		var uid string
		err := tx.queryRow(ctx, `SELECT u.uid FROM stacks s JOIN users u ON u.uid = s.owner_uid
			WHERE s.uid = ? AND u.email = ?`, stackUID, email).Scan(&uid)
		if err == nil {
			return stackgate.FieldError(stackgate.EINVALID, "email", stackgate.ProblemOwner)
		} else if !noRows(err) {
			return err
		}
		// The member, if the address is one's: a user who is no member here
		// answers as an address without an account.
		var member string
		err = tx.queryRow(ctx, `SELECT m.user_uid FROM members m JOIN users u ON u.uid = m.user_uid
			WHERE m.stack_uid = ? AND u.email = ?`, stackUID, email).Scan(&member)
		if err != nil && !noRows(err) {
			return err
		}
		if member != "" {
			if _, err := tx.exec(ctx, `DELETE FROM member_roles WHERE stack_uid = ? AND user_uid = ?`, stackUID, member); err != nil {
				return err
			}
			if _, err := tx.exec(ctx, `DELETE FROM members WHERE stack_uid = ? AND user_uid = ?`, stackUID, member); err != nil {
				return err
			}
			tx.changed(stackgate.Change{StackUID: stackUID})
		}
		res, err := tx.exec(ctx, `DELETE FROM stack_invitations WHERE stack_uid = ? AND email = ?`, stackUID, email)
		if err != nil {
			return err
		}
		withdrawn, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if member == "" && withdrawn == 0 {
			return stackgate.FieldError(stackgate.EINVALID, "email", stackgate.ProblemNotMember)
		}
		return nil
	})
}

// findMemberRow checks that the user is a member of the stack. When field is
// empty a non-member is ENOTFOUND, else EINVALID on field.
func findMemberRow(ctx context.Context, tx *Tx, stackUID, userUID, field string) error {
	var uid string
	err := tx.queryRow(ctx, `SELECT user_uid FROM members WHERE stack_uid = ? AND user_uid = ?`, stackUID, userUID).Scan(&uid)
	if field != "" && noRows(err) {
		return stackgate.FieldError(stackgate.EINVALID, field, stackgate.ProblemNotValid)
	}
	return notFound(err, "member")
}

// addMember inserts the membership unless it exists, then grants roleUIDs.
func addMember(ctx context.Context, tx *Tx, stackUID, userUID string, roleUIDs []string) error {
	var uid string
	if err := tx.queryRow(ctx, `SELECT uid FROM users WHERE uid = ?`+tx.d.ForShare(), userUID).Scan(&uid); err != nil {
		if noRows(err) {
			return stackgate.FieldError(stackgate.EINVALID, "users", stackgate.ProblemNotValid)
		}
		return err
	}
	if _, err := tx.exec(ctx, `INSERT INTO members (stack_uid, user_uid) VALUES (?, ?)
		ON CONFLICT (stack_uid, user_uid) DO NOTHING`, stackUID, userUID); err != nil {
		return err
	}
	return grantRoles(ctx, tx, stackUID, userUID, roleUIDs)
}

// grantRoles gives the member roleUIDs (kept if already held); EINVALID on
// "roles" when one is not a role of the stack.
func grantRoles(ctx context.Context, tx *Tx, stackUID, userUID string, roleUIDs []string) error {
	for _, role := range roleUIDs {
		var uid string
		if err := tx.queryRow(ctx, `SELECT uid FROM roles WHERE stack_uid = ? AND uid = ?`, stackUID, role).Scan(&uid); err != nil {
			if noRows(err) {
				return stackgate.FieldError(stackgate.EINVALID, "roles", stackgate.ProblemNotValid)
			}
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO member_roles (stack_uid, user_uid, role_uid) VALUES (?, ?, ?)
			ON CONFLICT (stack_uid, user_uid, role_uid) DO NOTHING`, stackUID, userUID, role); err != nil {
			return err
		}
	}
	return nil
}
