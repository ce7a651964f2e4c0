package service

import (
	"context"

	"github.com/stackgate/stackgate"
)

// Branches lists the stack's branches.
func (s *Service) Branches(ctx context.Context, stackUID string) ([]*stackgate.Branch, error) {
	return s.store.ListBranches(ctx, stackUID)
}

// Branch returns one branch.
func (s *Service) Branch(ctx context.Context, stackUID, uid string) (*stackgate.Branch, error) {
	return s.store.FindBranch(ctx, stackUID, uid)
}

// CreateBranch creates branch uid from source (default main).
func (s *Service) CreateBranch(ctx context.Context, p *Principal, uid, source string) (*stackgate.Branch, error) {
	v := stackgate.Validation{}
	checkSlug(v, "uid", uid, 15)
	if source == "" {
		source = stackgate.MainBranch
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if _, err := s.store.FindBranch(ctx, p.Stack.UID, source); stackgate.IsCode(err, stackgate.ENOTFOUND) {
		return nil, stackgate.FieldError(stackgate.EINVALID, "source", stackgate.ProblemNotValid)
	} else if err != nil {
		return nil, err
	}
	now := s.Now()
	b := &stackgate.Branch{UID: uid, StackUID: p.Stack.UID, Source: source, CreatedBy: p.UID, UpdatedBy: p.UID, CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreateBranch(ctx, b, s.cfg.Limits.Branches); err != nil {
		return nil, err
	}
	s.changed(stackgate.Change{StackUID: p.Stack.UID})
	return b, nil
}

// DeleteBranch deletes a branch other than main that nothing references.
func (s *Service) DeleteBranch(ctx context.Context, p *Principal, uid string) error {
	if _, err := s.store.FindBranch(ctx, p.Stack.UID, uid); err != nil {
		return err
	}
	if uid == stackgate.MainBranch {
		return stackgate.FieldError(stackgate.EINVALID, "uid", "main cannot be deleted.")
	}
	if err := s.store.DeleteBranch(ctx, p.Stack.UID, uid); err != nil {
		return err
	}
	s.changed(stackgate.Change{StackUID: p.Stack.UID})
	return nil
}

// BranchAliases lists the stack's aliases.
func (s *Service) BranchAliases(ctx context.Context, stackUID string) ([]*stackgate.BranchAlias, error) {
	return s.store.ListBranchAliases(ctx, stackUID)
}

// BranchAlias returns one alias.
func (s *Service) BranchAlias(ctx context.Context, stackUID, uid string) (*stackgate.BranchAlias, error) {
	return s.store.FindBranchAlias(ctx, stackUID, uid)
}

// PutBranchAlias points alias uid at target, creating it when new.
func (s *Service) PutBranchAlias(ctx context.Context, p *Principal, uid, target string) (*stackgate.BranchAlias, error) {
	v := stackgate.Validation{}
	checkSlug(v, "uid", uid, 15)
	if target == "" {
		v.Add("branch_alias.target_branch", stackgate.ProblemRequired)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.Now()
	a := &stackgate.BranchAlias{UID: uid, StackUID: p.Stack.UID, TargetBranch: target, CreatedBy: p.UID, UpdatedBy: p.UID, CreatedAt: now, UpdatedAt: now}
	if err := s.store.PutBranchAlias(ctx, a, s.cfg.Limits.BranchAliases); err != nil {
		return nil, err
	}
	s.changed(stackgate.Change{StackUID: p.Stack.UID})
	return s.store.FindBranchAlias(ctx, p.Stack.UID, uid)
}

// DeleteBranchAlias removes an alias nothing references.
func (s *Service) DeleteBranchAlias(ctx context.Context, p *Principal, uid string) error {
	if _, err := s.store.FindBranchAlias(ctx, p.Stack.UID, uid); err != nil {
		return err
	}
	if err := s.store.DeleteBranchAlias(ctx, p.Stack.UID, uid); err != nil {
		return err
	}
	s.changed(stackgate.Change{StackUID: p.Stack.UID})
	return nil
}
