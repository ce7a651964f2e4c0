package service

import (
	"context"
	"encoding/json"

	"github.com/stackgate/stackgate"
)

// TokenInput is a token create or update as the HTTP edge decoded it from
// {"token":{…}}. Read-only fields (uid, token, type, preview_token,
// created_*, …) are not part of it, so they can never change state.
type TokenInput struct {
	Name        *string
	Description *string
	// Scope is the scope as sent; nil when the body has none (an update then
	// keeps the token's scope, a create refuses). An environment entry names
	// its environments as sent, by name or uid; the use case resolves them.
	Scope []stackgate.ScopeEntry
	// ScopeProblems are what the edge found wrong with the scope's JSON; the
	// use case reports them with its own, once the token is found.
	ScopeProblems     stackgate.Validation
	ExpiresOn         json.RawMessage // management and delivery tokens
	EmailNotification *bool           // management tokens
	// RateLimit and IPAllow are rate_limit and ip_allow as sent (nil:
	// absent); the use cases read them (limits.go).
	RateLimit json.RawMessage
	IPAllow   json.RawMessage
}

// DeliveryScopeModules are the modules a delivery-token scope may name.
var DeliveryScopeModules = map[stackgate.Module]bool{
	stackgate.ModuleEnvironment: true, stackgate.ModuleBranch: true, stackgate.ModuleBranchAlias: true,
}

// DeliveryTokenView is a delivery token with its clear values and the
// stack's environments by uid, which its scope names by uid and a reply
// expands: everything a reply renders, from one use case.
type DeliveryTokenView struct {
	*stackgate.DeliveryToken
	Environments map[string]*stackgate.Environment
}

// DeliveryTokenList is the stack's delivery tokens with their clear values
// and the stack's environments by uid (one listing for all the tokens).
type DeliveryTokenList struct {
	Tokens       []*stackgate.DeliveryToken
	Environments map[string]*stackgate.Environment
}

// DeliveryTokens lists the stack's delivery tokens with their clear values.
func (s *Service) DeliveryTokens(ctx context.Context, by stackgate.Actor) (*DeliveryTokenList, error) {
	ts, err := s.store.ListDeliveryTokens(ctx, by.Stack.UID)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		if err := s.openDeliveryToken(t); err != nil {
			return nil, err
		}
	}
	envs, err := s.environmentsByUID(ctx, by.Stack.UID)
	if err != nil {
		return nil, err
	}
	return &DeliveryTokenList{Tokens: ts, Environments: envs}, nil
}

// DeliveryToken returns one delivery token with its clear values.
func (s *Service) DeliveryToken(ctx context.Context, by stackgate.Actor, uid string) (*DeliveryTokenView, error) {
	t, err := s.store.FindDeliveryToken(ctx, by.Stack.UID, uid)
	if err != nil {
		return nil, err
	}
	if err := s.openDeliveryToken(t); err != nil {
		return nil, err
	}
	return s.view(ctx, t)
}

// view reads the environments t's reply expands.
func (s *Service) view(ctx context.Context, t *stackgate.DeliveryToken) (*DeliveryTokenView, error) {
	envs, err := s.environmentsByUID(ctx, t.StackUID)
	if err != nil {
		return nil, err
	}
	return &DeliveryTokenView{DeliveryToken: t, Environments: envs}, nil
}

// environmentsByUID lists the stack's environments, by uid.
func (s *Service) environmentsByUID(ctx context.Context, stackUID string) (map[string]*stackgate.Environment, error) {
	envs, err := s.store.ListEnvironments(ctx, stackUID)
	if err != nil {
		return nil, err
	}
	m := make(map[string]*stackgate.Environment, len(envs))
	for _, e := range envs {
		m[e.UID] = e
	}
	return m, nil
}

func (s *Service) openDeliveryToken(t *stackgate.DeliveryToken) error {
	var err error
	if t.Token, err = s.keys.Open(t.Secret); err != nil {
		return err
	}
	if !t.Preview.IsZero() {
		if t.PreviewToken, err = s.keys.Open(t.Preview); err != nil {
			return err
		}
	}
	return nil
}

// deliveryScope validates a delivery-token body and resolves its scope:
// exactly one environment entry naming existing environments (stored by
// uid), and a branch or branch_alias entry naming existing ones.
func (s *Service) deliveryScope(ctx context.Context, stackUID string, in TokenInput, v stackgate.Validation) ([]stackgate.ScopeEntry, []stackgate.Ref, error) {
	entries := scopeInput(v, in)
	for _, e := range entries {
		// Delivery tokens are read-only ("Delivery tokens provide read-only
		// access to the associated environments", the Tokens page): a scope
		// that says otherwise is refused, not stored to mean something else.
		if grantsWrite(e.ACL) {
			v.Add("scope.acl", "must not grant write: delivery tokens are read-only.")
			break
		}
	}
	envEntries := 0
	var refs []stackgate.Ref
	for i := range entries {
		e := &entries[i]
		if e.Module != stackgate.ModuleEnvironment {
			continue
		}
		envEntries++
		keys := e.Environments
		e.Environments = nil
		if len(keys) == 0 {
			v.Add("scope.environments", stackgate.ProblemRequired)
			continue
		}
		for _, key := range keys {
			env, err := s.store.FindEnvironment(ctx, stackUID, key)
			if stackgate.IsCode(err, stackgate.ENOTFOUND) {
				v.Add("scope.environments", key+" "+stackgate.ProblemNotValid)
				continue
			} else if err != nil {
				return nil, nil, err
			}
			if !contains(e.Environments, env.UID) {
				e.Environments = append(e.Environments, env.UID)
				refs = append(refs, stackgate.Ref{Kind: stackgate.RefEnvironment, Value: env.UID, Field: "scope.environments"})
			}
		}
	}
	if len(entries) > 0 {
		switch {
		case envEntries == 0:
			v.Add("scope.environments", stackgate.ProblemRequired)
		case envEntries > 1:
			v.Add("scope.environments", "must be given in one environment entry.")
		}
	}
	bRefs, hasBranch := branchRefs(entries)
	if len(entries) > 0 && !hasBranch {
		v.Add("scope.branch_or_alias", stackgate.ProblemRequired)
	}
	return entries, append(refs, bRefs...), v.Err()
}

// scopeInput returns a copy of the scope of in, recording in v the edge's
// problems with it, or that a scope is required when in has none.
func scopeInput(v stackgate.Validation, in TokenInput) []stackgate.ScopeEntry {
	addProblems(v, in.ScopeProblems)
	if in.Scope == nil {
		v.Add("scope", stackgate.ProblemRequired)
		return nil
	}
	entries := make([]stackgate.ScopeEntry, len(in.Scope))
	copy(entries, in.Scope)
	return entries
}

// CreateDeliveryToken creates a delivery token (and its preview token when
// withPreview) in one transaction.
func (s *Service) CreateDeliveryToken(ctx context.Context, by stackgate.Actor, in TokenInput, withPreview bool) (*DeliveryTokenView, error) {
	v := stackgate.Validation{}
	var name string
	if in.Name == nil {
		v.Add("name", stackgate.ProblemRequired)
	} else {
		name = checkName(v, "name", *in.Name)
	}
	now := s.Now()
	// expires_on: the management tokens' rule (it and its preview token work
	// through that UTC date).
	expires := parseExpiry(v, in.ExpiresOn, now)
	var limits stackgate.TokenLimits
	applyLimits(v, in, false, &limits)
	scope, refs, err := s.deliveryScope(ctx, by.Stack.UID, in, v)
	if err != nil {
		return nil, err
	}
	keepMetadataUIDs(scope, nil)
	t := &stackgate.DeliveryToken{UID: stackgate.NewUID(), StackUID: by.Stack.UID, Name: name, Description: deref(in.Description),
		Scope: scope, ExpiresOn: expires, Limits: limits, Token: stackgate.NewTokenValue(), CreatedBy: by.UID, UpdatedBy: by.UID, CreatedAt: now, UpdatedAt: now}
	if t.Secret, err = s.keys.Seal(t.Token); err != nil {
		return nil, err
	}
	if withPreview {
		t.PreviewToken = stackgate.NewTokenValue()
		if t.Preview, err = s.keys.Seal(t.PreviewToken); err != nil {
			return nil, err
		}
	}
	if err := s.store.CreateDeliveryToken(ctx, t, refs, s.cfg.DeliveryTokenLimit); err != nil {
		return nil, tokenWriteError(err, "delivery", s.cfg.DeliveryTokenLimit)
	}
	return s.view(ctx, t)
}

// UpdateDeliveryToken changes name, description and scope; the token value
// never changes.
func (s *Service) UpdateDeliveryToken(ctx context.Context, by stackgate.Actor, uid string, in TokenInput) (*DeliveryTokenView, error) {
	t, err := s.store.FindDeliveryToken(ctx, by.Stack.UID, uid)
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
	if in.ExpiresOn != nil {
		t.ExpiresOn = parseExpiry(v, in.ExpiresOn, s.Now())
	}
	applyLimits(v, in, false, &t.Limits)
	var refs []stackgate.Ref
	if in.Scope != nil {
		scope, r, err := s.deliveryScope(ctx, by.Stack.UID, in, v)
		if err != nil {
			return nil, err
		}
		keepMetadataUIDs(scope, t.Scope)
		t.Scope, refs = scope, r
	} else {
		if err := v.Err(); err != nil {
			return nil, err
		}
		refs = deliveryRefs(t.Scope)
	}
	t.UpdatedBy, t.UpdatedAt = by.UID, s.Now()
	if err := s.store.UpdateDeliveryToken(ctx, t, refs); err != nil {
		return nil, tokenWriteError(err, "delivery", 0)
	}
	if err := s.openDeliveryToken(t); err != nil {
		return nil, err
	}
	return s.view(ctx, t)
}

// deliveryRefs returns the refs of a stored scope (environments by uid).
func deliveryRefs(scope []stackgate.ScopeEntry) []stackgate.Ref {
	var refs []stackgate.Ref
	for _, e := range scope {
		for _, env := range e.Environments {
			refs = append(refs, stackgate.Ref{Kind: stackgate.RefEnvironment, Value: env, Field: "scope.environments"})
		}
	}
	b, _ := branchRefs(scope)
	return append(refs, b...)
}

// DeleteDeliveryToken deletes a delivery token and its preview token.
func (s *Service) DeleteDeliveryToken(ctx context.Context, by stackgate.Actor, uid string) error {
	if err := s.store.DeleteDeliveryToken(ctx, by.Stack.UID, uid); err != nil {
		return err
	}
	return nil
}

// CreatePreviewToken gives the delivery token a new preview token; an older
// one stops working at once.
func (s *Service) CreatePreviewToken(ctx context.Context, by stackgate.Actor, uid string) (*DeliveryTokenView, error) {
	value := stackgate.NewTokenValue()
	sealed, err := s.keys.Seal(value)
	if err != nil {
		return nil, err
	}
	if err := s.store.SetPreviewToken(ctx, by.Stack.UID, uid, sealed, by.UID, s.Now()); err != nil {
		return nil, err
	}
	return s.DeliveryToken(ctx, by, uid)
}

// DeletePreviewToken removes the delivery token's preview token.
func (s *Service) DeletePreviewToken(ctx context.Context, by stackgate.Actor, uid string) error {
	t, err := s.store.FindDeliveryToken(ctx, by.Stack.UID, uid)
	if err != nil {
		return err
	}
	if t.Preview.IsZero() {
		return &stackgate.Error{Code: stackgate.ENOTFOUND,
			Fields: map[string][]string{"preview_token": {stackgate.ProblemNotValid}}}
	}
	if err := s.store.SetPreviewToken(ctx, by.Stack.UID, uid, stackgate.Sealed{}, by.UID, s.Now()); err != nil {
		return err
	}
	return nil
}

// tokenWriteError says which limit a store's refusal of a token write hit.
func tokenWriteError(err error, kind string, limit int) error {
	var e *stackgate.Error
	if !asError(err, &e) {
		return err
	}
	if e.Code == stackgate.EINVALID && len(e.Fields["token"]) > 0 && limit > 0 {
		return &stackgate.Error{Code: stackgate.EINVALID, Err: err,
			Fields: map[string][]string{"token": {"limit of " + itoa(limit) + " " + kind + " tokens reached."}}}
	}
	return err
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// grantsWrite reports whether an acl grants any right but read.
func grantsWrite(a stackgate.ACL) bool {
	if stackgate.True(a.Write) || stackgate.True(a.Create) || stackgate.True(a.Update) || stackgate.True(a.Delete) || stackgate.True(a.Publish) {
		return true
	}
	return a.SubACL != nil && (stackgate.True(a.SubACL.Read) || grantsWrite(*a.SubACL))
}
