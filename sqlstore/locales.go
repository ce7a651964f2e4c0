package sqlstore

import (
	"context"

	"github.com/stackgate/stackgate"
)

const localeColumns = `uid, stack_uid, code, name, fallback_locale, version, created_by, updated_by, created_at, updated_at`

// CreateLocale inserts l; ECONFLICT on "code", EINVALID on
// "fallback_locale" when the fallback (a code or uid) is not a locale of the
// stack.
func (s *Store) CreateLocale(ctx context.Context, l *stackgate.Locale, limit int) error {
	return s.writeStack(ctx, l.StackUID, &event{module: stackgate.AuditLocale, typ: stackgate.AuditCreate, uid: l.UID, title: l.Code}, func(tx *Tx) error {
		if err := checkCount(ctx, tx, `SELECT COUNT(*) FROM locales WHERE stack_uid = ?`, l.StackUID, limit, "locale", "locales"); err != nil {
			return err
		}
		if err := insertLocale(ctx, tx, l); err != nil {
			return err
		}
		return nil
	})
}

// FindLocale returns the stack's locale whose code or uid is key.
func (s *Store) FindLocale(ctx context.Context, stackUID, key string) (*stackgate.Locale, error) {
	return readOne(ctx, s, func(tx *Tx) (*stackgate.Locale, error) {
		return scanLocale(tx.queryRow(ctx, `SELECT `+localeColumns+` FROM locales
			WHERE stack_uid = ? AND (uid = ? OR code = ?)
			ORDER BY CASE WHEN uid = ? THEN 0 ELSE 1 END LIMIT 1`, stackUID, key, key, key))
	})
}

// ListLocales returns the stack's locales.
func (s *Store) ListLocales(ctx context.Context, stackUID string) ([]*stackgate.Locale, error) {
	return readOne(ctx, s, func(tx *Tx) ([]*stackgate.Locale, error) { return listLocales(ctx, tx, stackUID) })
}

func listLocales(ctx context.Context, tx *Tx, stackUID string) ([]*stackgate.Locale, error) {
	return queryList(ctx, tx, scanLocale, `SELECT `+localeColumns+` FROM locales
		WHERE stack_uid = ? ORDER BY created_at, seq`, stackUID)
}

// UpdateLocale replaces name and fallback of l (found by l.UID) and its
// updated_by/updated_at, bumping its version (written back to l.Version).
func (s *Store) UpdateLocale(ctx context.Context, l *stackgate.Locale) error {
	return s.writeStack(ctx, l.StackUID, &event{module: stackgate.AuditLocale, typ: stackgate.AuditUpdate, uid: l.UID, title: l.Code}, func(tx *Tx) error {
		if err := checkFallback(ctx, tx, l); err != nil {
			return err
		}
		var version int
		err := tx.queryRow(ctx, `UPDATE locales SET name = ?, fallback_locale = ?, version = version + 1, updated_by = ?, updated_at = ?
			WHERE stack_uid = ? AND uid = ? RETURNING version`,
			l.Name, l.FallbackLocale, l.UpdatedBy, ms(l.UpdatedAt), l.StackUID, l.UID).Scan(&version)
		if err != nil {
			return notFound(err, "locale")
		}
		l.Version = version
		return nil
	})
}

// DeleteLocale removes it; EINVALID on "locale" while a role references it
// or another locale falls back to it.
func (s *Store) DeleteLocale(ctx context.Context, stackUID, uid string) error {
	ev := &event{module: stackgate.AuditLocale, typ: stackgate.AuditDelete, uid: uid}
	return s.writeStack(ctx, stackUID, ev, func(tx *Tx) error {
		var code string
		if err := tx.queryRow(ctx, `SELECT code FROM locales WHERE stack_uid = ? AND uid = ?`+tx.d.ForUpdate(),
			stackUID, uid).Scan(&code); err != nil {
			return notFound(err, "locale")
		}
		ev.title = code
		if err := checkUnreferenced(ctx, tx, stackUID, stackgate.RefLocale, uid); err != nil {
			return err
		}
		// A fallback is stored as the caller gave it, a code or a uid.
		var other string
		err := tx.queryRow(ctx, `SELECT code FROM locales WHERE stack_uid = ? AND uid <> ? AND fallback_locale IN (?, ?) LIMIT 1`,
			stackUID, uid, code, uid).Scan(&other)
		if err == nil {
			return stackgate.FieldError(stackgate.EINVALID, "locale", "is the fallback of "+other+".")
		} else if !noRows(err) {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM locales WHERE stack_uid = ? AND uid = ?`, stackUID, uid); err != nil {
			return err
		}
		return nil
	})
}

// checkFallback verifies (and locks) the fallback locale of l, if any.
func checkFallback(ctx context.Context, tx *Tx, l *stackgate.Locale) error {
	if l.FallbackLocale == "" {
		return nil
	}
	_, err := resolveRef(ctx, tx, l.StackUID, stackgate.Ref{Kind: stackgate.RefLocale, Value: l.FallbackLocale, Field: "fallback_locale"})
	return err
}

func insertLocale(ctx context.Context, tx *Tx, l *stackgate.Locale) error {
	if err := checkFallback(ctx, tx, l); err != nil {
		return err
	}
	_, err := tx.exec(ctx, `INSERT INTO locales (`+localeColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		l.UID, l.StackUID, l.Code, l.Name, l.FallbackLocale, l.Version, l.CreatedBy, l.UpdatedBy, ms(l.CreatedAt), ms(l.UpdatedAt))
	return tx.conflict(err, "code")
}

func scanLocale(r scanner) (*stackgate.Locale, error) {
	var l stackgate.Locale
	var created, updated int64
	if err := r.Scan(&l.UID, &l.StackUID, &l.Code, &l.Name, &l.FallbackLocale, &l.Version,
		&l.CreatedBy, &l.UpdatedBy, &created, &updated); err != nil {
		return nil, notFound(err, "locale")
	}
	l.CreatedAt, l.UpdatedAt = fromMS(created), fromMS(updated)
	return &l, nil
}
