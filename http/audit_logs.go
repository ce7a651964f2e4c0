package http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/stackgate/stackgate"
)

// auditLogJSON is one entry as Contentstack renders it (GET /v3/audit-logs).
type auditLogJSON struct {
	UID        string          `json:"uid"`
	Stack      string          `json:"stack"`
	CreatedAt  string          `json:"created_at"`
	CreatedBy  string          `json:"created_by"`
	Module     string          `json:"module"`
	EventType  string          `json:"event_type"`
	RequestID  string          `json:"request_id"`
	Metadata   auditMetaJSON   `json:"metadata"`
	RemoteAddr string          `json:"remote_addr"`
	Request    json.RawMessage `json:"request"`
	Response   json.RawMessage `json:"response"`
	Branch     string          `json:"_branch,omitempty"`
}

type auditMetaJSON struct {
	Title string `json:"title"`
	UID   string `json:"uid"`
}

// renderAuditLog renders e in the log of the stack whose api_key is apiKey
// (a member's login, which belongs to no stack, shows as the stack's too).
func renderAuditLog(e *stackgate.AuditEntry, apiKey string, branch bool) auditLogJSON {
	j := auditLogJSON{UID: e.UID, Stack: apiKey, CreatedAt: stackgate.FormatTime(e.CreatedAt), CreatedBy: e.CreatedBy,
		Module: e.Module, EventType: e.EventType, RequestID: e.RequestID, Metadata: auditMetaJSON{Title: e.Title, UID: e.ObjectUID},
		RemoteAddr: e.RemoteAddr, Request: rawOrEmpty(e.Request), Response: rawOrEmpty(e.Response)}
	if branch {
		j.Branch = stackgate.MainBranch
	}
	return j
}

func rawOrEmpty(b []byte) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage(`{}`)
	}
	return b
}

var auditLogFields = fields[auditLogJSON]{
	"uid":         text(func(j auditLogJSON) string { return j.UID }),
	"stack":       text(func(j auditLogJSON) string { return j.Stack }),
	"created_at":  stamp(func(j auditLogJSON) string { return j.CreatedAt }),
	"created_by":  text(func(j auditLogJSON) string { return j.CreatedBy }),
	"module":      text(func(j auditLogJSON) string { return j.Module }),
	"event_type":  text(func(j auditLogJSON) string { return j.EventType }),
	"request_id":  text(func(j auditLogJSON) string { return j.RequestID }),
	"metadata":    composite(func(j auditLogJSON) auditMetaJSON { return j.Metadata }),
	"remote_addr": text(func(j auditLogJSON) string { return j.RemoteAddr }),
	"request":     composite(func(j auditLogJSON) json.RawMessage { return j.Request }),
	"response":    composite(func(j auditLogJSON) json.RawMessage { return j.Response }),
	"_branch":     omitText(func(j auditLogJSON) string { return j.Branch }),
}

// handleAuditLogList handles "GET /v3/audit-logs".
func (s *Server) handleAuditLogList(w http.ResponseWriter, r *http.Request) error {
	branch, err := queryBool(r, "include_branch", false)
	if err != nil {
		return err
	}
	st := principal(r).Stack
	render := func(e *stackgate.AuditEntry) auditLogJSON { return renderAuditLog(e, st.APIKey, branch) }
	// A page without a query or a sort is read as a page: the log can hold
	// tens of thousands of entries with their bodies.
	if p, err := parseList(r); err == nil && p.query.Empty() && p.sortField == "" && p.limit > 0 {
		logs, total, err := s.svc.AuditLogPage(r.Context(), st.UID, p.skip, p.limit)
		if err != nil {
			return err
		}
		return writePage(w, "logs", mapSlice(logs, render), p.includeCount, total)
	}
	logs, err := s.svc.AuditLogs(r.Context(), st.UID)
	if err != nil {
		return err
	}
	return writeList(w, r, "logs", auditLogFields, mapSlice(logs, render))
}

// handleAuditLogGet handles "GET /v3/audit-logs/{log_uid}".
func (s *Server) handleAuditLogGet(w http.ResponseWriter, r *http.Request) error {
	branch, err := queryBool(r, "include_branch", false)
	if err != nil {
		return err
	}
	st := principal(r).Stack
	e, err := s.svc.AuditLog(r.Context(), st.UID, r.PathValue("log_uid"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"log": renderAuditLog(e, st.APIKey, branch)})
	return nil
}

// audited prepares a request whose route may write: its body is read whole
// (it is under the body limit already) and replayed to the handler, and the
// context carries the AuditContext the store writes entries with (by: who
// the route authenticated, "" where the store knows better: login, logout).
// A body that fails to read replays what was read and then the same error,
// so the decoder answers exactly as it would have.
func (s *Server) audited(r *http.Request, by string) *http.Request {
	ac := stackgate.AuditContext{By: by, RequestID: requestID(r.Context()), RemoteAddr: info(r.Context()).client}
	if r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(b), errReader{err}))
		} else {
			r.Body = io.NopCloser(bytes.NewReader(b))
			ac.Request = b
		}
	}
	return r.WithContext(stackgate.WithAudit(r.Context(), ac))
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// maxAuditResponse bounds the response kept for the audit log; a longer
// one (a list) is not kept.
const maxAuditResponse = 64 << 10

// responseCapture keeps a copy of a successful reply for the audit log.
type responseCapture struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
	over   bool
}

func (c *responseCapture) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *responseCapture) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	if !c.over {
		if c.buf.Len()+len(b) > maxAuditResponse {
			c.over = true
			c.buf.Reset()
		} else {
			c.buf.Write(b)
		}
	}
	return c.ResponseWriter.Write(b)
}

func (c *responseCapture) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// recordResponse adds a successful write's reply to its audit entries,
// after the reply is sent; the request's cancellation does not stop it.
func (s *Server) recordResponse(r *http.Request, c *responseCapture) {
	if c.status < 200 || c.status > 299 || c.over || c.buf.Len() == 0 {
		return
	}
	ctx := context.WithoutCancel(r.Context())
	if err := s.svc.RecordAuditResponse(ctx, requestID(ctx), c.buf.Bytes()); err != nil && !errors.Is(err, context.Canceled) {
		s.log.Warn("audit response not recorded", "request_id", requestID(ctx), "err", err)
	}
}
