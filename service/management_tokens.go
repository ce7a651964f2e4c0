package service

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	"github.com/stackgate/stackgate"
)

// ManagementScopeModules are the modules a management-token scope may name.
var ManagementScopeModules = map[stackgate.Module]bool{
	stackgate.ModuleAll: true, stackgate.ModuleContentType: true, stackgate.ModuleEntry: true,
	stackgate.ModuleAsset: true, stackgate.ModuleFolder: true, stackgate.ModuleEnvironment: true,
	stackgate.ModuleLocale: true, stackgate.ModuleBranch: true, stackgate.ModuleBranchAlias: true,
	stackgate.ModuleRole: true, stackgate.ModuleGlobalField: true, stackgate.ModuleTaxonomy: true,
	stackgate.ModuleRelease: true, stackgate.ModuleWorkflow: true, stackgate.ModuleWebhook: true,
	stackgate.ModuleExtension: true, stackgate.ModuleLabel: true, stackgate.ModuleAuditLog: true,
	stackgate.ModulePublishQueue: true, stackgate.ModuleBulkOperation: true,
}

// ManagementTokens lists the stack's management tokens (never the secret).
func (s *Service) ManagementTokens(ctx context.Context, by stackgate.Actor) ([]*stackgate.ManagementToken, error) {
	return s.store.ListManagementTokens(ctx, by.Stack.UID)
}

// ManagementToken returns one management token (never the secret).
func (s *Service) ManagementToken(ctx context.Context, by stackgate.Actor, uid string) (*stackgate.ManagementToken, error) {
	return s.store.FindManagementToken(ctx, by.Stack.UID, uid)
}

// managementScope validates a management-token scope: known modules with
// boolean acls, and a branch or branch_alias entry naming existing ones.
func managementScope(v stackgate.Validation, in TokenInput) ([]stackgate.ScopeEntry, []stackgate.Ref) {
	entries := scopeInput(v, in)
	for i := range entries {
		// A management token's environment entry grants the module's rights;
		// it names no environments, so none are kept.
		entries[i].Environments = nil
	}
	refs, hasBranch := branchRefs(entries)
	if len(entries) > 0 && !hasBranch {
		v.Add("scope.branch_or_alias", stackgate.ProblemRequired)
	}
	return entries, refs
}

// parseExpiry reads expires_on: null/absent = never, "YYYY-MM-DD" or an ISO
// timestamp (which counts for its UTC date) = the last UTC date the token
// works; it stops at 00:00 UTC of the next day (stackgate.ExpiryInstant).
// Today's date is accepted; a date already past is refused.
func parseExpiry(v stackgate.Validation, raw json.RawMessage, now time.Time) *time.Time {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		v.Add("expires_on", "must be a date (YYYY-MM-DD) or an ISO 8601 time.")
		return nil
	}
	if s == "" {
		return nil
	}
	var t time.Time
	var err error
	if len(s) == len("2006-01-02") {
		t, err = time.Parse("2006-01-02", s)
	} else {
		t, err = time.Parse(time.RFC3339Nano, s)
	}
	if err != nil {
		v.Add("expires_on", "must be a date (YYYY-MM-DD) or an ISO 8601 time.")
		return nil
	}
	day := stackgate.ExpiryDate(t)
	if !now.Before(stackgate.ExpiryInstant(day)) {
		v.Add("expires_on", "must be today or a later date (UTC).")
		return nil
	}
	return &day
}

// CreateManagementToken creates a token and returns it with its secret,
// the only time the secret is ever available.
func (s *Service) CreateManagementToken(ctx context.Context, by stackgate.Actor, in TokenInput) (*stackgate.ManagementToken, error) {
	v := stackgate.Validation{}
	var name string
	if in.Name == nil {
		v.Add("name", stackgate.ProblemRequired)
	} else {
		name = checkName(v, "name", *in.Name)
	}
	now := s.Now()
	scope, refs := managementScope(v, in)
	expires := parseExpiry(v, in.ExpiresOn, now)
	var limits stackgate.TokenLimits
	applyLimits(v, in, true, &limits)
	if err := v.Err(); err != nil {
		return nil, err
	}
	keepMetadataUIDs(scope, nil)
	value := stackgate.NewTokenValue()
	t := &stackgate.ManagementToken{UID: stackgate.NewUID(), StackUID: by.Stack.UID, Name: name, Description: deref(in.Description),
		Scope: scope, ExpiresOn: expires, Limits: limits, EmailNotification: in.EmailNotification != nil && *in.EmailNotification,
		TokenHash: s.keys.Hash(value), HashKey: s.keys.HMACKeyID(), CreatedBy: by.UID, UpdatedBy: by.UID, CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreateManagementToken(ctx, t, refs, s.cfg.ManagementTokenLimit); err != nil {
		return nil, tokenWriteError(err, "management", s.cfg.ManagementTokenLimit)
	}
	t.Token = value
	return t, nil
}

// UpdateManagementToken changes name, description, scope, expiry and the
// notification flag; never the secret.
func (s *Service) UpdateManagementToken(ctx context.Context, by stackgate.Actor, uid string, in TokenInput) (*stackgate.ManagementToken, error) {
	t, err := s.store.FindManagementToken(ctx, by.Stack.UID, uid)
	if err != nil {
		return nil, err
	}
	v := stackgate.Validation{}
	if in.Name != nil {
		t.Name = checkName(v, "name", *in.Name)
	}
	if in.Description != nil {
		t.Description = *in.Description
	}
	refs, _ := branchRefs(t.Scope)
	if in.Scope != nil {
		scope, r := managementScope(v, in)
		keepMetadataUIDs(scope, t.Scope)
		t.Scope, refs = scope, r
	}
	if in.ExpiresOn != nil {
		t.ExpiresOn = parseExpiry(v, in.ExpiresOn, s.Now())
	}
	if in.EmailNotification != nil {
		t.EmailNotification = *in.EmailNotification
	}
	applyLimits(v, in, true, &t.Limits)
	if err := v.Err(); err != nil {
		return nil, err
	}
	t.UpdatedBy, t.UpdatedAt = by.UID, s.Now()
	if err := s.store.UpdateManagementToken(ctx, t, refs); err != nil {
		return nil, tokenWriteError(err, "management", 0)
	}
	return t, nil
}

// DeleteManagementToken deletes a token; its next use is refused.
func (s *Service) DeleteManagementToken(ctx context.Context, by stackgate.Actor, uid string) error {
	if err := s.store.DeleteManagementToken(ctx, by.Stack.UID, uid); err != nil {
		return err
	}
	return nil
}
