package sqlstore

import (
	"context"

	"github.com/stackgate/stackgate"
)

const (
	branchColumns = `uid, stack_uid, source, created_by, updated_by, created_at, updated_at`
	aliasColumns  = `uid, stack_uid, target_branch, created_by, updated_by, created_at, updated_at`
)

// CreateBranch inserts b; ECONFLICT on "uid" when a branch or an alias of
// that name exists.
func (s *Store) CreateBranch(ctx context.Context, b *stackgate.Branch, limit int) error {
	return s.writeStack(ctx, b.StackUID, &event{module: stackgate.AuditBranch, typ: stackgate.AuditCreate, uid: b.UID, title: b.UID}, func(tx *Tx) error {
		if err := checkCount(ctx, tx, `SELECT COUNT(*) FROM branches WHERE stack_uid = ?`, b.StackUID, limit, "branch", "branches"); err != nil {
			return err
		}
		if err := insertBranch(ctx, tx, b); err != nil {
			return err
		}
		return nil
	})
}

// FindBranch returns the stack's branch or ENOTFOUND.
func (s *Store) FindBranch(ctx context.Context, stackUID, uid string) (*stackgate.Branch, error) {
	return readOne(ctx, s, func(tx *Tx) (*stackgate.Branch, error) {
		return scanBranch(tx.queryRow(ctx, `SELECT `+branchColumns+` FROM branches WHERE stack_uid = ? AND uid = ?`, stackUID, uid))
	})
}

// ListBranches returns the stack's branches.
func (s *Store) ListBranches(ctx context.Context, stackUID string) ([]*stackgate.Branch, error) {
	return readOne(ctx, s, func(tx *Tx) ([]*stackgate.Branch, error) { return listBranches(ctx, tx, stackUID) })
}

func listBranches(ctx context.Context, tx *Tx, stackUID string) ([]*stackgate.Branch, error) {
	return queryList(ctx, tx, scanBranch, `SELECT `+branchColumns+` FROM branches
		WHERE stack_uid = ? ORDER BY created_at, seq`, stackUID)
}

// DeleteBranch removes it; EINVALID for main, and on "branch" while a
// token, role or alias references it.
func (s *Store) DeleteBranch(ctx context.Context, stackUID, uid string) error {
	return s.writeStack(ctx, stackUID, &event{module: stackgate.AuditBranch, typ: stackgate.AuditDelete, uid: uid, title: uid}, func(tx *Tx) error {
		var found string
		if err := tx.queryRow(ctx, `SELECT uid FROM branches WHERE stack_uid = ? AND uid = ?`+tx.d.ForUpdate(),
			stackUID, uid).Scan(&found); err != nil {
			return notFound(err, "branch")
		}
		if uid == stackgate.MainBranch {
			return stackgate.FieldError(stackgate.EINVALID, "uid", "main cannot be deleted.")
		}
		if err := checkUnreferenced(ctx, tx, stackUID, stackgate.RefBranch, uid); err != nil {
			return err
		}
		var alias string
		err := tx.queryRow(ctx, `SELECT uid FROM branch_aliases WHERE stack_uid = ? AND target_branch = ? ORDER BY uid LIMIT 1`,
			stackUID, uid).Scan(&alias)
		if err == nil {
			return stackgate.FieldError(stackgate.EINVALID, "branch", "is the target of branch alias "+alias+".")
		} else if !noRows(err) {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM branches WHERE stack_uid = ? AND uid = ?`, stackUID, uid); err != nil {
			return err
		}
		return nil
	})
}

// PutBranchAlias creates or retargets an alias (keeping its creation fields
// when it exists); EINVALID on "branch_alias.target_branch" when the target
// does not exist, ECONFLICT on "uid" when a branch has that name.
func (s *Store) PutBranchAlias(ctx context.Context, a *stackgate.BranchAlias, limit int) error {
	return s.writeStack(ctx, a.StackUID, &event{module: stackgate.AuditBranchAlias, typ: stackgate.AuditUpdate, uid: a.UID, title: a.UID}, func(tx *Tx) error {
		if taken, err := exists(ctx, tx, `SELECT uid FROM branches WHERE stack_uid = ? AND uid = ?`, a.StackUID, a.UID); err != nil {
			return err
		} else if taken {
			return stackgate.ErrConflict("uid")
		}
		if _, err := resolveRef(ctx, tx, a.StackUID, stackgate.Ref{Kind: stackgate.RefBranch, Value: a.TargetBranch,
			Field: "branch_alias.target_branch"}); err != nil {
			return err
		}
		res, err := tx.exec(ctx, `UPDATE branch_aliases SET target_branch = ?, updated_by = ?, updated_at = ?
			WHERE stack_uid = ? AND uid = ?`, a.TargetBranch, a.UpdatedBy, ms(a.UpdatedAt), a.StackUID, a.UID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			if err := checkCount(ctx, tx, `SELECT COUNT(*) FROM branch_aliases WHERE stack_uid = ?`, a.StackUID, limit, "branch_alias", "branch aliases"); err != nil {
				return err
			}
			if _, err := tx.exec(ctx, `INSERT INTO branch_aliases (`+aliasColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				a.UID, a.StackUID, a.TargetBranch, a.CreatedBy, a.UpdatedBy, ms(a.CreatedAt), ms(a.UpdatedAt)); err != nil {
				return tx.conflict(err, "uid")
			}
		}
		return nil
	})
}

// FindBranchAlias returns the stack's alias or ENOTFOUND.
func (s *Store) FindBranchAlias(ctx context.Context, stackUID, uid string) (*stackgate.BranchAlias, error) {
	return readOne(ctx, s, func(tx *Tx) (*stackgate.BranchAlias, error) {
		return scanAlias(tx.queryRow(ctx, `SELECT `+aliasColumns+` FROM branch_aliases WHERE stack_uid = ? AND uid = ?`, stackUID, uid))
	})
}

// ListBranchAliases returns the stack's aliases.
func (s *Store) ListBranchAliases(ctx context.Context, stackUID string) ([]*stackgate.BranchAlias, error) {
	return readOne(ctx, s, func(tx *Tx) ([]*stackgate.BranchAlias, error) { return listBranchAliases(ctx, tx, stackUID) })
}

func listBranchAliases(ctx context.Context, tx *Tx, stackUID string) ([]*stackgate.BranchAlias, error) {
	return queryList(ctx, tx, scanAlias, `SELECT `+aliasColumns+` FROM branch_aliases
		WHERE stack_uid = ? ORDER BY created_at, seq`, stackUID)
}

// DeleteBranchAlias removes it; EINVALID on "branch_alias" while a token or
// role references it.
func (s *Store) DeleteBranchAlias(ctx context.Context, stackUID, uid string) error {
	return s.writeStack(ctx, stackUID, &event{module: stackgate.AuditBranchAlias, typ: stackgate.AuditDelete, uid: uid, title: uid}, func(tx *Tx) error {
		var found string
		if err := tx.queryRow(ctx, `SELECT uid FROM branch_aliases WHERE stack_uid = ? AND uid = ?`+tx.d.ForUpdate(),
			stackUID, uid).Scan(&found); err != nil {
			return notFound(err, "branch alias")
		}
		if err := checkUnreferenced(ctx, tx, stackUID, stackgate.RefBranchAlias, uid); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM branch_aliases WHERE stack_uid = ? AND uid = ?`, stackUID, uid); err != nil {
			return err
		}
		return nil
	})
}

// insertBranch inserts b unless a branch or an alias has its name.
func insertBranch(ctx context.Context, tx *Tx, b *stackgate.Branch) error {
	if taken, err := exists(ctx, tx, `SELECT uid FROM branch_aliases WHERE stack_uid = ? AND uid = ?`, b.StackUID, b.UID); err != nil {
		return err
	} else if taken {
		return stackgate.ErrConflict("uid")
	}
	_, err := tx.exec(ctx, `INSERT INTO branches (`+branchColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		b.UID, b.StackUID, b.Source, b.CreatedBy, b.UpdatedBy, ms(b.CreatedAt), ms(b.UpdatedAt))
	return tx.conflict(err, "uid")
}

// exists reports whether query returns a row.
func exists(ctx context.Context, tx *Tx, query string, args ...any) (bool, error) {
	var v any
	err := tx.queryRow(ctx, query, args...).Scan(&v)
	if noRows(err) {
		return false, nil
	}
	return err == nil, err
}

func scanBranch(r scanner) (*stackgate.Branch, error) {
	var b stackgate.Branch
	var created, updated int64
	if err := r.Scan(&b.UID, &b.StackUID, &b.Source, &b.CreatedBy, &b.UpdatedBy, &created, &updated); err != nil {
		return nil, notFound(err, "branch")
	}
	b.CreatedAt, b.UpdatedAt = fromMS(created), fromMS(updated)
	return &b, nil
}

func scanAlias(r scanner) (*stackgate.BranchAlias, error) {
	var a stackgate.BranchAlias
	var created, updated int64
	if err := r.Scan(&a.UID, &a.StackUID, &a.TargetBranch, &a.CreatedBy, &a.UpdatedBy, &created, &updated); err != nil {
		return nil, notFound(err, "branch alias")
	}
	a.CreatedAt, a.UpdatedAt = fromMS(created), fromMS(updated)
	return &a, nil
}
