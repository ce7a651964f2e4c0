package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/stackgate/stackgate"
)

// Kinds of objects that own references (refs.owner_kind).
const (
	ownerRole            = "role"
	ownerDeliveryToken   = "delivery_token"
	ownerManagementToken = "management_token"
)

// resolveRef finds the target of ref in the stack and returns its canonical
// uid, locking the target row until the transaction ends so that a
// concurrent delete of it waits for this transaction and then sees the
// reference. A missing target is EINVALID on ref.Field.
func resolveRef(ctx context.Context, tx *Tx, stackUID string, ref stackgate.Ref) (string, error) {
	var query string
	args := []any{stackUID, ref.Value}
	switch ref.Kind {
	case stackgate.RefEnvironment:
		// Prefer a uid match, should a name ever equal another environment's uid.
		query = `SELECT uid FROM environments WHERE stack_uid = ? AND (uid = ? OR name = ?)
			ORDER BY CASE WHEN uid = ? THEN 0 ELSE 1 END LIMIT 1`
		args = append(args, ref.Value, ref.Value)
	case stackgate.RefLocale:
		query = `SELECT uid FROM locales WHERE stack_uid = ? AND (uid = ? OR code = ?)
			ORDER BY CASE WHEN uid = ? THEN 0 ELSE 1 END LIMIT 1`
		args = append(args, ref.Value, ref.Value)
	case stackgate.RefBranch:
		query = `SELECT uid FROM branches WHERE stack_uid = ? AND uid = ?`
	case stackgate.RefBranchAlias:
		query = `SELECT uid FROM branch_aliases WHERE stack_uid = ? AND uid = ?`
	default:
		return "", fmt.Errorf("unknown ref kind %q", ref.Kind)
	}
	var uid string
	if err := tx.queryRow(ctx, query+tx.d.ForShare(), args...).Scan(&uid); err != nil {
		if noRows(err) {
			field := ref.Field
			if field == "" {
				field = string(ref.Kind)
			}
			return "", stackgate.FieldError(stackgate.EINVALID, field, stackgate.ProblemNotValid)
		}
		return "", err
	}
	return uid, nil
}

// setRefs replaces the references of one owner by refs, resolved. Every
// missing target is reported, each on its own field.
func setRefs(ctx context.Context, tx *Tx, stackUID, ownerKind, ownerUID string, refs []stackgate.Ref) error {
	if err := deleteRefs(ctx, tx, stackUID, ownerKind, ownerUID); err != nil {
		return err
	}
	v := stackgate.Validation{}
	for _, ref := range refs {
		uid, err := resolveRef(ctx, tx, stackUID, ref)
		if stackgate.IsCode(err, stackgate.EINVALID) {
			for field, problems := range err.(*stackgate.Error).Fields {
				v[field] = append(v[field], problems...)
			}
			continue
		} else if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO refs (stack_uid, owner_kind, owner_uid, target_kind, target_uid)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, stackUID, ownerKind, ownerUID, string(ref.Kind), uid); err != nil {
			return err
		}
	}
	return v.Err()
}

func deleteRefs(ctx context.Context, tx *Tx, stackUID, ownerKind, ownerUID string) error {
	_, err := tx.exec(ctx, `DELETE FROM refs WHERE stack_uid = ? AND owner_kind = ? AND owner_uid = ?`,
		stackUID, ownerKind, ownerUID)
	return err
}

// checkUnreferenced refuses (EINVALID on the kind) when a
// token or role references the target. The caller has locked the target row
// FOR UPDATE, so no transaction can add a reference after this check.
func checkUnreferenced(ctx context.Context, tx *Tx, stackUID string, kind stackgate.RefKind, uid string) error {
	var owner string
	err := tx.queryRow(ctx, `SELECT owner_kind FROM refs WHERE stack_uid = ? AND target_kind = ? AND target_uid = ?
		ORDER BY owner_kind LIMIT 1`, stackUID, string(kind), uid).Scan(&owner)
	if noRows(err) {
		return nil
	} else if err != nil {
		return err
	}
	return stackgate.FieldError(stackgate.EINVALID, string(kind),
		"is referenced by a "+strings.ReplaceAll(owner, "_", " ")+".")
}
