package http

import (
	"net/netip"
	"time"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/http/wire"
)

// scopeEntryJSON is a scope entry on the wire. Delivery-token environment
// entries carry expanded environment objects.
type scopeEntryJSON struct {
	Module        stackgate.Module       `json:"module"`
	Environments  []scopeEnvironmentJSON `json:"environments,omitempty"`
	Branches      []string               `json:"branches,omitempty"`
	BranchAliases []string               `json:"branch_aliases,omitempty"`
	ACL           wire.ACL               `json:"acl"`
	Metadata      *metadataJSON          `json:"_metadata,omitempty"`
}

type metadataJSON struct {
	UID string `json:"uid"`
}

// scopeEnvironmentJSON is an environment expanded in a delivery token's
// scope, in the Tokens page samples' shape and key order: deploy_content
// and servers first (stackgate deploys nothing: false and []), _version
// after ACL.
type scopeEnvironmentJSON struct {
	DeployContent    bool                       `json:"deploy_content"`
	Servers          []any                      `json:"servers"`
	URLs             []stackgate.EnvironmentURL `json:"urls"`
	Name             string                     `json:"name"`
	AppUserObjectUID string                     `json:"app_user_object_uid"`
	UID              string                     `json:"uid"`
	CreatedBy        string                     `json:"created_by"`
	UpdatedBy        string                     `json:"updated_by"`
	CreatedAt        string                     `json:"created_at"`
	UpdatedAt        string                     `json:"updated_at"`
	ACL              []any                      `json:"ACL"`
	Version          int                        `json:"_version"`
	Tags             []string                   `json:"tags"`
}

func renderScopeEnvironment(e *stackgate.Environment) scopeEnvironmentJSON {
	j := renderEnvironment(e)
	return scopeEnvironmentJSON{Servers: []any{}, URLs: j.URLs, Name: j.Name, AppUserObjectUID: j.AppUserObjectUID, UID: j.UID,
		CreatedBy: j.CreatedBy, UpdatedBy: j.UpdatedBy, CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt, ACL: j.ACL,
		Version: j.Version, Tags: j.Tags}
}

type deliveryTokenJSON struct {
	Name         string           `json:"name"`
	Description  string           `json:"description"`
	Scope        []scopeEntryJSON `json:"scope"`
	UID          string           `json:"uid"`
	CreatedBy    string           `json:"created_by"`
	UpdatedBy    string           `json:"updated_by"`
	CreatedAt    string           `json:"created_at"`
	UpdatedAt    string           `json:"updated_at"`
	Token        string           `json:"token"`
	Type         string           `json:"type"`
	PreviewToken string           `json:"preview_token,omitempty"`
	ExpiresOn    *string          `json:"expires_on,omitempty"`           // the last UTC date it works; absent: never
	LastUsedAt   string           `json:"last_used_at,omitempty"`         // absent until first used (flushed every ≤ 10 s)
	PreviewUsed  string           `json:"preview_last_used_at,omitempty"` // the preview token's
	RateLimit    int              `json:"rate_limit,omitempty"`           // requests per second per node; absent: none
	IPAllow      []string         `json:"ip_allow,omitempty"`             // absent: any address
}

// renderScope renders scope entries; envs maps environment uid → object for
// delivery tokens (nil for management tokens, whose samples show neither
// expanded environments nor _metadata: the official SDKs read neither).
func renderScope(scope []stackgate.ScopeEntry, envs map[string]*stackgate.Environment) []scopeEntryJSON {
	out := make([]scopeEntryJSON, 0, len(scope))
	for _, e := range scope {
		j := scopeEntryJSON{Module: e.Module, Branches: e.Branches, BranchAliases: e.BranchAliases, ACL: wire.ACL(e.ACL)}
		if e.MetadataUID != "" && envs != nil {
			j.Metadata = &metadataJSON{e.MetadataUID}
		}
		if e.Module == stackgate.ModuleEnvironment && envs != nil {
			j.Environments = []scopeEnvironmentJSON{}
			for _, uid := range e.Environments {
				if env, ok := envs[uid]; ok {
					j.Environments = append(j.Environments, renderScopeEnvironment(env))
				}
			}
		}
		out = append(out, j)
	}
	return out
}

func renderDeliveryToken(t *stackgate.DeliveryToken, envs map[string]*stackgate.Environment) deliveryTokenJSON {
	return deliveryTokenJSON{Name: t.Name, Description: t.Description, Scope: renderScope(t.Scope, envs), UID: t.UID,
		CreatedBy: t.CreatedBy, UpdatedBy: t.UpdatedBy, CreatedAt: stackgate.FormatTime(t.CreatedAt),
		UpdatedAt: stackgate.FormatTime(t.UpdatedAt), Token: t.Token, Type: "delivery", PreviewToken: t.PreviewToken,
		ExpiresOn: renderDay(t.ExpiresOn), LastUsedAt: renderUsed(t.LastUsedAt), PreviewUsed: renderUsed(t.PreviewUsed),
		RateLimit: t.Limits.Rate.Read, IPAllow: renderIPAllow(t.Limits)}
}

// renderIPAllow renders ip_allow as masked CIDR prefixes; none is nil (omitted).
func renderIPAllow(l stackgate.TokenLimits) []string {
	if len(l.IPAllow) == 0 {
		return nil
	}
	return mapSlice(l.IPAllow, netip.Prefix.String)
}

// rateLimitJSON is a management token's rate_limit; a kind without a
// limit is omitted, and so is rate_limit without either.
type rateLimitJSON struct {
	Read  int `json:"read,omitempty"`
	Write int `json:"write,omitempty"`
}

// renderUsed renders a last use; never used is "" (omitted).
func renderUsed(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return stackgate.FormatTime(t)
}

// renderDay renders an expires_on date as YYYY-MM-DD; nil stays nil.
func renderDay(d *time.Time) *string {
	if d == nil {
		return nil
	}
	s := d.UTC().Format(time.DateOnly)
	return &s
}

type managementTokenJSON struct {
	Name              string           `json:"name"`
	Description       string           `json:"description"`
	Scope             []scopeEntryJSON `json:"scope"`
	ExpiresOn         *string          `json:"expires_on"`
	EmailNotification bool             `json:"is_email_notification_enabled"`
	UID               string           `json:"uid"`
	CreatedBy         string           `json:"created_by"`
	UpdatedBy         string           `json:"updated_by"`
	CreatedAt         string           `json:"created_at"`
	UpdatedAt         string           `json:"updated_at"`
	Token             string           `json:"token,omitempty"`        // only in the create reply
	LastUsedAt        string           `json:"last_used_at,omitempty"` // absent until first used
	RateLimit         *rateLimitJSON   `json:"rate_limit,omitempty"`   // per node; absent: none
	IPAllow           []string         `json:"ip_allow,omitempty"`     // absent: any address
	// No "type" (the delivery tokens' "delivery" has no management
	// counterpart in the samples, and no official SDK reads it).
}

func renderManagementToken(t *stackgate.ManagementToken) managementTokenJSON {
	j := managementTokenJSON{Name: t.Name, Description: t.Description, Scope: renderScope(t.Scope, nil),
		EmailNotification: t.EmailNotification, UID: t.UID, CreatedBy: t.CreatedBy, UpdatedBy: t.UpdatedBy,
		CreatedAt: stackgate.FormatTime(t.CreatedAt), UpdatedAt: stackgate.FormatTime(t.UpdatedAt), Token: t.Token}
	j.ExpiresOn, j.LastUsedAt = renderDay(t.ExpiresOn), renderUsed(t.LastUsedAt)
	if r := t.Limits.Rate; r != (stackgate.RateLimit{}) {
		j.RateLimit = &rateLimitJSON{Read: r.Read, Write: r.Write}
	}
	j.IPAllow = renderIPAllow(t.Limits)
	return j
}
