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
func (s *Service) CreateBranch(ctx context.Context, by stackgate.Actor, uid, source string) (*stackgate.Branch, error) {
	v := stackgate.Validation{}
	checkSlug(v, "uid", uid, 15)
	if source == "" {
		source = stackgate.MainBranch
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if _, err := s.store.FindBranch(ctx, by.Stack.UID, source); stackgate.IsCode(err, stackgate.ENOTFOUND) {
		return nil, stackgate.FieldError(stackgate.EINVALID, "source", stackgate.ProblemNotValid)
	} else if err != nil {
		return nil, err
	}
	now := s.Now()
	b := &stackgate.Branch{UID: uid, StackUID: by.Stack.UID, Source: source, CreatedBy: by.UID, UpdatedBy: by.UID, CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreateBranch(ctx, b, s.cfg.Limits.Branches); err != nil {
		return nil, err
	}
	return b, nil
}

// DeleteBranch deletes a branch other than main that nothing references.
func (s *Service) DeleteBranch(ctx context.Context, by stackgate.Actor, uid string) error {
	if _, err := s.store.FindBranch(ctx, by.Stack.UID, uid); err != nil {
		return err
	}
	if uid == stackgate.MainBranch {
		return stackgate.FieldError(stackgate.EINVALID, "uid", "main cannot be deleted.")
	}
	if err := s.store.DeleteBranch(ctx, by.Stack.UID, uid); err != nil {
		return err
	}
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
func (s *Service) PutBranchAlias(ctx context.Context, by stackgate.Actor, uid, target string) (*stackgate.BranchAlias, error) {
	v := stackgate.Validation{}
	checkSlug(v, "uid", uid, 15)
	if target == "" {
		v.Add("branch_alias.target_branch", stackgate.ProblemRequired)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.Now()
	a := &stackgate.BranchAlias{UID: uid, StackUID: by.Stack.UID, TargetBranch: target, CreatedBy: by.UID, UpdatedBy: by.UID, CreatedAt: now, UpdatedAt: now}
	if err := s.store.PutBranchAlias(ctx, a, s.cfg.Limits.BranchAliases); err != nil {
		return nil, err
	}
	return s.store.FindBranchAlias(ctx, by.Stack.UID, uid)
}

// DeleteBranchAlias removes an alias nothing references.
func (s *Service) DeleteBranchAlias(ctx context.Context, by stackgate.Actor, uid string) error {
	if _, err := s.store.FindBranchAlias(ctx, by.Stack.UID, uid); err != nil {
		return err
	}
	if err := s.store.DeleteBranchAlias(ctx, by.Stack.UID, uid); err != nil {
		return err
	}
	return nil
}
