package sqlstore

import (
	"context"
	"time"

	"github.com/stackgate/stackgate"
)

// ListUsers returns every user, oldest first.
func (s *Store) ListUsers(ctx context.Context) ([]*stackgate.User, error) {
	return readOne(ctx, s, func(tx *Tx) ([]*stackgate.User, error) {
		return queryList(ctx, tx, scanUser, `SELECT `+userColumns+` FROM users ORDER BY created_at, seq`)
	})
}

// ListStacks returns every stack, oldest first.
func (s *Store) ListStacks(ctx context.Context) ([]*stackgate.Stack, error) {
	return readOne(ctx, s, func(tx *Tx) ([]*stackgate.Stack, error) {
		return queryList(ctx, tx, scanStack, `SELECT `+stackColumns+` FROM stacks ORDER BY created_at, seq`)
	})
}

// SetPassword replaces the password, clears the lock and ends the sessions.
func (s *Store) SetPassword(ctx context.Context, userUID, passwordHash string, at time.Time) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.exec(ctx, `UPDATE users SET password_hash = ?, failed_attempts = 0, locked_until = 0, updated_at = ? WHERE uid = ?`,
		passwordHash, ms(at), userUID)
	if err != nil {
		return err
	}
	if err := affected(res, "user"); err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `DELETE FROM sessions WHERE user_uid = ?`, userUID); err != nil {
		return err
	}
	tx.changed(stackgate.Change{UserUID: userUID})
	return tx.Commit(ctx)
}

// DeleteUser locks every stack the user is a member of (stack locks first,
// in uid order, as every write takes them), then deletes the user; the
// schema's cascades take its sessions, memberships and their roles.
func (s *Store) DeleteUser(ctx context.Context, userUID string) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := findUser(ctx, tx, `uid = ?`, userUID); err != nil {
		return err
	}
	var owned int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM stacks WHERE owner_uid = ?`, userUID).Scan(&owned); err != nil {
		return err
	}
	if owned > 0 {
		return stackgate.FieldError(stackgate.EINVALID, "user", "owns a stack.")
	}
	rows, err := tx.query(ctx, `SELECT stack_uid FROM members WHERE user_uid = ? ORDER BY stack_uid`, userUID)
	if err != nil {
		return err
	}
	var stacks []string
	for rows.Next() {
		var uid string
		if err := rows.Scan(&uid); err != nil {
			rows.Close()
			return err
		}
		stacks = append(stacks, uid)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, st := range stacks {
		if err := lockStack(ctx, tx, st); err != nil {
			return err
		}
		tx.changed(stackgate.Change{StackUID: st})
	}
	if _, err := tx.exec(ctx, `DELETE FROM users WHERE uid = ?`, userUID); err != nil {
		return err
	}
	tx.changed(stackgate.Change{UserUID: userUID})
	return tx.Commit(ctx)
}
