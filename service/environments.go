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
func (s *Service) CreateEnvironment(ctx context.Context, by stackgate.Actor, in EnvironmentInput) (*stackgate.Environment, error) {
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
	e := &stackgate.Environment{UID: stackgate.NewUID(), StackUID: by.Stack.UID, Name: name, URLs: nonNilURLs(in.URLs),
		Version: 1, CreatedBy: by.UID, UpdatedBy: by.UID, CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreateEnvironment(ctx, e, s.cfg.Limits.Environments); err != nil {
		return nil, err
	}
	return e, nil
}

// UpdateEnvironment renames an environment or replaces its urls. The store
// follows a rename into the role rules that name the environment, in the
// same transaction.
func (s *Service) UpdateEnvironment(ctx context.Context, by stackgate.Actor, key string, in EnvironmentInput) (*stackgate.Environment, error) {
	e, err := s.store.FindEnvironment(ctx, by.Stack.UID, key)
	if err != nil {
		return nil, err
	}
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
	e.UpdatedBy, e.UpdatedAt = by.UID, s.Now()
	if err := s.store.UpdateEnvironment(ctx, e); err != nil {
		return nil, err
	}
	return s.store.FindEnvironment(ctx, by.Stack.UID, e.UID)
}

// DeleteEnvironment removes an environment no token or role references.
func (s *Service) DeleteEnvironment(ctx context.Context, by stackgate.Actor, key string) error {
	e, err := s.store.FindEnvironment(ctx, by.Stack.UID, key)
	if err != nil {
		return err
	}
	if err := s.store.DeleteEnvironment(ctx, by.Stack.UID, e.UID); err != nil {
		return err
	}
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
