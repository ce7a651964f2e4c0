package sqlstore

import (
	"context"

	"github.com/stackgate/stackgate"
)

const environmentColumns = `uid, stack_uid, name, urls, version, created_by, updated_by, created_at, updated_at`

// CreateEnvironment inserts e; ECONFLICT on "name".
func (s *Store) CreateEnvironment(ctx context.Context, e *stackgate.Environment, limit int) error {
	return s.writeStack(ctx, e.StackUID, func(tx *Tx) error {
		if err := checkCount(ctx, tx, `SELECT COUNT(*) FROM environments WHERE stack_uid = ?`, e.StackUID, limit, "environment", "environments"); err != nil {
			return err
		}
		if err := insertEnvironment(ctx, tx, e); err != nil {
			return err
		}
		return nil
	})
}

// FindEnvironment returns the stack's environment whose name or uid is key.
func (s *Store) FindEnvironment(ctx context.Context, stackUID, key string) (*stackgate.Environment, error) {
	return readOne(ctx, s, func(tx *Tx) (*stackgate.Environment, error) {
		return scanEnvironment(tx.queryRow(ctx, `SELECT `+environmentColumns+` FROM environments
			WHERE stack_uid = ? AND (uid = ? OR name = ?)
			ORDER BY CASE WHEN uid = ? THEN 0 ELSE 1 END LIMIT 1`, stackUID, key, key, key))
	})
}

// ListEnvironments returns the stack's environments.
func (s *Store) ListEnvironments(ctx context.Context, stackUID string) ([]*stackgate.Environment, error) {
	return readOne(ctx, s, func(tx *Tx) ([]*stackgate.Environment, error) { return listEnvironments(ctx, tx, stackUID) })
}

func listEnvironments(ctx context.Context, tx *Tx, stackUID string) ([]*stackgate.Environment, error) {
	return queryList(ctx, tx, scanEnvironment, `SELECT `+environmentColumns+` FROM environments
		WHERE stack_uid = ? ORDER BY created_at, seq`, stackUID)
}

// UpdateEnvironment replaces name and urls of e (found by e.UID) and its
// updated_by/updated_at, bumping its version (written back to e.Version).
// A rename is followed into the role rules that name the environment by its
// old name, in the same transaction. ECONFLICT on "name".
func (s *Store) UpdateEnvironment(ctx context.Context, e *stackgate.Environment) error {
	return s.writeStack(ctx, e.StackUID, func(tx *Tx) error {
		var oldName string
		if err := tx.queryRow(ctx, `SELECT name FROM environments WHERE stack_uid = ? AND uid = ?`+tx.d.ForUpdate(),
			e.StackUID, e.UID).Scan(&oldName); err != nil {
			return notFound(err, "environment")
		}
		urls, err := marshal(e.URLs)
		if err != nil {
			return err
		}
		var version int
		err = tx.queryRow(ctx, `UPDATE environments SET name = ?, urls = ?, version = version + 1, updated_by = ?, updated_at = ?
			WHERE stack_uid = ? AND uid = ? RETURNING version`,
			e.Name, urls, e.UpdatedBy, ms(e.UpdatedAt), e.StackUID, e.UID).Scan(&version)
		if err != nil {
			return tx.conflict(notFound(err, "environment"), "name")
		}
		e.Version = version
		if e.Name != oldName {
			return renameInRules(ctx, tx, e.StackUID, oldName, e.Name)
		}
		return nil
	})
}

// renameInRules makes the stack's role rules that name an environment by
// oldName name it newName. Rules keep environments as they were written (by
// name or uid, echoed back as given), so a rename must follow them or the
// roles would name an environment that no longer exists. The roles' refs
// hold the environment's uid and need nothing; nor do delivery tokens, which
// store uids.
func renameInRules(ctx context.Context, tx *Tx, stackUID, oldName, newName string) error {
	roles, err := queryList(ctx, tx, scanRole, `SELECT `+roleColumns+` FROM roles WHERE stack_uid = ? ORDER BY seq`, stackUID)
	if err != nil {
		return err
	}
	for _, r := range roles {
		changed := false
		for i := range r.Rules {
			if r.Rules[i].Module != stackgate.ModuleEnvironment {
				continue
			}
			for j, key := range r.Rules[i].Environments {
				if key == oldName {
					r.Rules[i].Environments[j] = newName
					changed = true
				}
			}
		}
		if !changed {
			continue
		}
		rules, err := marshalRules(r.Rules)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE roles SET rules = ? WHERE stack_uid = ? AND uid = ?`, rules, stackUID, r.UID); err != nil {
			return err
		}
	}
	return nil
}

// DeleteEnvironment removes it; EINVALID on "environment" while a token or
// role references it.
func (s *Store) DeleteEnvironment(ctx context.Context, stackUID, uid string) error {
	return s.writeStack(ctx, stackUID, func(tx *Tx) error {
		var found string
		if err := tx.queryRow(ctx, `SELECT uid FROM environments WHERE stack_uid = ? AND uid = ?`+tx.d.ForUpdate(),
			stackUID, uid).Scan(&found); err != nil {
			return notFound(err, "environment")
		}
		if err := checkUnreferenced(ctx, tx, stackUID, stackgate.RefEnvironment, uid); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM environments WHERE stack_uid = ? AND uid = ?`, stackUID, uid); err != nil {
			return err
		}
		return nil
	})
}

func insertEnvironment(ctx context.Context, tx *Tx, e *stackgate.Environment) error {
	urls, err := marshal(e.URLs)
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, `INSERT INTO environments (`+environmentColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.UID, e.StackUID, e.Name, urls, e.Version, e.CreatedBy, e.UpdatedBy, ms(e.CreatedAt), ms(e.UpdatedAt))
	return tx.conflict(err, "name")
}

func scanEnvironment(r scanner) (*stackgate.Environment, error) {
	var e stackgate.Environment
	var urls string
	var created, updated int64
	if err := r.Scan(&e.UID, &e.StackUID, &e.Name, &urls, &e.Version, &e.CreatedBy, &e.UpdatedBy, &created, &updated); err != nil {
		return nil, notFound(err, "environment")
	}
	if err := unmarshal(urls, &e.URLs); err != nil {
		return nil, err
	}
	e.CreatedAt, e.UpdatedAt = fromMS(created), fromMS(updated)
	return &e, nil
}
