package http_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/service"
)

// TestStackList: GET /v3/stacks without api_key ("Get all stacks") lists
// the stacks of the user of an authtoken or of an OAuth user token with
// cm.stacks.management:read, newest first, each as GET /v3/stacks with its
// api_key renders it; every other credential is refused as before.
func TestStackList(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		// The developer joins the outsider's stack too (created after f.stack).
		if err := f.svc.AddMember(t.Context(), f.other.UID, f.users[Developer].UID, nil); err != nil {
			t.Fatal(err)
		}
		single := func(apiKey string) any {
			return mustDo(t, f, map[string]string{"api_key": apiKey, "authtoken": f.tokens[Outsider]}, "GET", "/v3/stacks", nil, 200).body["stack"]
		}
		other := single(f.other.APIKey)
		mine := mustDo(t, f, f.as(Owner), "GET", "/v3/stacks", nil, 200).body["stack"]
		if got := jobj(t, other)["user_uids"].([]any); len(got) != 2 {
			t.Fatalf("the other stack's members: %v", got)
		}

		withScope, _, err := f.svc.AddApp(t.Context(), service.AppSpec{Name: "Stacks", RedirectURIs: []string{testRedirect},
			Scopes: []string{"cm.stacks.management:read"}})
		if err != nil {
			t.Fatal(err)
		}
		scoped, _ := f.userToken(Developer, oauthApps{public: withScope})
		unscoped, _ := f.userToken(Developer, f.oauthApps()) // roles, delivery tokens, user:read
		mt := mgmtAll(t, f, "ci")

		for _, tc := range []struct {
			name    string
			headers map[string]string
			path    string
			want    []any
			count   int // include_count's count; 0: not asked
		}{
			{"developer's authtoken: both, newest first", map[string]string{"authtoken": f.tokens[Developer]}, "/v3/stacks", []any{other, mine}, 0},
			{"owner's authtoken: one", map[string]string{"authtoken": f.tokens[Owner]}, "/v3/stacks", []any{mine}, 0},
			{"OAuth user token with the scope", map[string]string{"authorization": "Bearer " + scoped}, "/v3/stacks", []any{other, mine}, 0},
			{"list params", map[string]string{"authtoken": f.tokens[Developer]}, "/v3/stacks?asc=created_at&limit=1&include_count=true", []any{mine}, 2},
			{"query", map[string]string{"authtoken": f.tokens[Developer]}, `/v3/stacks?query={"api_key":"` + f.other.APIKey + `"}`, []any{other}, 0},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got := mustDo(t, f, tc.headers, "GET", tc.path, nil, 200)
				if diff := cmp.Diff(tc.want, got.body["stacks"]); diff != "" {
					t.Errorf("stacks (-want +got):\n%s", diff)
				}
				if c, _ := got.body["count"].(float64); int(c) != tc.count {
					t.Errorf("count = %v, want %d", got.body["count"], tc.count)
				}
			})
		}

		for _, tc := range []struct {
			name         string
			headers      map[string]string
			status, code int
			field        string
		}{
			{"OAuth user token without the scope", map[string]string{"authorization": "Bearer " + unscoped}, 403, 316, ""},
			{"unknown OAuth token", map[string]string{"authorization": "Bearer nope"}, 401, 105, "authorization"},
			{"unknown authtoken", map[string]string{"authtoken": "bltnotatoken"}, 401, 105, ""},
			{"management token: no user, api_key needed as before", map[string]string{"authorization": mt}, 412, 109, "api_key"},
			{"both credentials", map[string]string{"authtoken": f.tokens[Owner], "authorization": "Bearer " + scoped}, 412, 109, "api_key"},
			{"no credential", map[string]string{}, 412, 109, "api_key"},
			{"bad list param", map[string]string{"authtoken": f.tokens[Owner]}, 400, 0, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				path := "/v3/stacks"
				if tc.status == 400 {
					path += "?skip=-1"
				}
				got := f.do(req{method: "GET", path: path, headers: tc.headers})
				if tc.code == 0 {
					if got.status != tc.status {
						t.Fatalf("%d %s", got.status, got.raw)
					}
					return
				}
				wantError(t, got, tc.status, tc.code, tc.field)
			})
		}
	})
}
