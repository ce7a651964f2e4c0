package service

import (
	"context"
	"strings"
	"time"

	"github.com/stackgate/stackgate"
)

// OwnerOf is who the administration CLI acts as on the stack with apiKey:
// its owner. Whoever runs `stackgate token …` on the host holds the
// database and its keys already, so this grants nothing they lack; the
// tokens they make are recorded as made by the owner.
func (s *Service) OwnerOf(ctx context.Context, apiKey string) (stackgate.Actor, error) {
	st, err := s.store.FindStackByAPIKey(ctx, apiKey)
	if err != nil {
		return stackgate.Actor{}, err
	}
	return stackgate.Actor{Stack: st, UID: st.OwnerUID}, nil
}

// StackByAPIKey returns the stack with apiKey or ENOTFOUND.
func (s *Service) StackByAPIKey(ctx context.Context, apiKey string) (*stackgate.Stack, error) {
	return s.store.FindStackByAPIKey(ctx, apiKey)
}

// Users lists every user, for the administration CLI.
func (s *Service) Users(ctx context.Context) ([]*stackgate.User, error) {
	return s.store.ListUsers(ctx)
}

// Stacks lists every stack, for the administration CLI.
func (s *Service) Stacks(ctx context.Context) ([]*stackgate.Stack, error) {
	return s.store.ListStacks(ctx)
}

// UserByEmail returns the user with email or ENOTFOUND.
func (s *Service) UserByEmail(ctx context.Context, email string) (*stackgate.User, error) {
	return s.store.FindUserByEmail(ctx, strings.ToLower(strings.TrimSpace(email)))
}

// SetPassword gives the user with email a new password; their sessions end
// and their account is unlocked (store.SetPassword).
func (s *Service) SetPassword(ctx context.Context, email, password string) (*stackgate.User, error) {
	u, err := s.UserByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	v := stackgate.Validation{}
	checkPassword(v, password)
	if err := v.Err(); err != nil {
		return nil, err
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return nil, err
	}
	return u, s.store.SetPassword(ctx, u.UID, hash, s.Now())
}

// Unlock clears the user's failed-login counter and lock in the store. The
// per-client backoff a running node keeps in memory (at most 15 minutes) is
// not the store's and stays.
func (s *Service) Unlock(ctx context.Context, email string) (*stackgate.User, error) {
	u, err := s.UserByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	return u, s.store.SetLoginFailures(ctx, u.UID, 0, time.Time{})
}

// RemoveUser deletes the user with email, their sessions and memberships;
// EINVALID while they own a stack.
func (s *Service) RemoveUser(ctx context.Context, email string) (*stackgate.User, error) {
	u, err := s.UserByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	return u, s.store.DeleteUser(ctx, u.UID)
}
