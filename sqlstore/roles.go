package sqlstore

import (
	"context"
	"database/sql"

	"github.com/stackgate/stackgate"
)

const roleColumns = `uid, stack_uid, name, description, system, rules, created_by, updated_by, created_at, updated_at`

// CreateRole inserts r, verifies and records refs (EINVALID on ref.Field
// when a target is missing), and gives the role to the users in members
// (EINVALID on "users" when one is not a member). ECONFLICT on "name".
func (s *Store) CreateRole(ctx context.Context, r *stackgate.Role, refs []stackgate.Ref, members []string, limit int) error {
	return s.writeStack(ctx, r.StackUID, func(tx *Tx) error {
		if err := checkCount(ctx, tx, `SELECT COUNT(*) FROM roles WHERE stack_uid = ? AND NOT system`, r.StackUID, limit, "role", "custom roles"); err != nil {
			return err
		}
		if err := insertRole(ctx, tx, r); err != nil {
			return err
		}
		if err := setRefs(ctx, tx, r.StackUID, ownerRole, r.UID, refs); err != nil {
			return err
		}
		if err := setHolders(ctx, tx, r.StackUID, r.UID, members); err != nil {
			return err
		}
		return nil
	})
}

// FindRole returns the stack's role, with its holders, or ENOTFOUND.
func (s *Store) FindRole(ctx context.Context, stackUID, uid string) (*stackgate.Role, error) {
	return read(ctx, s, func(tx *Tx) (*stackgate.Role, error) {
		r, err := scanRole(tx.queryRow(ctx, `SELECT `+roleColumns+` FROM roles WHERE stack_uid = ? AND uid = ?`, stackUID, uid))
		if err != nil {
			return nil, err
		}
		r.Users, err = queryStrings(ctx, tx, `SELECT user_uid FROM member_roles
			WHERE stack_uid = ? AND role_uid = ? ORDER BY user_uid`, stackUID, uid)
		if err != nil {
			return nil, err
		}
		return r, nil
	})
}

// ListRoles returns the stack's roles with their holders.
func (s *Store) ListRoles(ctx context.Context, stackUID string) ([]*stackgate.Role, error) {
	return read(ctx, s, func(tx *Tx) ([]*stackgate.Role, error) { return listRoles(ctx, tx, stackUID) })
}

// listRoles makes two statements: run it in a transaction.
func listRoles(ctx context.Context, tx *Tx, stackUID string) ([]*stackgate.Role, error) {
	roles, err := queryList(ctx, tx, scanRole, `SELECT `+roleColumns+` FROM roles
		WHERE stack_uid = ? ORDER BY created_at, seq`, stackUID)
	if err != nil {
		return nil, err
	}
	byUID := make(map[string]*stackgate.Role, len(roles))
	for _, r := range roles {
		byUID[r.UID] = r
	}
	rows, err := tx.query(ctx, `SELECT role_uid, user_uid FROM member_roles WHERE stack_uid = ? ORDER BY role_uid, user_uid`, stackUID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var role, user string
		if err := rows.Scan(&role, &user); err != nil {
			return nil, err
		}
		if r := byUID[role]; r != nil {
			r.Users = append(r.Users, user)
		}
	}
	return roles, rows.Err()
}

// UpdateRole replaces name, description, rules, updated_by/updated_at of r
// (found by r.UID), and its refs; when members is non-nil the role's holders
// become exactly members.
func (s *Store) UpdateRole(ctx context.Context, r *stackgate.Role, refs []stackgate.Ref, members []string) error {
	return s.writeStack(ctx, r.StackUID, func(tx *Tx) error {
		rules, err := marshalRules(r.Rules)
		if err != nil {
			return err
		}
		res, err := tx.exec(ctx, `UPDATE roles SET name = ?, description = ?, rules = ?, updated_by = ?, updated_at = ?
			WHERE stack_uid = ? AND uid = ?`,
			r.Name, nullString(r.Description), rules, r.UpdatedBy, ms(r.UpdatedAt), r.StackUID, r.UID)
		if err != nil {
			return tx.conflict(err, "name")
		}
		if err := affected(res, "role"); err != nil {
			return err
		}
		if err := setRefs(ctx, tx, r.StackUID, ownerRole, r.UID, refs); err != nil {
			return err
		}
		if members != nil {
			if _, err := tx.exec(ctx, `DELETE FROM member_roles WHERE stack_uid = ? AND role_uid = ?`, r.StackUID, r.UID); err != nil {
				return err
			}
			if err := setHolders(ctx, tx, r.StackUID, r.UID, members); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteRole removes the role and, by the member_roles foreign key's
// cascade, takes it from its holders.
func (s *Store) DeleteRole(ctx context.Context, stackUID, uid string) error {
	return s.writeStack(ctx, stackUID, func(tx *Tx) error {
		res, err := tx.exec(ctx, `DELETE FROM roles WHERE stack_uid = ? AND uid = ?`, stackUID, uid)
		if err != nil {
			return err
		}
		if err := affected(res, "role"); err != nil {
			return err
		}
		if err := deleteRefs(ctx, tx, stackUID, ownerRole, uid); err != nil {
			return err
		}
		return nil
	})
}

func insertRole(ctx context.Context, tx *Tx, r *stackgate.Role) error {
	rules, err := marshalRules(r.Rules)
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, `INSERT INTO roles (`+roleColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.UID, r.StackUID, r.Name, nullString(r.Description), r.System, rules,
		r.CreatedBy, r.UpdatedBy, ms(r.CreatedAt), ms(r.UpdatedAt))
	return tx.conflict(err, "name")
}

// setHolders gives the role to each user, who must be a member (EINVALID on "users").
func setHolders(ctx context.Context, tx *Tx, stackUID, roleUID string, users []string) error {
	for _, user := range users {
		if err := findMemberRow(ctx, tx, stackUID, user, "users"); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO member_roles (stack_uid, user_uid, role_uid) VALUES (?, ?, ?)
			ON CONFLICT (stack_uid, user_uid, role_uid) DO NOTHING`, stackUID, user, roleUID); err != nil {
			return err
		}
	}
	return nil
}

func scanRole(r scanner) (*stackgate.Role, error) {
	var role stackgate.Role
	var desc sql.NullString
	var rules string
	var created, updated int64
	if err := r.Scan(&role.UID, &role.StackUID, &role.Name, &desc, &role.System, &rules,
		&role.CreatedBy, &role.UpdatedBy, &created, &updated); err != nil {
		return nil, notFound(err, "role")
	}
	var err error
	if role.Rules, err = decodeRules(rules); err != nil {
		return nil, err
	}
	role.Description = stringPtr(desc)
	role.Users = []string{}
	role.CreatedAt, role.UpdatedAt = fromMS(created), fromMS(updated)
	return &role, nil
}
