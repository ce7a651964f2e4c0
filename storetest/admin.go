package storetest

import (
	"testing"

	"github.com/stackgate/stackgate"
)

// testAdmin: the administration CLI's store methods.
func testAdmin(t *testing.T, s stackgate.Store) {
	f := newFixture(t, s)
	member := newUser(t, s)
	must(t, s.AddMember(ctx(t), f.stack, member.UID, []string{f.seed.Roles[1].UID}))
	sess := &stackgate.Session{TokenHash: []byte("s-" + stackgate.NewUID()), UserUID: member.UID, CreatedAt: now()}
	must(t, s.CreateSession(ctx(t), sess, 0))

	sub(t, "List", func(t *testing.T) {
		users, err := s.ListUsers(ctx(t))
		must(t, err)
		diff(t, "users", []string{f.owner.UID, member.UID}, uids(users, func(u *stackgate.User) string { return u.UID }))
		stacks, err := s.ListStacks(ctx(t))
		must(t, err)
		diff(t, "stacks", []*stackgate.Stack{&f.seed.Stack}, stacks)
	})
	sub(t, "SetPassword", func(t *testing.T) {
		must(t, s.SetLoginFailures(ctx(t), member.UID, 7, now().Add(3600e9)))
		must(t, s.SetPassword(ctx(t), member.UID, "new-hash", now()))
		u, err := s.FindUserByUID(ctx(t), member.UID)
		must(t, err)
		if u.PasswordHash != "new-hash" || u.FailedAttempts != 0 || !u.LockedUntil.IsZero() {
			t.Fatalf("after SetPassword: %+v", u)
		}
		_, err = s.FindSession(ctx(t), sess.TokenHash)
		wantCode(t, err, stackgate.ENOTFOUND, "")
		wantCode(t, s.SetPassword(ctx(t), "bltmissing", "h", now()), stackgate.ENOTFOUND, "")
	})
	sub(t, "DeleteUser", func(t *testing.T) {
		wantCode(t, s.DeleteUser(ctx(t), f.owner.UID), stackgate.EINVALID, "user")
		must(t, s.DeleteUser(ctx(t), member.UID))
		_, err := s.FindUserByUID(ctx(t), member.UID)
		wantCode(t, err, stackgate.ENOTFOUND, "")
		_, err = s.FindMember(ctx(t), f.stack, member.UID)
		wantCode(t, err, stackgate.ENOTFOUND, "")
		wantCode(t, s.DeleteUser(ctx(t), member.UID), stackgate.ENOTFOUND, "")
		// The owner is untouched.
		_, err = s.FindMember(ctx(t), f.stack, f.owner.UID)
		must(t, err)
	})
}
