package http_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/internal/testdb"
)

const unsharePath = "/v3/stacks/unshare"

// unshared is the reply of a successful unshare: the CMA reference's
// sample response of "Unshare a stack".
var unshared = map[string]any{"notice": "The stack has been successfully unshared."}

// stackState is what an unshare may change: the stack's collaborators with
// their roles, and the pending invitations of the outsider and of an
// address without an account.
func stackState(t *testing.T, f *fixture) string {
	t.Helper()
	r := mustDo(t, f, f.as(Owner), "GET", "/v3/stacks?include_collaborators=true", nil, 200)
	later, err := f.store.ListStackInvitations(t.Context(), "later@example.com")
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal([]any{jobj(t, r.body["stack"])["collaborators"], invitationsOf(t, f, Outsider), later})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestUnshare: POST /v3/stacks/unshare (the SDK's stack.unShare(email)) as
// data, on both stores: the owner and admins remove members and withdraw
// invitations; anyone else, the owner's address, an address that is neither
// a member's nor invited (alike with or without an account) and bad bodies
// are refused and change nothing.
func TestUnshare(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		cm := f.roleUIDs[stackgate.RoleContentManager]
		mt := mgmtAll(t, f, "unshare") // $all read/write: still no stack users (they need a person)
		notMember := map[string]any{"error_message": "Stack unsharing failed. Please try again.", "error_code": float64(141),
			"errors": map[string]any{"email": []any{stackgate.ProblemNotMember}}}
		for _, tc := range []struct {
			name   string
			who    cred
			with   map[string]string // headers instead of who's
			body   any
			status int
			want   map[string]any // the whole reply body, when set
			code   int
			field  string
			setup  func(t *testing.T) // before the request: e.g. an invitation to withdraw
			after  func(t *testing.T) // after a success: what changed
		}{
			{name: "developer refused", who: Developer, body: map[string]string{"email": ContentManager.email()}, status: 403, code: 316},
			{name: "content manager refused", who: ContentManager, body: map[string]string{"email": Developer.email()}, status: 403, code: 316},
			{name: "outsider refused", who: Outsider, body: map[string]string{"email": Developer.email()}, status: 403, code: 316},
			{name: "management token refused", with: f.withToken(mt), body: map[string]string{"email": Developer.email()}, status: 403, code: 316},
			{name: "no credential", who: NoCredential, body: map[string]string{"email": Developer.email()}, status: 401, code: 105},
			{name: "owner's address, by the owner", who: Owner, body: map[string]string{"email": Owner.email()}, status: 422,
				want: map[string]any{"error_message": "Stack unsharing failed. Please try again.", "error_code": float64(141),
					"errors": map[string]any{"email": []any{stackgate.ProblemOwner}}}},
			{name: "owner's address, by an admin", who: Admin, body: map[string]string{"email": "  OWNER@example.com"}, status: 422, code: 141, field: "email"},
			{name: "an account that is no member", who: Owner, body: map[string]string{"email": Outsider.email()}, status: 422, want: notMember},
			{name: "an address without an account", who: Owner, body: map[string]string{"email": "nobody@example.com"}, status: 422, want: notMember},
			{name: "no email", who: Owner, body: map[string]any{}, status: 422, code: 141, field: "email"},
			{name: "empty email", who: Owner, body: map[string]string{"email": " "}, status: 422, code: 141, field: "email"},
			{name: "malformed email", who: Owner, body: map[string]string{"email": "developer"}, status: 422, code: 141, field: "email"},
			{name: "emails, as share takes them", who: Owner, body: map[string]any{"emails": []string{Developer.email()}}, status: 422, code: 141, field: "email"},
			{name: "email not a string", who: Owner, body: map[string]any{"email": []string{Developer.email()}}, status: 400, code: 400},
			{name: "not JSON", who: Owner, body: `{"email":`, status: 400, code: 400},

			{name: "admin removes the content manager", who: Admin, body: map[string]string{"email": ContentManager.email()}, status: 200, want: unshared,
				after: func(t *testing.T) {
					wantError(t, f.do(req{method: "GET", path: "/v3/environments", headers: f.as(ContentManager)}), 403, 316, "")
				}},
			{name: "gone: no member any more", who: Admin, body: map[string]string{"email": ContentManager.email()}, status: 422, want: notMember},
			{name: "owner removes the developer, address in any case", who: Owner, body: map[string]string{"email": " Developer@Example.COM "}, status: 200, want: unshared,
				after: func(t *testing.T) {
					wantError(t, f.do(req{method: "GET", path: "/v3/roles", headers: f.as(Developer)}), 403, 316, "")
				}},
			{name: "an invitation is withdrawn", who: Admin, body: map[string]string{"email": Outsider.email()}, status: 200, want: unshared,
				setup: func(t *testing.T) {
					mustDo(t, f, f.as(Owner), "POST", "/v3/stacks/share", shareBody(Outsider.email(), cm), 200)
				},
				after: func(t *testing.T) {
					if got := invitationsOf(t, f, Outsider); len(got) != 0 {
						t.Fatalf("outsider still invited: %v", got)
					}
				}},
			{name: "an invitation to an address without an account", who: Owner, body: map[string]string{"email": "later@example.com"}, status: 200, want: unshared,
				setup: func(t *testing.T) {
					mustDo(t, f, f.as(Owner), "POST", "/v3/stacks/share", shareBody("later@example.com", cm), 200)
				}},
			{name: "withdrawn: not invited any more", who: Owner, body: map[string]string{"email": "later@example.com"}, status: 422, want: notMember},
			{name: "an admin may leave", who: Admin, body: map[string]string{"email": Admin.email()}, status: 200, want: unshared,
				after: func(t *testing.T) {
					wantError(t, f.do(req{method: "GET", path: "/v3/roles", headers: f.as(Admin)}), 403, 316, "")
				}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if tc.setup != nil {
					tc.setup(t)
				}
				before := stackState(t, f)
				h := tc.with
				if h == nil {
					h = f.headersFor(tc.who)
				}
				got := f.do(req{method: "POST", path: unsharePath, headers: h, body: tc.body})
				if got.status != tc.status {
					t.Fatalf("status %d, want %d: %s", got.status, tc.status, got.raw)
				}
				if tc.want != nil {
					if d := cmp.Diff(tc.want, got.body); d != "" {
						t.Errorf("reply (-want +got):\n%s", d)
					}
				} else {
					wantError(t, got, tc.status, tc.code, tc.field)
				}
				after := stackState(t, f)
				if tc.status >= 400 && after != before {
					t.Errorf("a refused unshare changed the stack:\nbefore %s\nafter  %s", before, after)
				}
				if tc.status == 200 && after == before {
					t.Error("a successful unshare changed nothing")
				}
				if tc.after != nil {
					tc.after(t)
				}
			})
		}
		// The owner remains, alone.
		r := mustDo(t, f, f.as(Owner), "GET", "/v3/stacks?include_collaborators=true", nil, 200)
		if c := jobj(t, r.body["stack"])["collaborators"].([]any); len(c) != 1 || jobj(t, c[0])["uid"] != f.users[Owner].UID {
			t.Fatalf("collaborators left: %v", c)
		}
	})
}

// TestUnshareRevokesAtOnce: once the unshare returns, the removed user's
// authtoken and OAuth Bearer token are refused on the stack (the commit hook
// rebuilt its snapshot before the reply), and still work on their own stack.
// An OAuth token needs cm.stack.users:write to unshare at all.
func TestUnshareRevokesAtOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		o := f.oauthApps() // public app scopes: roles read, delivery tokens read, user:read
		dev, _ := f.userToken(Developer, o)
		admin, _ := f.userToken(Admin, o)
		outsider, _ := f.userToken(Outsider, o)
		for _, h := range []map[string]string{f.as(Developer), bearerOn(f.stack, dev)} {
			mustDo(t, f, h, "GET", "/v3/roles", nil, 200)
		}
		// An admin's token without the stack-users scope may not unshare.
		wantError(t, f.do(req{method: "POST", path: unsharePath, headers: bearerOn(f.stack, admin),
			body: map[string]string{"email": Developer.email()}}), 403, 316, "")
		mustDo(t, f, f.as(Developer), "GET", "/v3/roles", nil, 200)

		// The outsider joins, then is removed: their tokens lose this stack only.
		f.join(t, Outsider, f.roleUIDs[stackgate.RoleDeveloper])
		mustDo(t, f, bearerOn(f.stack, outsider), "GET", "/v3/roles", nil, 200)

		for _, who := range []cred{Developer, Outsider} {
			got := mustDo(t, f, f.as(Owner), "POST", unsharePath, map[string]string{"email": who.email()}, 200)
			if d := cmp.Diff(unshared, got.body); d != "" {
				t.Errorf("reply (-want +got):\n%s", d)
			}
		}
		for name, h := range map[string]map[string]string{
			"developer's authtoken": f.as(Developer), "developer's bearer token": bearerOn(f.stack, dev),
			"outsider's authtoken": f.as(Outsider), "outsider's bearer token": bearerOn(f.stack, outsider),
		} {
			t.Run(name, func(t *testing.T) {
				wantError(t, f.do(req{method: "GET", path: "/v3/roles", headers: h}), 403, 316, "")
			})
		}
		// Their own stack, and their session, are untouched.
		mustDo(t, f, bearerOn(f.other, outsider), "GET", "/v3/roles", nil, 200)
		mustDo(t, f, map[string]string{"api_key": f.other.APIKey, "authtoken": f.tokens[Outsider]}, "GET", "/v3/roles", nil, 200)
		mustDo(t, f, f.session(Developer), "GET", "/v3/user", nil, 200)
	})
}
