package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/stackgate/stackgate"
)

const userColumns = `uid, email, first_name, last_name, username, org_uid, password_hash,
	failed_attempts, locked_until, created_at, updated_at`

// CreateUser inserts u; ECONFLICT on "email" when the email is taken.
func (s *Store) CreateUser(ctx context.Context, u *stackgate.User) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	u.Email = strings.ToLower(u.Email)
	if _, err := tx.exec(ctx, `INSERT INTO users (`+userColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.UID, u.Email, u.FirstName, u.LastName, u.Username, u.OrgUID, u.PasswordHash,
		u.FailedAttempts, ms(u.LockedUntil), ms(u.CreatedAt), ms(u.UpdatedAt)); err != nil {
		return tx.conflict(err, "email")
	}
	return tx.Commit(ctx)
}

// FindUserByUID returns the user or ENOTFOUND.
func (s *Store) FindUserByUID(ctx context.Context, uid string) (*stackgate.User, error) {
	return readOne(ctx, s, func(tx *Tx) (*stackgate.User, error) {
		return findUser(ctx, tx, `uid = ?`, uid)
	})
}

// FindUserByEmail returns the user with that (lower-cased) email or ENOTFOUND.
func (s *Store) FindUserByEmail(ctx context.Context, email string) (*stackgate.User, error) {
	return readOne(ctx, s, func(tx *Tx) (*stackgate.User, error) {
		return findUser(ctx, tx, `email = ?`, strings.ToLower(email))
	})
}

// SetLoginFailures records the failed-login counter and lock of a user. It
// changes no credential (sessions stay valid), so it announces nothing.
func (s *Store) SetLoginFailures(ctx context.Context, userUID string, failed int, lockedUntil time.Time) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.exec(ctx, `UPDATE users SET failed_attempts = ?, locked_until = ? WHERE uid = ?`,
		failed, ms(lockedUntil), userUID)
	if err != nil {
		return err
	}
	if err := affected(res, "user"); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// ListMemberUsers returns the stack's members' users, in membership order.
func (s *Store) ListMemberUsers(ctx context.Context, stackUID string) ([]*stackgate.User, error) {
	return read(ctx, s, func(tx *Tx) ([]*stackgate.User, error) {
		return queryList(ctx, tx, scanUser, `SELECT `+memberUserColumns+` FROM members m JOIN users u ON u.uid = m.user_uid
			WHERE m.stack_uid = ? ORDER BY m.seq`, stackUID)
	})
}

// memberUserColumns are userColumns of the users table aliased "u".
var memberUserColumns = func() string {
	cols := strings.Split(userColumns, ",")
	for i, c := range cols {
		cols[i] = "u." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}()

// scanUser scans the userColumns of one row.
func scanUser(r scanner) (*stackgate.User, error) {
	var u stackgate.User
	var locked, created, updated int64
	if err := r.Scan(&u.UID, &u.Email, &u.FirstName, &u.LastName, &u.Username, &u.OrgUID, &u.PasswordHash,
		&u.FailedAttempts, &locked, &created, &updated); err != nil {
		return nil, err
	}
	u.LockedUntil, u.CreatedAt, u.UpdatedAt = fromMS(locked), fromMS(created), fromMS(updated)
	return &u, nil
}

func findUser(ctx context.Context, tx *Tx, where string, arg any) (*stackgate.User, error) {
	u, err := scanUser(tx.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE `+where, arg))
	if err != nil {
		return nil, notFound(err, "user")
	}
	return u, nil
}

// ReserveLoginAttempt decides and counts a login attempt in one write
// transaction holding the user's row lock (PostgreSQL: FOR UPDATE; SQLite:
// the database write lock taken at BEGIN IMMEDIATE), so concurrent attempts
// are decided one after the other, each seeing the previous one's count.
func (s *Store) ReserveLoginAttempt(ctx context.Context, userUID string, now time.Time, p stackgate.LoginPolicy) (stackgate.LoginAttempt, error) {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return stackgate.LoginAttempt{}, err
	}
	defer tx.Rollback()
	var failed int
	var next int64
	if err := tx.queryRow(ctx, `SELECT failed_attempts, locked_until FROM users WHERE uid = ?`+tx.d.ForUpdate(), userUID).
		Scan(&failed, &next); err != nil {
		return stackgate.LoginAttempt{}, notFound(err, "user")
	}
	a, failed2, next2 := p.Reserve(failed, fromMS(next), fromMS(ms(now)))
	if failed2 != failed || ms(next2) != next {
		if _, err := tx.exec(ctx, `UPDATE users SET failed_attempts = ?, locked_until = ? WHERE uid = ?`,
			failed2, ms(next2), userUID); err != nil {
			return stackgate.LoginAttempt{}, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return stackgate.LoginAttempt{}, err
	}
	return a, nil
}
