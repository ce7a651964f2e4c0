package service

import (
	"context"

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
