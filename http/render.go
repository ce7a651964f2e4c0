package http

import (
	"github.com/stackgate/stackgate"
)

// Wire shapes. Field order follows the Contentstack samples.

type userJSON struct {
	UID           string   `json:"uid"`
	CreatedAt     string   `json:"created_at"`
	UpdatedAt     string   `json:"updated_at"`
	Email         string   `json:"email"`
	Username      string   `json:"username"`
	FirstName     string   `json:"first_name"`
	LastName      string   `json:"last_name"`
	Company       string   `json:"company"`
	OrgUID        []string `json:"org_uid"`
	SharedOrgUID  []string `json:"shared_org_uid"`
	MobileNumber  string   `json:"mobile_number"`
	CountryCode   string   `json:"country_code"`
	TFAStatus     bool     `json:"tfa_status"`
	AuthyID       string   `json:"authy_id"`
	Active        bool     `json:"active"`
	FailedAttempt int      `json:"failed_attempts"`
	Authtoken     string   `json:"authtoken,omitempty"`
	// LastUsedAt is, in GET /v3/user's reply to an authtoken, the last
	// flushed use of that session (a stackgate extension; absent until one).
	LastUsedAt    string `json:"last_used_at,omitempty"`
	Roles         []any  `json:"roles"`
	Organizations []any  `json:"organizations"`
}

func renderUser(u *stackgate.User, authtoken string) userJSON {
	return userJSON{UID: u.UID, CreatedAt: stackgate.FormatTime(u.CreatedAt), UpdatedAt: stackgate.FormatTime(u.UpdatedAt),
		Email: u.Email, Username: u.Username, FirstName: u.FirstName, LastName: u.LastName,
		OrgUID: []string{u.OrgUID}, SharedOrgUID: []string{}, Active: true, Authtoken: authtoken,
		Roles: []any{}, Organizations: []any{}}
}

type stackJSON struct {
	CreatedAt             string        `json:"created_at"`
	UpdatedAt             string        `json:"updated_at"`
	UID                   string        `json:"uid"`
	Name                  string        `json:"name"`
	Description           string        `json:"description"`
	OrgUID                string        `json:"org_uid"`
	APIKey                string        `json:"api_key"`
	MasterLocale          string        `json:"master_locale"`
	IsAssetDownloadPublic bool          `json:"is_asset_download_public"`
	OwnerUID              string        `json:"owner_uid"`
	UserUIDs              []string      `json:"user_uids"`
	Settings              stackSettings `json:"settings"`
	// Not rendered, though the Roles page's sample shows them: master_key
	// and settings.discrete_variables.secret_key, which are secrets
	// (README, Compatibility).
}

// stackSettings are a stack's settings in the Roles page sample's key
// order. stackgate keeps none of its own: these are Contentstack's
// defaults for a new stack, with branches on.
type stackSettings struct {
	Version              string            `json:"version"`
	RTEVersion           int               `json:"rte_version"`
	BlockAuthQueryParams bool              `json:"blockAuthQueryParams"`
	AllowedCDNTokens     []string          `json:"allowedCDNTokens"`
	Branches             bool              `json:"branches"`
	WebhookEnabled       bool              `json:"webhook_enabled"`
	StackVariables       map[string]any    `json:"stack_variables"`
	LivePreview          map[string]any    `json:"live_preview"`
	DiscreteVariables    discreteVariables `json:"discrete_variables"`
	LanguageFallback     bool              `json:"language_fallback"`
	WorkflowStages       bool              `json:"workflow_stages"`
	PublishingRules      bool              `json:"publishing_rules"`
}

// discreteVariables is the sample's settings.discrete_variables without
// its secret_key.
type discreteVariables struct {
	CMS     bool `json:"cms"`
	Version int  `json:"_version"`
}

func renderStack(st *stackgate.Stack, members []*stackgate.Member) stackJSON {
	uids := []string{}
	for _, m := range members {
		uids = append(uids, m.UserUID)
	}
	return stackJSON{CreatedAt: stackgate.FormatTime(st.CreatedAt), UpdatedAt: stackgate.FormatTime(st.UpdatedAt),
		UID: st.UID, Name: st.Name, Description: st.Description, OrgUID: st.OrgUID, APIKey: st.APIKey,
		MasterLocale: st.MasterLocale, IsAssetDownloadPublic: true, OwnerUID: st.OwnerUID, UserUIDs: uids,
		Settings: defaultStackSettings()}
}

func defaultStackSettings() stackSettings {
	return stackSettings{Version: "2019-04-30", RTEVersion: 3, AllowedCDNTokens: []string{"access_token"}, Branches: true,
		WebhookEnabled: true, StackVariables: map[string]any{}, LivePreview: map[string]any{},
		DiscreteVariables: discreteVariables{CMS: true, Version: 3}}
}

type environmentJSON struct {
	URLs             []stackgate.EnvironmentURL `json:"urls"`
	Name             string                     `json:"name"`
	Version          int                        `json:"_version"`
	AppUserObjectUID string                     `json:"app_user_object_uid"`
	UID              string                     `json:"uid"`
	CreatedBy        string                     `json:"created_by"`
	UpdatedBy        string                     `json:"updated_by"`
	CreatedAt        string                     `json:"created_at"`
	UpdatedAt        string                     `json:"updated_at"`
	ACL              []any                      `json:"ACL"`
	Tags             []string                   `json:"tags"`
}

func renderEnvironment(e *stackgate.Environment) environmentJSON {
	urls := e.URLs
	if urls == nil {
		urls = []stackgate.EnvironmentURL{}
	}
	return environmentJSON{URLs: urls, Name: e.Name, Version: e.Version, AppUserObjectUID: "system", UID: e.UID,
		CreatedBy: e.CreatedBy, UpdatedBy: e.UpdatedBy, CreatedAt: stackgate.FormatTime(e.CreatedAt),
		UpdatedAt: stackgate.FormatTime(e.UpdatedAt), ACL: []any{}, Tags: []string{}}
}

type localeJSON struct {
	Code           string  `json:"code"`
	Name           string  `json:"name"`
	FallbackLocale *string `json:"fallback_locale"`
	UID            string  `json:"uid"`
	CreatedBy      string  `json:"created_by"`
	UpdatedBy      string  `json:"updated_by"`
	CreatedAt      string  `json:"created_at"`
	UpdatedAt      string  `json:"updated_at"`
	ACL            []any   `json:"ACL"`
	Version        int     `json:"_version"`
}

func renderLocale(l *stackgate.Locale) localeJSON {
	out := localeJSON{Code: l.Code, Name: l.Name, UID: l.UID, CreatedBy: l.CreatedBy, UpdatedBy: l.UpdatedBy,
		CreatedAt: stackgate.FormatTime(l.CreatedAt), UpdatedAt: stackgate.FormatTime(l.UpdatedAt), ACL: []any{}, Version: l.Version}
	if l.FallbackLocale != "" {
		fb := l.FallbackLocale
		out.FallbackLocale = &fb
	}
	return out
}

type aliasRef struct {
	UID string `json:"uid"`
}

type branchJSON struct {
	UID       string     `json:"uid"`
	Source    string     `json:"source"`
	CreatedBy string     `json:"created_by"`
	UpdatedBy string     `json:"updated_by"`
	CreatedAt string     `json:"created_at"`
	UpdatedAt string     `json:"updated_at"`
	Alias     []aliasRef `json:"alias"`
}

func renderBranch(b *stackgate.Branch, aliases []*stackgate.BranchAlias) branchJSON {
	out := branchJSON{UID: b.UID, Source: b.Source, CreatedBy: b.CreatedBy, UpdatedBy: b.UpdatedBy,
		CreatedAt: stackgate.FormatTime(b.CreatedAt), UpdatedAt: stackgate.FormatTime(b.UpdatedAt), Alias: []aliasRef{}}
	for _, a := range aliases {
		if a.TargetBranch == b.UID {
			out.Alias = append(out.Alias, aliasRef{a.UID})
		}
	}
	return out
}

// branchAliasJSON is an alias as Contentstack shows it: the branch it
// points to, with the alias in its alias list (the JS SDK builds a Branch
// from it); target_branch repeats the target for clarity.
type branchAliasJSON struct {
	branchJSON
	TargetBranch string `json:"target_branch"`
}

func renderBranchAlias(a *stackgate.BranchAlias, target *stackgate.Branch) branchAliasJSON {
	b := branchJSON{UID: a.TargetBranch, CreatedBy: a.CreatedBy, UpdatedBy: a.UpdatedBy,
		CreatedAt: stackgate.FormatTime(a.CreatedAt), UpdatedAt: stackgate.FormatTime(a.UpdatedAt), Alias: []aliasRef{{a.UID}}}
	if target != nil {
		b.Source = target.Source
	}
	return branchAliasJSON{branchJSON: b, TargetBranch: a.TargetBranch}
}

// mapSlice renders each item.
func mapSlice[T any, U any](items []T, f func(T) U) []U {
	out := make([]U, 0, len(items))
	for _, it := range items {
		out = append(out, f(it))
	}
	return out
}
