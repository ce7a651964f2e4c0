package service

import (
	"bytes"
	"context"
	"slices"

	"github.com/stackgate/stackgate"
)

// errNoUser refuses a session whose user no longer exists as the authtoken
// it came with: not valid.
var errNoUser = &stackgate.Error{Code: stackgate.EUNAUTHORIZED,
	Fields: map[string][]string{"authtoken": {stackgate.ProblemNotValid}}}

// CurrentUser returns the user of uid, whose session the caller
// authenticated (access.Checker.AuthenticateUser).
func (s *Service) CurrentUser(ctx context.Context, uid string) (*stackgate.User, error) {
	u, err := s.store.FindUserByUID(ctx, uid)
	if stackgate.IsCode(err, stackgate.ENOTFOUND) {
		return nil, errNoUser
	}
	return u, err
}

// Logout ends the session of authtoken, which the caller authenticated as
// userUID's, at once: the store announces the user's change even when the
// session was already gone from it (ended by another node or process whose
// change has not reached this one yet), so this node forgets it all the same.
func (s *Service) Logout(ctx context.Context, userUID, authtoken string) error {
	// The session may still be hashed under an older hmac key.
	hashes, _ := s.keys.Hashes(authtoken)
	return s.store.DeleteSession(ctx, userUID, hashes...)
}

// UserSession is one of a user's sessions as its user sees it: Current
// marks the one of the authtoken asking.
type UserSession struct {
	*stackgate.Session
	Current bool
}

// Sessions returns the sessions of userUID, newest first, marking the one
// of authtoken (which the caller authenticated as userUID's) as current.
func (s *Service) Sessions(ctx context.Context, userUID, authtoken string) ([]UserSession, error) {
	list, err := s.store.ListSessions(ctx, userUID)
	if err != nil {
		return nil, err
	}
	// The asking session may still be hashed under an older hmac key (its
	// move on use failed, or its use was on a node that did not move it).
	mine, _ := s.keys.Hashes(authtoken)
	out := make([]UserSession, 0, len(list))
	for i := len(list) - 1; i >= 0; i-- {
		current := slices.ContainsFunc(mine, func(h []byte) bool { return bytes.Equal(list[i].TokenHash, h) })
		out = append(out, UserSession{Session: list[i], Current: current})
	}
	return out, nil
}

// SessionOf returns the session of authtoken, or ENOTFOUND; under each
// hmac key in use, as Logout.
func (s *Service) SessionOf(ctx context.Context, authtoken string) (*stackgate.Session, error) {
	return findByHash(s.keys, authtoken, func(h []byte) (*stackgate.Session, error) { return s.store.FindSession(ctx, h) })
}

// EndSession ends the session named uid of userUID at once, on every node
// (the store announces the user's change). A uid that is no session of the
// user, another user's included, is ENOTFOUND and changes nothing.
func (s *Service) EndSession(ctx context.Context, userUID, uid string) error {
	return s.store.DeleteSessionByUID(ctx, userUID, uid)
}
