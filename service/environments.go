package service

import (
	"context"

	"github.com/stackgate/stackgate"
)

// EnvironmentInput is the body of environment create and update.
type EnvironmentInput struct {
	Name *string
	URLs []stackgate.EnvironmentURL
}

// Environments lists the stack's environments.
func (s *Service) Environments(ctx context.Context, stackUID string) ([]*stackgate.Environment, error) {
	return s.store.ListEnvironments(ctx, stackUID)
}

// Environment returns the environment whose name (or uid) is key.
func (s *Service) Environment(ctx context.Context, stackUID, key string) (*stackgate.Environment, error) {
	return s.store.FindEnvironment(ctx, stackUID, key)
}

// CreateEnvironment adds an environment.
func (s *Service) CreateEnvironment(ctx context.Context, p *Principal, in EnvironmentInput) (*stackgate.Environment, error) {
	v := stackgate.Validation{}
	var name string
	if in.Name == nil {
		v.Add("name", stackgate.ProblemRequired)
	} else {
		name = checkSegmentName(v, "name", *in.Name)
	}
	checkURLs(v, in.URLs)
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.Now()
	e := &stackgate.Environment{UID: stackgate.NewUID(), StackUID: p.Stack.UID, Name: name, URLs: nonNilURLs(in.URLs),
		Version: 1, CreatedBy: p.UID, UpdatedBy: p.UID, CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreateEnvironment(ctx, e, s.cfg.Limits.Environments); err != nil {
		return nil, err
	}
	s.changed(stackgate.Change{StackUID: p.Stack.UID})
	return e, nil
}

// UpdateEnvironment renames an environment or replaces its urls.
func (s *Service) UpdateEnvironment(ctx context.Context, p *Principal, key string, in EnvironmentInput) (*stackgate.Environment, error) {
	e, err := s.store.FindEnvironment(ctx, p.Stack.UID, key)
	if err != nil {
		return nil, err
	}
	oldName := e.Name
	v := stackgate.Validation{}
	if in.Name != nil {
		e.Name = checkSegmentName(v, "name", *in.Name)
	}
	if in.URLs != nil {
		checkURLs(v, in.URLs)
		e.URLs = in.URLs
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	e.UpdatedBy, e.UpdatedAt = p.UID, s.Now()
	if err := s.store.UpdateEnvironment(ctx, e); err != nil {
		return nil, err
	}
	if e.Name != oldName {
		if err := s.renameInRoles(ctx, p.Stack.UID, oldName, e.Name); err != nil {
			s.changed(stackgate.Change{StackUID: p.Stack.UID})
			return nil, err
		}
	}
	s.changed(stackgate.Change{StackUID: p.Stack.UID})
	return s.store.FindEnvironment(ctx, p.Stack.UID, e.UID)
}

// renameInRoles makes role rules that name an environment by its old name
// name it by its new one. Rules keep environments as they were written
// (by name or uid, echoed back as given), so a rename must follow them into
// the rules or the roles would name an environment that no longer exists.
// Delivery tokens store uids and need nothing.
func (s *Service) renameInRoles(ctx context.Context, stackUID, oldName, newName string) error {
	roles, err := s.store.ListRoles(ctx, stackUID)
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
		v := stackgate.Validation{}
		rules, refs := ParseRules(v, mustJSON(r.Rules))
		if err := v.Err(); err != nil {
			return err
		}
		r.Rules = rules
		if err := s.store.UpdateRole(ctx, r, refs, nil); err != nil {
			return err
		}
	}
	return nil
}

// DeleteEnvironment removes an environment no token or role references.
func (s *Service) DeleteEnvironment(ctx context.Context, p *Principal, key string) error {
	e, err := s.store.FindEnvironment(ctx, p.Stack.UID, key)
	if err != nil {
		return err
	}
	if err := s.store.DeleteEnvironment(ctx, p.Stack.UID, e.UID); err != nil {
		return err
	}
	s.changed(stackgate.Change{StackUID: p.Stack.UID})
	return nil
}

func checkURLs(v stackgate.Validation, urls []stackgate.EnvironmentURL) {
	for _, u := range urls {
		if len(u.URL) > 2048 {
			v.Add("urls.url", "is too long.")
		}
		if u.Locale == "" {
			v.Add("urls.locale", stackgate.ProblemRequired)
		}
	}
}

func nonNilURLs(u []stackgate.EnvironmentURL) []stackgate.EnvironmentURL {
	if u == nil {
		return []stackgate.EnvironmentURL{}
	}
	return u
}
