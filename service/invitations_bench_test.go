package service_test

import (
	"fmt"
	"testing"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/secret"
	"github.com/stackgate/stackgate/service"
)

// BenchmarkStackInvitations: the invitee's list of 40 invitations from 40
// stacks, two roles each (GET /v3/user/stack_invitations without HTTP).
func BenchmarkStackInvitations(b *testing.B) {
	for name, open := range testdb.Backends() {
		b.Run(name, func(b *testing.B) {
			ctx := b.Context()
			keys, _ := secret.ParseKeyFile(secret.GenerateKeyFile())
			svc := service.New(open(b), keys, service.Config{}, nil)
			invitee, _, err := svc.EnsureUser(ctx, "invitee@example.com", "password-1")
			if err != nil {
				b.Fatal(err)
			}
			for i := range 40 {
				owner, _, err := svc.EnsureUser(ctx, fmt.Sprintf("owner%d@example.com", i), "password-1")
				if err != nil {
					b.Fatal(err)
				}
				st, err := svc.CreateStack(ctx, owner, fmt.Sprint("stack ", i))
				if err != nil {
					b.Fatal(err)
				}
				dev, _ := svc.RoleByName(ctx, st.UID, stackgate.RoleDeveloper)
				cm, _ := svc.RoleByName(ctx, st.UID, stackgate.RoleContentManager)
				if err := svc.Share(ctx, st.UID, owner.UID, []string{invitee.Email},
					map[string][]string{invitee.Email: {dev.UID, cm.UID}}); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				invs, err := svc.StackInvitations(ctx, invitee.UID)
				if err != nil || len(invs) != 40 {
					b.Fatalf("%d invitations, %v", len(invs), err)
				}
			}
		})
	}
}
