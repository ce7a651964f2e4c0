package http_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stackgate/stackgate"
	sghttp "github.com/stackgate/stackgate/http"
	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/service"
)

const invitationsPath = "/v3/user/stack_invitations"

// session returns the headers of a user's own session (no stack).
func (f *fixture) session(who cred) map[string]string {
	return map[string]string{"authtoken": f.tokens[who]}
}

// shareBody is POST /v3/stacks/share's body inviting email with roles.
func shareBody(email string, roles ...string) map[string]any {
	return map[string]any{"emails": []string{email}, "roles": map[string][]string{email: roles}}
}

// invitationsOf lists who's pending invitations.
func invitationsOf(t testing.TB, f *fixture, who cred) []map[string]any {
	t.Helper()
	r := mustDo(t, f, f.session(who), "GET", invitationsPath, nil, 200)
	var out []map[string]any
	for _, x := range r.body["stack_invitations"].([]any) {
		out = append(out, jobj(t, x))
	}
	return out
}

// join makes who (a fixture user) a member of the fixture stack with roles,
// the only way there is: the owner invites who's address, who accepts.
func (f *fixture) join(t testing.TB, who cred, roles ...string) {
	t.Helper()
	mustDo(t, f, f.as(Owner), "POST", "/v3/stacks/share", shareBody(who.email(), roles...), 200)
	for _, inv := range invitationsOf(t, f, who) {
		if jobj(t, inv["stack"])["uid"] == f.stack.UID {
			mustDo(t, f, f.session(who), "POST", invitationsPath+"/"+inv["uid"].(string)+"/accept", nil, 200)
			return
		}
	}
	t.Fatalf("%s has no invitation to the fixture stack", who)
}

// countingStore counts the lookups of users, which sharing must never make.
type countingStore struct {
	stackgate.Store
	lookups atomic.Int64
}

func (s *countingStore) FindUserByEmail(ctx context.Context, email string) (*stackgate.User, error) {
	s.lookups.Add(1)
	return s.Store.FindUserByEmail(ctx, email)
}

// TestShareInvites: POST /v3/stacks/share answers alike whether an address
// has an account, is a member already or is unknown, and looks none of them
// up; it adds no one. The invitee sees the invitation with their own
// authtoken and joins only by accepting it; nobody else can see, accept or
// decline it; an address without an account waits until one is registered.
func TestShareInvites(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		base := newFixture(t, open)
		counting := &countingStore{Store: base.store}
		svc, acc := newServices(counting, service.Config{})
		fx := *base
		fx.svc, fx.acc, fx.srv = svc, acc, sghttp.NewServer(svc, acc, nil)
		f := &fx
		owner, admin := f.as(Owner), f.as(Admin)
		dev, cm := f.roleUIDs[stackgate.RoleDeveloper], f.roleUIDs[stackgate.RoleContentManager]

		// The outsider is refused before (and the snapshot is cached).
		mustDo(t, f, f.as(Outsider), "GET", "/v3/environments", nil, 403)

		t.Run("same answer for every address", func(t *testing.T) {
			var first reply
			for i, email := range []string{"outsider@example.com", "ghost@example.com", "developer@example.com", "Outsider@Example.com "} {
				got := f.do(req{method: "POST", path: "/v3/stacks/share", headers: admin, body: shareBody(email, dev)})
				if got.status != 200 {
					t.Fatalf("%s: %d %s", email, got.status, got.raw)
				}
				if i == 0 {
					first = got
				} else if string(got.raw) != string(first.raw) {
					t.Errorf("%s: reply %s, want %s", email, got.raw, first.raw)
				}
			}
			if first.body["notice"] != "The invitation has been sent successfully." || len(first.body) != 1 {
				t.Errorf("reply %s", first.raw)
			}
			for _, bad := range []string{"outsider@example.com", "ghost@example.com"} {
				got := f.do(req{method: "POST", path: "/v3/stacks/share", headers: admin, body: shareBody(bad, "bltnorole")})
				wantError(t, got, 422, 141, "roles")
				if i := strings.Index(string(got.raw), "example"); i >= 0 {
					t.Errorf("the refusal names the address: %s", got.raw)
				}
			}
			if n := counting.lookups.Load(); n != 0 {
				t.Errorf("sharing looked up %d users by e-mail", n)
			}
		})
		t.Run("same timing for every address", func(t *testing.T) {
			// Sharing does the same work whatever the address (no lookup, see
			// above); this checks that nothing slower crept in for either kind.
			// Interleaved, medians, a bound loose enough for a loaded machine.
			var known, unknown []time.Duration
			for i := range 15 {
				for _, email := range []string{"developer@example.com", fmt.Sprintf("nobody%d@example.com", i)} {
					start := time.Now()
					mustDo(t, f, owner, "POST", "/v3/stacks/share", shareBody(email, cm), 200)
					if d := time.Since(start); strings.HasPrefix(email, "developer") {
						known = append(known, d)
					} else {
						unknown = append(unknown, d)
					}
				}
			}
			k, u := median(known), median(unknown)
			if hi, lo := max(k, u), min(k, u); hi > 3*lo && hi-lo > 5*time.Millisecond {
				t.Errorf("median share: %v for an account, %v for an unknown address", k, u)
			}
		})
		t.Run("bad input", func(t *testing.T) {
			for _, tc := range []struct {
				name  string
				body  any
				field string
			}{
				{"no emails", map[string]any{"emails": []string{}, "roles": map[string]any{}}, "emails"},
				{"not an address", shareBody("not-an-address", dev), "emails"},
				{"control character", shareBody("a\x1b@example.com", dev), "emails"},
				{"no roles", map[string]any{"emails": []string{"x@example.com"}}, "roles"},
				{"too many", map[string]any{"emails": make([]string, 101)}, "emails"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					wantError(t, f.do(req{method: "POST", path: "/v3/stacks/share", headers: owner, body: tc.body}), 422, 141, tc.field)
				})
			}
			wantError(t, f.do(req{method: "POST", path: "/v3/stacks/share", headers: owner, body: `{"emails":`}), 400, 400, "")
		})
		t.Run("no one was added", func(t *testing.T) {
			mustDo(t, f, f.as(Outsider), "GET", "/v3/environments", nil, 403)
		})
		var uid string
		t.Run("the invitee sees it", func(t *testing.T) {
			invs := invitationsOf(t, f, Outsider)
			if len(invs) != 1 {
				t.Fatalf("%d invitations, want 1 (re-inviting replaces): %v", len(invs), invs)
			}
			inv := invs[0]
			uid = inv["uid"].(string)
			if inv["email"] != "outsider@example.com" || inv["invited_by"] != "admin@example.com" ||
				jobj(t, inv["stack"])["name"] != "Fixture Stack" {
				t.Errorf("invitation %v", inv)
			}
			roles := inv["roles"].([]any)
			if len(roles) != 1 || jobj(t, roles[0])["name"] != stackgate.RoleDeveloper {
				t.Errorf("roles %v", roles)
			}
			if _, ok := jobj(t, inv["stack"])["api_key"]; ok {
				t.Errorf("the stack's api_key is shown before accepting: %v", inv)
			}
			// Nobody else sees it.
			if got := invitationsOf(t, f, ContentManager); len(got) != 0 {
				t.Errorf("content_manager sees %v", got)
			}
		})
		t.Run("nobody else can accept or decline it", func(t *testing.T) {
			for _, who := range []cred{ContentManager, Owner, Admin} {
				wantError(t, f.do(req{method: "POST", path: invitationsPath + "/" + uid + "/accept", headers: f.session(who)}), 422, 141, "uid")
				wantError(t, f.do(req{method: "DELETE", path: invitationsPath + "/" + uid, headers: f.session(who)}), 422, 141, "uid")
			}
			wantError(t, f.do(req{method: "POST", path: invitationsPath + "/bltnoinvitation/accept", headers: f.session(Outsider)}), 422, 141, "uid")
			for _, h := range []map[string]string{{}, {"authtoken": "bltnotatoken"}, {"authorization": "cs0123456789abcdef01234567"}} {
				wantError(t, f.do(req{method: "GET", path: invitationsPath, headers: h}), 401, 105, "")
				wantError(t, f.do(req{method: "POST", path: invitationsPath + "/" + uid + "/accept", headers: h}), 401, 105, "")
			}
			mustDo(t, f, f.as(Outsider), "GET", "/v3/environments", nil, 403)
			if len(invitationsOf(t, f, Outsider)) != 1 {
				t.Fatal("the invitation is gone")
			}
		})
		t.Run("accepting joins at once", func(t *testing.T) {
			r := mustDo(t, f, f.session(Outsider), "POST", invitationsPath+"/"+uid+"/accept", nil, 200)
			if r.body["notice"] != "The invitation has been accepted." || jobj(t, r.body["stack"])["api_key"] != f.stack.APIKey {
				t.Errorf("reply %s", r.raw)
			}
			mustDo(t, f, f.as(Outsider), "POST", "/v3/environments", envBody("outsiders"), 201)
			if got := invitationsOf(t, f, Outsider); len(got) != 0 {
				t.Errorf("still pending: %v", got)
			}
			wantError(t, f.do(req{method: "POST", path: invitationsPath + "/" + uid + "/accept", headers: f.session(Outsider)}), 422, 141, "uid")
		})
		t.Run("an address without an account waits for one", func(t *testing.T) {
			if _, _, err := f.svc.EnsureUser(t.Context(), "ghost@example.com", "ghost-password"); err != nil {
				t.Fatal(err)
			}
			_, token, err := f.svc.Login(t.Context(), "ghost@example.com", "ghost-password")
			if err != nil {
				t.Fatal(err)
			}
			f.tokens[Ghost] = token
			invs := invitationsOf(t, f, Ghost)
			if len(invs) != 1 {
				t.Fatalf("ghost has %d invitations", len(invs))
			}
			mustDo(t, f, f.session(Ghost), "POST", invitationsPath+"/"+invs[0]["uid"].(string)+"/accept", nil, 200)
			mustDo(t, f, f.as(Ghost), "GET", "/v3/environments", nil, 200)
		})
		t.Run("declining", func(t *testing.T) {
			mustDo(t, f, owner, "POST", "/v3/stacks/share", shareBody("content_manager@example.com", dev), 200)
			invs := invitationsOf(t, f, ContentManager)
			if len(invs) != 1 {
				t.Fatalf("%d invitations", len(invs))
			}
			id := invs[0]["uid"].(string)
			r := mustDo(t, f, f.session(ContentManager), "DELETE", invitationsPath+"/"+id, nil, 200)
			if r.body["notice"] != "The invitation has been declined." {
				t.Errorf("reply %s", r.raw)
			}
			wantError(t, f.do(req{method: "POST", path: invitationsPath + "/" + id + "/accept", headers: f.session(ContentManager)}), 422, 141, "uid")
			// Still a content manager only: no developer rights.
			wantError(t, f.do(req{method: "POST", path: "/v3/environments", headers: f.as(ContentManager), body: envBody("cm")}), 403, 316, "")
		})
		t.Run("the developer cannot invite", func(t *testing.T) {
			wantError(t, f.do(req{method: "POST", path: "/v3/stacks/share", headers: f.as(Developer), body: shareBody("x@example.com", cm)}), 403, 316, "")
		})
	})
}

// TestUsersPerRoleLimit: a role given past --max-users-per-role, by
// stacks/users/roles, by share (the role is full) or by accepting, is
// refused with 422 naming the limit, and nothing changes; at the limit it
// is accepted.
func TestUsersPerRoleLimit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		base := newFixture(t, open)
		with := func(limit int) *fixture {
			svc, acc := newServices(base.store, service.Config{Limits: service.StackLimits{UsersPerRole: limit}})
			g := *base
			g.svc, g.acc, g.srv = svc, acc, sghttp.NewServer(svc, acc, nil)
			return &g
		}
		one, two := with(1), with(2)
		owner := base.as(Owner)
		r := mustDo(t, one, owner, "POST", rolesPath, rolePayload("Solo", ruleBranch("main")), 201)
		solo := jobj(t, r.body["role"])["uid"].(string)
		dev, adm := base.users[Developer].UID, base.users[Admin].UID
		holders := func(t *testing.T) []any {
			t.Helper()
			return jobj(t, mustDo(t, one, owner, "GET", rolesPath+"/"+solo, nil, 200).body["role"])["users"].([]any)
		}
		wantLimit := func(t *testing.T, got reply) {
			t.Helper()
			wantError(t, got, 422, 141, "users")
			if !strings.Contains(string(got.raw), "limit of 1 users per role reached.") {
				t.Errorf("the error does not name the limit: %s", got.raw)
			}
		}
		t.Run("stacks/users/roles", func(t *testing.T) {
			mustDo(t, one, owner, "POST", "/v3/stacks/users/roles", map[string]any{"users": map[string][]string{dev: {solo}}}, 200)
			wantLimit(t, one.do(req{method: "POST", path: "/v3/stacks/users/roles", headers: owner,
				body: map[string]any{"users": map[string][]string{adm: {solo}}}}))
			if h := holders(t); len(h) != 1 || h[0] != dev {
				t.Errorf("holders %v", h)
			}
			// The admin kept their roles.
			mustDo(t, one, base.as(Admin), "GET", "/v3/stacks/management_tokens", nil, 200)
		})
		t.Run("share of a full role", func(t *testing.T) {
			wantLimit(t, one.do(req{method: "POST", path: "/v3/stacks/share", headers: owner, body: shareBody("outsider@example.com", solo)}))
			if got := invitationsOf(t, one, Outsider); len(got) != 0 {
				t.Errorf("invitation recorded: %v", got)
			}
		})
		t.Run("accept past the limit", func(t *testing.T) {
			mustDo(t, two, owner, "POST", "/v3/stacks/share", shareBody("outsider@example.com", solo), 200)
			invs := invitationsOf(t, one, Outsider)
			if len(invs) != 1 {
				t.Fatalf("%d invitations", len(invs))
			}
			accept := invitationsPath + "/" + invs[0]["uid"].(string) + "/accept"
			wantLimit(t, one.do(req{method: "POST", path: accept, headers: one.session(Outsider)}))
			mustDo(t, one, one.as(Outsider), "GET", "/v3/environments", nil, 403)
			if len(invitationsOf(t, one, Outsider)) != 1 || len(holders(t)) != 1 {
				t.Fatal("the refused accept changed something")
			}
			mustDo(t, two, two.session(Outsider), "POST", accept, nil, 200) // at the limit of 2
			if h := holders(t); len(h) != 2 {
				t.Errorf("holders %v", h)
			}
		})
	})
}

func median(ds []time.Duration) time.Duration {
	ds = slices.Clone(ds)
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// TestPendingInvitationsLimit: a share that would leave more than
// --max-pending-invitations waiting in the stack is refused (422 naming the
// limit) and records nothing; re-inviting an address replaces its invitation.
func TestPendingInvitationsLimit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		base := newFixture(t, open)
		svc, acc := newServices(base.store, service.Config{Limits: service.StackLimits{PendingInvitations: 2}})
		fx := *base
		fx.svc, fx.acc, fx.srv = svc, acc, sghttp.NewServer(svc, acc, nil)
		f := &fx
		dev := f.roleUIDs[stackgate.RoleDeveloper]
		mustDo(t, f, f.as(Owner), "POST", "/v3/stacks/share", shareBody("a@example.com", dev), 200)
		mustDo(t, f, f.as(Owner), "POST", "/v3/stacks/share", shareBody("outsider@example.com", dev), 200) // at the limit
		mustDo(t, f, f.as(Owner), "POST", "/v3/stacks/share", shareBody("a@example.com", dev), 200)        // replaces
		got := f.do(req{method: "POST", path: "/v3/stacks/share", headers: f.as(Owner), body: shareBody("b@example.com", dev)})
		wantError(t, got, 422, 141, "emails")
		if !strings.Contains(string(got.raw), "limit of 2 pending invitations per stack reached.") {
			t.Errorf("the error does not name the limit: %s", got.raw)
		}
		// Accepting frees a place.
		f.tokens[Outsider] = base.tokens[Outsider]
		invs := invitationsOf(t, f, Outsider)
		mustDo(t, f, f.session(Outsider), "POST", invitationsPath+"/"+invs[0]["uid"].(string)+"/accept", nil, 200)
		mustDo(t, f, f.as(Owner), "POST", "/v3/stacks/share", shareBody("b@example.com", dev), 200)
	})
}
