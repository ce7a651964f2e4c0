package http_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
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
