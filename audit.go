package stackgate

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"time"
)

// AuditEntry is one line of a stack's audit log (GET /v3/audit-logs): who
// changed what, when, from where, with the request that did it. The store
// writes it in the transaction of the change it describes, so the log holds
// an entry exactly for each change that committed.
type AuditEntry struct {
	UID        string
	StackUID   string // "" for a user's own events (login, logout)
	CreatedAt  time.Time
	CreatedBy  string // a user's uid, or a management token's
	Module     string // AuditModule…
	EventType  string // AuditCreate…
	RequestID  string
	RemoteAddr string
	ObjectUID  string // metadata.uid
	Title      string // metadata.title: the object's name
	Request    []byte // JSON, secrets removed (RedactJSON); nil when none
	Response   []byte // JSON, secrets removed; nil when none
}

// Audit modules: the kind of object an entry is about.
const (
	AuditDeliveryToken   = "delivery_token"
	AuditPreviewToken    = "preview_token"
	AuditManagementToken = "management_token"
	AuditRole            = "role"
	AuditStackUser       = "stack_user" // memberships and invitations
	AuditEnvironment     = "environment"
	AuditLocale          = "locale"
	AuditBranch          = "branch"
	AuditBranchAlias     = "branch_alias"
	AuditStack           = "stack"
	AuditTokenWebhook    = "token_webhook" // a stack's token-event webhook (create, update, rotate: its secret, delete)
	AuditUserSession     = "user_session"  // login, logout
	AuditUser            = "user"          // an operator's password reset or deletion of a user (CLI)
	// OAuth: a grant (create, the user's consent), a revocation (delete),
	// an app's removal (delete).
	AuditOAuth = "oauth"
)

// Audit event types.
const (
	AuditCreate = "create"
	AuditUpdate = "update"
	AuditDelete = "delete"
	AuditRotate = "rotate"
	AuditRekey  = "rekey"  // re-sealed or re-hashed under the active keys (the CLI's rekey; a credential moved to the active hmac key on use)
	AuditShare  = "share"  // invitations recorded
	AuditAccept = "accept" // an invitation accepted: a membership
	// AuditUnshare is a member removed from a stack (and its invitation
	// withdrawn), POST /v3/stacks/unshare.
	AuditUnshare = "unshare"
	AuditLogin   = "login"
	AuditLogout  = "logout"
)

// AuditContext is what the edge knows about the request a write comes from:
// who made it, its id, the client's address and its body (any secret in it
// is removed before it is stored). It travels in the context (WithAudit),
// so that every store write can describe itself without each use case
// passing it along.
type AuditContext struct {
	By         string
	RequestID  string
	RemoteAddr string
	Request    []byte
}

type auditKey struct{}

// WithAudit returns ctx carrying a.
func WithAudit(ctx context.Context, a AuditContext) context.Context {
	return context.WithValue(ctx, auditKey{}, a)
}

// AuditFrom returns the AuditContext of ctx (zero when none: a write from
// the CLI or a test).
func AuditFrom(ctx context.Context) AuditContext {
	a, _ := ctx.Value(auditKey{}).(AuditContext)
	return a
}

// AuditStore keeps the audit log. Entries are written by the other stores'
// writes, in their transactions; this interface only reads and prunes.
type AuditStore interface {
	// ListAuditLogs returns the stack's entries, and the session events
	// (login, logout) of its members, oldest first (as every list).
	ListAuditLogs(ctx context.Context, stackUID string) ([]*AuditEntry, error)
	// ListAuditLogPage returns one page of that list, newest first: skip
	// entries, then at most limit (limit > 0), and how many the whole list
	// holds — so that a page without a query never reads the whole log.
	ListAuditLogPage(ctx context.Context, stackUID string, skip, limit int) ([]*AuditEntry, int, error)
	// FindAuditLog returns one entry of that list or ENOTFOUND.
	FindAuditLog(ctx context.Context, stackUID, uid string) (*AuditEntry, error)
	// SetAuditResponse records the (redacted) response of the request
	// requestID on its entries that have none yet. The response is known
	// only once the change has committed, so it is added after; it changes
	// no credential.
	SetAuditResponse(ctx context.Context, requestID string, response []byte) error
	// PruneAuditLogs deletes the entries created before t and returns how
	// many. It changes no credential.
	PruneAuditLogs(ctx context.Context, before time.Time) (int, error)
}

// secretKeys are the JSON keys whose values are credentials in any request
// or response body of the API; RedactJSON removes them, at any depth, when
// they hold a scalar.
var secretKeys = []string{
	"token", "preview_token", "password", "authtoken", "authorization",
	"previous_token", "access_token", "refresh_token", "client_secret",
	"secret", "password_confirm", "current_password",
	// The OAuth consent's reply: the client's redirect, which carries the
	// authorization code.
	"redirect_url",
}

// secretKey reports whether k names a secret as the body decoder reads it:
// encoding/json matches a key to a field under Unicode case folding
// (bytes.EqualFold), so "PASSWORD" and "paſſword" (U+017F folds to s) fill
// the password field too, and must be removed as "password" is.
func secretKey(k string) bool {
	for _, s := range secretKeys {
		if strings.EqualFold(k, s) {
			return true
		}
	}
	return false
}

// RedactJSON returns body with every secret-bearing key (token values,
// passwords, authtokens) removed, at any depth. A body that is not JSON is
// dropped whole (nil): it cannot be shown to hold no secret.
func RedactJSON(body []byte) []byte {
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return nil
	}
	out, err := json.Marshal(redact(v))
	if err != nil {
		return nil
	}
	return out
}

// RedactURL returns raw without user info, query or fragment, where a URL
// may carry a credential (a receiver's token in the query: a Slack-style
// hook): for log lines, error messages and the audit log.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

func redact(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if u, ok := val.(string); ok && strings.EqualFold(k, "url") {
				// A stack's token webhook's URL is shown to whoever reads
				// the audit log (a Developer, who may not read the webhook
				// itself): never its query.
				x[k] = RedactURL(u)
				continue
			}
			// {"token": {…}} is the wire's envelope of a token, not a
			// value: only a secret key's scalar is a secret.
			switch val.(type) {
			case map[string]any, []any:
			default:
				if secretKey(k) {
					delete(x, k)
					continue
				}
			}
			x[k] = redact(val)
		}
	case []any:
		for i := range x {
			x[i] = redact(x[i])
		}
	}
	return v
}
