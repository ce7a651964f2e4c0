package sqlstore

import (
	"context"
	"errors"
	"time"

	"github.com/stackgate/stackgate"
)

// event is what a write says about itself for the audit log: the module
// and event type, and the object (its uid and title, which the write may
// fill in once it has read them). writeStack takes one, so a write cannot
// commit without its entry; Commit refuses a transaction that recorded a
// Change but no entry.
type event struct {
	module, typ string
	uid, title  string
	// by, when set, is who made the change (a login: the user), in place
	// of the request's AuditContext.By.
	by string
}

// errUnaudited is a programming error: a write that changes what
// credentials may do must describe itself (event).
var errUnaudited = errors.New("sqlstore: a write recorded a change without an audit entry")

// audit writes the entry of ev, for the stack (or "" for a user's own
// event), in tx, with what the request's context says about who and where.
// The request body is redacted again here, whatever the caller did.
func (tx *Tx) audit(ctx context.Context, stackUID string, ev *event) error {
	a := stackgate.AuditFrom(ctx)
	by := a.By
	if ev.by != "" {
		by = ev.by
	}
	_, err := tx.exec(ctx, `INSERT INTO audit_logs (uid, stack_uid, created_at, created_by, module, event_type,
		request_id, remote_addr, object_uid, title, request, response) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
		stackgate.NewUID(), stackUID, ms(stackgate.Now()), by, ev.module, ev.typ,
		a.RequestID, a.RemoteAddr, ev.uid, ev.title, nullJSON(stackgate.RedactJSON(a.Request)))
	if err != nil {
		return err
	}
	if err := tx.outbox(ctx, stackUID, ev); err != nil {
		return err
	}
	tx.audited = true
	return nil
}

func nullJSON(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

const auditColumns = `uid, stack_uid, created_at, created_by, module, event_type, request_id, remote_addr,
	object_uid, title, request, response`

// auditOfStack is the condition of a stack's log: its own entries, and the
// session events of its members.
const auditOfStack = `(stack_uid = ? OR (stack_uid = '' AND created_by IN (SELECT user_uid FROM members WHERE stack_uid = ?)))`

// ListAuditLogs returns the stack's entries and its members' session
// events, oldest first (as every list: the HTTP layer orders replies).
func (s *Store) ListAuditLogs(ctx context.Context, stackUID string) ([]*stackgate.AuditEntry, error) {
	return readOne(ctx, s, func(tx *Tx) ([]*stackgate.AuditEntry, error) {
		return queryList(ctx, tx, scanAudit, `SELECT `+auditColumns+` FROM audit_logs WHERE `+auditOfStack+`
			ORDER BY created_at, seq`, stackUID, stackUID)
	})
}

// ListAuditLogPage returns a page of the stack's log, newest first, and
// the log's length, both in one read transaction.
func (s *Store) ListAuditLogPage(ctx context.Context, stackUID string, skip, limit int) ([]*stackgate.AuditEntry, int, error) {
	type page struct {
		entries []*stackgate.AuditEntry
		total   int
	}
	p, err := read(ctx, s, func(tx *Tx) (page, error) {
		var p page
		if err := tx.queryRow(ctx, `SELECT count(*) FROM audit_logs WHERE `+auditOfStack, stackUID, stackUID).Scan(&p.total); err != nil {
			return p, err
		}
		var err error
		p.entries, err = queryList(ctx, tx, scanAudit, `SELECT `+auditColumns+` FROM audit_logs WHERE `+auditOfStack+`
			ORDER BY created_at DESC, seq DESC LIMIT ? OFFSET ?`, stackUID, stackUID, limit, skip)
		return p, err
	})
	return p.entries, p.total, err
}

// FindAuditLog returns one entry of the stack's log or ENOTFOUND.
func (s *Store) FindAuditLog(ctx context.Context, stackUID, uid string) (*stackgate.AuditEntry, error) {
	return readOne(ctx, s, func(tx *Tx) (*stackgate.AuditEntry, error) {
		e, err := scanAudit(tx.queryRow(ctx, `SELECT `+auditColumns+` FROM audit_logs WHERE uid = ? AND `+auditOfStack,
			uid, stackUID, stackUID))
		return e, notFound(err, "audit_log")
	})
}

// PruneAuditLogs deletes the entries created before t.
func (s *Store) PruneAuditLogs(ctx context.Context, before time.Time) (int, error) {
	res, err := s.write.ExecContext(ctx, s.d.Rebind(`DELETE FROM audit_logs WHERE created_at < ?`), ms(before))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func scanAudit(sc scanner) (*stackgate.AuditEntry, error) {
	var e stackgate.AuditEntry
	var created int64
	var req, resp *string
	if err := sc.Scan(&e.UID, &e.StackUID, &created, &e.CreatedBy, &e.Module, &e.EventType, &e.RequestID,
		&e.RemoteAddr, &e.ObjectUID, &e.Title, &req, &resp); err != nil {
		return nil, err
	}
	e.CreatedAt = fromMS(created)
	if req != nil {
		e.Request = []byte(*req)
	}
	if resp != nil {
		e.Response = []byte(*resp)
	}
	return &e, nil
}

// nameOf returns the name of the stack's row uid in table (tokens, roles,
// environments), for the audit entry of its deletion; "" when there is
// none (the deletion then reports it missing).
func nameOf(ctx context.Context, tx *Tx, table, stackUID, uid string) (string, error) {
	var name string
	err := tx.queryRow(ctx, `SELECT name FROM `+table+` WHERE stack_uid = ? AND uid = ?`, stackUID, uid).Scan(&name)
	if noRows(err) {
		return "", nil
	}
	return name, err
}

// SetAuditResponse records the response of requestID on its entries that
// have none yet ("" names no request).
func (s *Store) SetAuditResponse(ctx context.Context, requestID string, response []byte) error {
	body := stackgate.RedactJSON(response)
	if requestID == "" || body == nil {
		return nil
	}
	_, err := s.write.ExecContext(ctx, s.d.Rebind(`UPDATE audit_logs SET response = ? WHERE request_id = ? AND response IS NULL`),
		string(body), requestID)
	return err
}
