package service

import (
	"context"

	"github.com/stackgate/stackgate"
)

// OwnerOf is the principal the administration CLI acts as on the stack with
// apiKey: its owner. Whoever runs `stackgate token …` on the host holds the
// database and its keys already, so this grants nothing they lack; the
// tokens they make are recorded as made by the owner.
func (s *Service) OwnerOf(ctx context.Context, apiKey string) (*Principal, error) {
	st, err := s.store.FindStackByAPIKey(ctx, apiKey)
	if err != nil {
		return nil, err
	}
	return &Principal{Kind: KindUser, Stack: st, UID: st.OwnerUID, Owner: true}, nil
}

// StackByAPIKey returns the stack with apiKey or ENOTFOUND.
func (s *Service) StackByAPIKey(ctx context.Context, apiKey string) (*stackgate.Stack, error) {
	return s.store.FindStackByAPIKey(ctx, apiKey)
}
