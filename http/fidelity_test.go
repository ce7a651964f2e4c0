package http_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	sghttp "github.com/stackgate/stackgate/http"
	"github.com/stackgate/stackgate/internal/testdb"
)

// TestBranchCodes: the branch refusals answer with Contentstack's codes on
// every way in (the CMA routes stackgate serves, /gate/auth for the CDA
// and the CMA, /gate/check): 905 for a branch that does not exist, 901 with
// "… on this branch '<uid>'." for one outside the token's branches; a CDA
// request without environment is 422/141 {"environment":["is required."]};
// roles, environments and locales ignore the branch header (stack-wide).
func TestBranchCodes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		owner := f.as(Owner)
		mustDo(t, f, owner, "POST", "/v3/stacks/branches", map[string]any{"branch": map[string]any{"uid": "development", "source": "main"}}, 201)
		dt := mustDo(t, f, owner, "POST", deliveryTokensPath, deliveryTokenBody("site", scopeEnv("production"), scopeBranch("main")), 201)
		access := jobj(t, dt.body["token"])["token"].(string)
		mgmt := mgmtFor(t, f, "main only", "$all", map[string]any{"read": true, "write": true})
		with := func(h map[string]string, kv ...string) map[string]string {
			out := map[string]string{}
			for k, v := range h {
				out[k] = v
			}
			for i := 0; i < len(kv); i += 2 {
				out[kv[i]] = kv[i+1]
			}
			return out
		}
		offBranch := "Access denied. You have insufficient permissions to perform operation on this branch 'development'."
		cda := map[string]string{"api_key": f.stack.APIKey, "access_token": access}
		for _, tc := range []struct {
			name    string
			method  string
			path    string
			headers map[string]string
			status  int
			code    int
			message string
			errors  map[string]any
		}{
			{name: "CMA: a branch outside the token's", method: "GET", path: "/v3/stacks/branches/main", headers: with(f.withToken(mgmt), "branch", "development"),
				status: 403, code: 901, message: offBranch, errors: map[string]any{}},
			{name: "CMA: an unknown branch", method: "GET", path: "/v3/roles", headers: with(f.withToken(mgmt), "branch", "nope"),
				status: 422, code: 905, errors: map[string]any{"branch": []any{"is not valid."}}},
			{name: "CMA: an unknown branch, authtoken", method: "GET", path: "/v3/environments", headers: with(owner, "branch", "nope"),
				status: 422, code: 905, errors: map[string]any{"branch": []any{"is not valid."}}},
			{name: "CMA: environments are stack-wide", method: "GET", path: "/v3/environments", headers: with(f.withToken(mgmt), "branch", "development"), status: 200},
			{name: "CMA: roles are stack-wide", method: "GET", path: "/v3/roles", headers: with(f.withToken(mgmt), "branch", "development"), status: 200},
			{name: "CMA: locales are stack-wide", method: "GET", path: "/v3/locales", headers: with(f.withToken(mgmt), "branch", "development"), status: 200},
			{name: "CMA: creating an environment is stack-wide", method: "POST", path: "/v3/environments", headers: with(f.withToken(mgmt), "branch", "development"),
				status: 201},
			{name: "gate CDA: a branch outside the token's", method: "GET", path: "/gate/auth?api=cda",
				headers: with(cda, "branch", "development", "X-Original-Method", "GET", "X-Original-URI", "/v3/content_types/blog/entries?environment=production"),
				status:  403, code: 901, message: offBranch, errors: map[string]any{}},
			{name: "gate CDA: an unknown branch", method: "GET", path: "/gate/auth?api=cda",
				headers: with(cda, "branch", "nope", "X-Original-Method", "GET", "X-Original-URI", "/v3/content_types/blog/entries?environment=production"),
				status:  422, code: 905, errors: map[string]any{"branch": []any{"is not valid."}}},
			{name: "gate CDA: no environment", method: "GET", path: "/gate/auth?api=cda",
				headers: with(cda, "X-Original-Method", "GET", "X-Original-URI", "/v3/content_types/blog/entries"),
				status:  422, code: 141, errors: map[string]any{"environment": []any{"is required."}}},
			{name: "gate CMA: a branch outside the token's", method: "GET", path: "/gate/auth?api=cma",
				headers: with(f.withToken(mgmt), "branch", "development", "X-Original-Method", "GET", "X-Original-URI", "/v3/content_types"),
				status:  403, code: 901, message: offBranch, errors: map[string]any{}},
			{name: "gate CMA: the owner on the main branch", method: "GET", path: "/gate/auth?api=cma",
				headers: with(owner, "X-Original-Method", "GET", "X-Original-URI", "/v3/content_types"), status: 200},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var body any
				if tc.method == "POST" {
					body = envBody("stack-wide")
				}
				r := f.do(req{method: tc.method, path: tc.path, headers: tc.headers, body: body})
				if tc.status < 300 {
					if r.status != tc.status {
						t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.raw)
					}
					return
				}
				wantError(t, r, tc.status, tc.code, "")
				if tc.message != "" && r.body["error_message"] != tc.message {
					t.Errorf("error_message %q, want %q", r.body["error_message"], tc.message)
				}
				if diff := cmp.Diff(tc.errors, r.body["errors"]); diff != "" {
					t.Errorf("errors (-want +got):\n%s", diff)
				}
			})
		}

		// /gate/check explains the same refusal with the same status and body.
		chk := f.do(req{method: "POST", path: "/gate/check", body: map[string]any{"api": "cda", "api_key": f.stack.APIKey,
			"credential": map[string]string{"access_token": access}, "method": "GET", "branch": "development",
			"path": "/v3/content_types/blog/entries?environment=production"}})
		if chk.status != 200 || chk.body["status"] != float64(403) || chk.body["allowed"] != false {
			t.Fatalf("/gate/check: %s", chk.raw)
		}
		if e := jobj(t, chk.body["error"]); e["error_code"] != float64(901) || e["error_message"] != offBranch {
			t.Fatalf("/gate/check error: %s", chk.raw)
		}
	})
}

// TestCMARateLimit: --cma-rate-limit at and past the edge, on a clock the
// test steps: a stack's reads and writes have a second's worth each, every
// CMA reply says the limit and what is left, the first request past it is
// 429 with Retry-After and the Contentstack body, and the bucket refills.
func TestCMARateLimit(t *testing.T) {
	f := newFixture(t, testdb.SQLite)
	owner := f.as(Owner)
	if r := f.do(req{method: "GET", path: "/v3/roles", headers: owner}); r.header.Get("X-RateLimit-Limit") != "" || r.header.Get("X-RateLimit-Remaining") != "" {
		t.Fatalf("rate-limit headers with the limit off: %v", r.header)
	}
	f.srv.SetCMARateLimit(3)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sghttp.SetCMARateLimitClock(f.srv, func() time.Time { return now })
	type step struct {
		name      string
		method    string
		path      string
		advance   time.Duration
		status    int
		remaining string
		retry     string
	}
	for _, s := range []step{
		{"read 1", "GET", "/v3/roles", 0, 200, "2", ""},
		{"read 2", "GET", "/v3/environments", 0, 200, "1", ""},
		{"read 3: the last of the second", "GET", "/v3/locales", 0, 200, "0", ""},
		{"read 4: past the edge", "GET", "/v3/roles", 0, 429, "0", "1"},
		{"writes are counted apart", "POST", "/v3/environments", 0, 201, "2", ""},
		{"a refused read does not refill", "GET", "/v3/roles", 300 * time.Millisecond, 429, "0", "1"},
		{"a third of a second later: one more read", "GET", "/v3/roles", 40 * time.Millisecond, 200, "0", ""},
		{"and not two", "GET", "/v3/roles", 0, 429, "0", "1"},
		{"a full second later: all three", "GET", "/v3/roles", time.Second, 200, "2", ""},
		{"a refused request counts and says so", "GET", "/v3/stacks/management_tokens?as=developer", 0, 403, "1", ""},
	} {
		now = now.Add(s.advance)
		var body any
		if s.method == "POST" {
			body = envBody("limited")
		}
		headers := owner
		if strings.HasSuffix(s.path, "?as=developer") {
			headers = f.as(Developer) // developers may not list management tokens: 403
		}
		r := f.do(req{method: s.method, path: s.path, headers: headers, body: body})
		if r.status != s.status || r.header.Get("X-RateLimit-Limit") != "3" || r.header.Get("X-RateLimit-Remaining") != s.remaining ||
			r.header.Get("Retry-After") != s.retry {
			t.Fatalf("%s: %d, X-RateLimit-Limit %q, X-RateLimit-Remaining %q, Retry-After %q; want %d, 3, %s, %q: %s", s.name, r.status,
				r.header.Get("X-RateLimit-Limit"), r.header.Get("X-RateLimit-Remaining"), r.header.Get("Retry-After"), s.status, s.remaining, s.retry, r.raw)
		}
		if s.status == 429 {
			wantError(t, r, 429, 429, "")
		}
	}
	// Another stack has buckets of its own: drain this one's, then read there.
	for i := 0; i < 3; i++ {
		f.do(req{method: "GET", path: "/v3/roles", headers: owner})
	}
	other := f.do(req{method: "GET", path: "/v3/roles", headers: map[string]string{"api_key": f.other.APIKey, "authtoken": f.tokens[Outsider]}})
	if other.status != 200 || other.header.Get("X-RateLimit-Remaining") != "2" {
		t.Fatalf("the other stack: %d, remaining %q: %s", other.status, other.header.Get("X-RateLimit-Remaining"), other.raw)
	}
}

// TestRoleOwnership: a user changes only the custom roles they created
// unless they own the stack (Contentstack's "Update a Role" / "Delete a
// Role"); a management token with role write changes any.
func TestRoleOwnership(t *testing.T) {
	f := newFixture(t, testdb.SQLite)
	create := func(who cred, name string) string {
		r := mustDo(t, f, f.as(who), "POST", rolesPath, rolePayload(name, ruleBranch("main")), 201)
		return jobj(t, r.body["role"])["uid"].(string)
	}
	byDev, byAdmin := create(Developer, "by developer"), create(Admin, "by admin")
	mgmt := mgmtFor(t, f, "roles", "role", map[string]any{"read": true, "write": true})
	rename := func(name string) map[string]any { return map[string]any{"role": map[string]any{"name": name}} }
	for _, tc := range []struct {
		name    string
		headers map[string]string
		method  string
		uid     string
		status  int
	}{
		{"the developer updates their own", f.as(Developer), "PUT", byDev, 200},
		{"the developer may not update the admin's", f.as(Developer), "PUT", byAdmin, 403},
		{"the developer may not delete the admin's", f.as(Developer), "DELETE", byAdmin, 403},
		{"the admin may not update the developer's", f.as(Admin), "PUT", byDev, 403},
		{"a management token updates any", f.withToken(mgmt), "PUT", byDev, 200},
		{"the owner updates any", f.as(Owner), "PUT", byAdmin, 200},
		{"the admin deletes their own", f.as(Admin), "DELETE", byAdmin, 200},
		{"a management token deletes any", f.withToken(mgmt), "DELETE", byDev, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body any
			if tc.method == "PUT" {
				body = rename(tc.name)
			}
			r := f.do(req{method: tc.method, path: rolesPath + "/" + tc.uid, headers: tc.headers, body: body})
			if tc.status == 403 {
				wantError(t, r, 403, 316, "role")
				return
			}
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.raw)
			}
		})
	}
}

// TestRoleStackShape: the stack inside a role has the Roles page sample's
// keys, in its order, minus its secrets (master_key,
// settings.discrete_variables.secret_key).
func TestRoleStackShape(t *testing.T) {
	f := newFixture(t, testdb.SQLite)
	r := mustDo(t, f, f.as(Owner), "GET", rolesPath+"/"+f.roleUIDs["Developer"], nil, 200)
	st := jobj(t, jobj(t, r.body["role"])["stack"])
	keys := func(raw any) []string {
		var out []string
		for k := range jobj(t, raw) {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	want := []string{"api_key", "created_at", "description", "is_asset_download_public", "master_locale", "name", "org_uid", "owner_uid", "settings", "uid", "updated_at", "user_uids"}
	if diff := cmp.Diff(want, keys(st)); diff != "" {
		t.Errorf("stack keys (-want +got):\n%s", diff)
	}
	wantSettings := []string{"allowedCDNTokens", "blockAuthQueryParams", "branches", "discrete_variables", "language_fallback", "live_preview",
		"publishing_rules", "rte_version", "stack_variables", "version", "webhook_enabled", "workflow_stages"}
	if diff := cmp.Diff(wantSettings, keys(st["settings"])); diff != "" {
		t.Errorf("settings keys (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"cms": true, "_version": float64(3)}, jobj(t, st["settings"])["discrete_variables"]); diff != "" {
		t.Errorf("discrete_variables (-want +got):\n%s", diff)
	}
}

// TestDeliveryTokenACL: a delivery token's scope means what it says: an
// entry with acl.read false grants nothing, and a scope granting write is
// refused at create and update (422): delivery tokens are read-only.
func TestDeliveryTokenACL(t *testing.T) {
	f := newFixture(t, testdb.SQLite)
	owner := f.as(Owner)
	noRead := map[string]any{"module": "environment", "environments": []string{"production"}, "acl": map[string]any{"read": false}}
	dt := mustDo(t, f, owner, "POST", deliveryTokensPath, deliveryTokenBody("no read", noRead, scopeBranch("main")), 201)
	access := jobj(t, dt.body["token"])["token"].(string)
	gate := f.do(req{method: "GET", path: "/gate/auth?api=cda", headers: map[string]string{"api_key": f.stack.APIKey, "access_token": access,
		"X-Original-Method": "GET", "X-Original-URI": "/v3/content_types/blog/entries?environment=production"}})
	wantError(t, gate, 403, 316, "")

	for _, acl := range []map[string]any{
		{"read": true, "write": true},
		{"read": true, "create": true},
		{"read": true, "publish": true},
		{"read": true, "sub_acl": map[string]any{"update": true}},
		{"read": "true", "write": "true"},
	} {
		body := deliveryTokenBody("writer", map[string]any{"module": "environment", "environments": []string{"production"}, "acl": acl}, scopeBranch("main"))
		wantError(t, f.do(req{method: "POST", path: deliveryTokensPath, headers: owner, body: body}), 422, 141, "scope.acl")
		body = deliveryTokenBody("writer", scopeEnv("production"), map[string]any{"module": "branch", "branches": []string{"main"}, "acl": acl})
		wantError(t, f.do(req{method: "POST", path: deliveryTokensPath, headers: owner, body: body}), 422, 141, "scope.acl")
	}
	uid := jobj(t, dt.body["token"])["uid"].(string)
	upd := deliveryTokenBody("no read", map[string]any{"module": "environment", "environments": []string{"production"}, "acl": map[string]any{"read": true, "write": true}}, scopeBranch("main"))
	wantError(t, f.do(req{method: "PUT", path: deliveryTokensPath + "/" + uid, headers: owner, body: upd}), 422, 141, "scope.acl")
	list := mustDo(t, f, owner, "GET", deliveryTokensPath, nil, 200)
	if n := len(jlist(t, list.body["tokens"])); n != 1 {
		t.Fatalf("%d tokens after refused creates, want 1", n)
	}
}

// TestBothCredentialsOnRoleWrites: POST and PUT /v3/roles take an authtoken
// and a management token together (the Roles page marks both required)
// when the token was created by the authtoken's user; the authtoken takes
// precedence. Credentials speaking for two users, or an invalid one, are a
// 401 naming the bad one; elsewhere both together stay refused.
func TestBothCredentialsOnRoleWrites(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		byOwner := createMgmt(t, f, mgmtTokenBody("owner's", []any{mgmtModule("role", map[string]any{"read": true}), scopeBranch("main")}, nil))["token"].(string)
		byAdmin := createMgmtAs(t, f, Admin, mgmtTokenBody("admin's", []any{mgmtModule("$all", map[string]any{"read": true, "write": true}), scopeBranch("main")}, nil))
		both := func(who cred, token string) map[string]string {
			h := f.as(who)
			h["authorization"] = token
			return h
		}
		created := f.do(req{method: "POST", path: rolesPath, headers: both(Owner, byOwner), body: rolePayload("both", ruleBranch("main"))})
		if created.status != 201 {
			t.Fatalf("POST with both: %d %s", created.status, created.raw)
		}
		role := jobj(t, created.body["role"])
		if role["created_by"] != f.users[Owner].UID {
			t.Fatalf("created_by %v, want the authtoken's user (the token's scope is read-only: the authtoken decides)", role["created_by"])
		}
		uid := role["uid"].(string)
		o := f.oauthApps()
		devOAuth, _ := f.userToken(Developer, o)
		cmOAuth, _ := f.userToken(ContentManager, o)
		app := f.appToken(o)
		for _, tc := range []struct {
			name    string
			method  string
			path    string
			headers map[string]string
			status  int
			code    int
			field   string
		}{
			{"PUT with both, the owner's", "PUT", rolesPath + "/" + uid, both(Owner, byOwner), 200, 0, ""},
			// The developer's own OAuth token (scopes: roles read only): the
			// authtoken decides, so the write is theirs to make.
			{"POST with the user's own OAuth token", "POST", rolesPath, both(Developer, "Bearer "+devOAuth), 201, 0, ""},
			{"another user's OAuth token", "POST", rolesPath, both(Developer, "Bearer "+cmOAuth), 401, 105, "authorization"},
			{"an app's OAuth token speaks for no user", "POST", rolesPath, both(Owner, "Bearer "+app), 401, 105, "authorization"},
			{"POST with both, the admin's", "POST", rolesPath, both(Admin, byAdmin), 201, 0, ""},
			{"the authtoken decides: the admin did not create the owner's role", "PUT", rolesPath + "/" + uid, both(Admin, byAdmin), 403, 316, "role"},
			{"a token of another user", "POST", rolesPath, both(Admin, byOwner), 401, 105, "authorization"},
			{"a token of another user, the other way", "PUT", rolesPath + "/" + uid, both(Owner, byAdmin), 401, 105, "authorization"},
			{"an unknown token", "POST", rolesPath, both(Owner, "cs0123456789abcdef01234567"), 401, 105, "authorization"},
			{"an unknown authtoken", "POST", rolesPath, map[string]string{"api_key": f.stack.APIKey, "authtoken": "bltnotasession", "authorization": byOwner}, 401, 105, "authtoken"},
			{"a Bearer value", "POST", rolesPath, both(Owner, "Bearer "+byOwner), 401, 105, "authorization"},
			{"both on a role read", "GET", rolesPath, both(Owner, byOwner), 401, 105, ""},
			{"both on a role delete", "DELETE", rolesPath + "/" + uid, both(Owner, byOwner), 401, 105, ""},
			{"both elsewhere", "POST", "/v3/environments", both(Owner, byOwner), 401, 105, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var body any
				if tc.method == "POST" || tc.method == "PUT" {
					body = rolePayload(tc.name, ruleBranch("main"))
				}
				if tc.path == "/v3/environments" {
					body = envBody("both")
				}
				r := f.do(req{method: tc.method, path: tc.path, headers: tc.headers, body: body})
				if tc.code == 0 {
					if r.status != tc.status {
						t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.raw)
					}
					return
				}
				wantError(t, r, tc.status, tc.code, tc.field)
			})
		}
	})
}

// createMgmtAs creates a management token as who and returns its secret.
func createMgmtAs(t *testing.T, f *fixture, who cred, body map[string]any) string {
	t.Helper()
	return jobj(t, mustDo(t, f, f.as(who), "POST", managementTokensPath, body, 201).body["token"])["token"].(string)
}
