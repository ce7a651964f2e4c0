package http_test

import (
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stackgate/stackgate/internal/testdb"
)

// dtLife is what the rows of TestDeliveryTokenLifecycle share: a fixture
// with a staging environment and a development branch, and the
// environments as GET /v3/environments renders them. No row changes any of
// it; each creates the tokens it works on, under names of its own.
type dtLife struct {
	f    *fixture
	envs map[string]map[string]any
}

const entriesURI = "/v3/content_types/blog/entries?environment="

// create creates a delivery token as who (query is "" or
// "?create_with_preview_token=…") and returns the reply's token object.
func (w dtLife) create(t *testing.T, who cred, query, name string, scope ...any) map[string]any {
	t.Helper()
	return jobj(t, mustDo(t, w.f, w.f.as(who), "POST", deliveryTokensPath+query, deliveryTokenBody(name, scope...), 201).body["token"])
}

// fetch returns the token object GET renders for uid.
func (w dtLife) fetch(t *testing.T, uid string) map[string]any {
	t.Helper()
	r := mustDo(t, w.f, w.f.as(Owner), "GET", deliveryTokensPath+"/"+uid, nil, 200)
	if _, has := r.body["tokens"]; has {
		t.Fatalf("fetch answers tokens: %s", r.raw)
	}
	return jobj(t, r.body["token"])
}

// update sends {"token": body} as who and returns the reply's token object.
func (w dtLife) update(t *testing.T, who cred, uid string, body map[string]any) map[string]any {
	t.Helper()
	r := mustDo(t, w.f, w.f.as(who), "PUT", deliveryTokensPath+"/"+uid, map[string]any{"token": body}, 200)
	if r.body["notice"] != "Delivery Token updated successfully." {
		t.Fatalf("notice %v", r.body["notice"])
	}
	return jobj(t, r.body["token"])
}

// gate returns the gate's status for a delivery read of environment env
// with the credential header (access_token or preview_token) set to value.
func (w dtLife) gate(t *testing.T, header, value, env string) int {
	t.Helper()
	return gateStatus(t, w.f, map[string]string{"api_key": w.f.stack.APIKey, header: value}, "GET", entriesURI+env)
}

// dtWant is the token object a reply must render, in the form
// placeholders gives it.
type dtWant struct {
	name, description    string
	createdBy, updatedBy cred
	envs                 []string // environment names, in the order given
	branches             []string
	preview              bool
}

func (w dtLife) want(d dtWant) map[string]any {
	envs := []any{}
	for _, name := range d.envs {
		// Expanded as GET /v3/environments renders it, with the samples'
		// deploy_content and servers.
		env := map[string]any{"deploy_content": false, "servers": []any{}}
		for k, v := range w.envs[name] {
			env[k] = v
		}
		envs = append(envs, any(env))
	}
	branches := []any{}
	for _, b := range d.branches {
		branches = append(branches, b)
	}
	read, meta := map[string]any{"read": true}, map[string]any{"uid": "<meta>"}
	tok := map[string]any{"name": d.name, "description": d.description, "uid": "<uid>", "token": "<token>", "type": "delivery",
		"created_by": w.f.users[d.createdBy].UID, "updated_by": w.f.users[d.updatedBy].UID, "created_at": "<time>", "updated_at": "<time>",
		"scope": []any{
			map[string]any{"module": "environment", "environments": envs, "acl": read, "_metadata": meta},
			map[string]any{"module": "branch", "branches": branches, "acl": read, "_metadata": meta},
		}}
	if d.preview {
		tok["preview_token"] = "<token>"
	}
	return tok
}

// placeholders checks the generated values of a token object (uid, token,
// preview token, times, distinct scope _metadata uids) against their wire
// patterns and returns a copy with each replaced by its placeholder.
func placeholders(t *testing.T, tok map[string]any) map[string]any {
	t.Helper()
	out := withoutKeys(tok)
	check := func(key, placeholder string, ok func(string) bool) {
		if v, has := tok[key]; has {
			if s, _ := v.(string); !ok(s) {
				t.Fatalf("%s %v does not match its pattern", key, v)
			}
			out[key] = placeholder
		}
	}
	check("uid", "<uid>", bltUIDPattern.MatchString)
	check("token", "<token>", csTokenPattern.MatchString)
	check("preview_token", "<token>", func(s string) bool { return csTokenPattern.MatchString(s) && s != tok["token"] })
	check("created_at", "<time>", wireTimePattern.MatchString)
	check("updated_at", "<time>", wireTimePattern.MatchString)
	seen := map[any]bool{}
	var scope []any
	for _, s := range jlist(t, tok["scope"]) {
		e := withoutKeys(jobj(t, s))
		m, _ := e["_metadata"].(map[string]any)
		if m["uid"] == nil || m["uid"] == "" || seen[m["uid"]] {
			t.Fatalf("scope entry without a distinct _metadata.uid: %v", tok["scope"])
		}
		seen[m["uid"]] = true
		e["_metadata"] = map[string]any{"uid": "<meta>"}
		scope = append(scope, e)
	}
	out["scope"] = scope
	return out
}

func metadataUIDs(t *testing.T, tok map[string]any) []any {
	var out []any
	for _, s := range jlist(t, tok["scope"]) {
		out = append(out, jobj(t, jobj(t, s)["_metadata"])["uid"])
	}
	return out
}

// dtRow is one scenario of TestDeliveryTokenLifecycle.
type dtRow struct {
	name string
	run  func(t *testing.T)
}

func diff(t *testing.T, what string, want, got any) {
	t.Helper()
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("%s (-want +got):\n%s", what, d)
	}
}

// TestDeliveryTokenLifecycle: create, fetch, list, update, preview tokens
// and delete, with the shapes and values spec §4 asks for, on both stores.
// Each row creates the tokens it needs, so that rows run alone
// (-run 'Lifecycle/sqlite/update') and in any order.
func TestDeliveryTokenLifecycle(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		mustDo(t, f, f.as(Owner), "POST", "/v3/environments", envBody("staging"), 201)
		mustDo(t, f, f.as(Owner), "POST", "/v3/stacks/branches", map[string]any{"branch": map[string]any{"uid": "development", "source": "main"}}, 201)
		w := dtLife{f: f, envs: environmentsByName(t, f)}
		prodUID, stagingUID := w.envs["production"]["uid"].(string), w.envs["staging"]["uid"].(string)
		prodMain := []any{scopeEnv("production"), scopeBranch("main")}
		site := func(name string) dtWant {
			return dtWant{name: name, description: "about " + name, createdBy: Owner, updatedBy: Owner, envs: []string{"production"}, branches: []string{"main"}}
		}

		rows := []dtRow{
			{"create: the reply, environments expanded in the order given", func(t *testing.T) {
				r := mustDo(t, f, f.as(Developer), "POST", deliveryTokensPath, deliveryTokenBody("site", scopeEnv("production", stagingUID), scopeBranch("main")), 201)
				diff(t, "notice", "Delivery Token created successfully.", r.body["notice"])
				diff(t, "token", w.want(dtWant{name: "site", description: "about site", createdBy: Developer, updatedBy: Developer,
					envs: []string{"production", "staging"}, branches: []string{"main"}}), placeholders(t, jobj(t, r.body["token"])))
			}},
			{"create: the same environment by name and by uid is one environment", func(t *testing.T) {
				tok := w.create(t, Owner, "", "twice", scopeEnv("production", prodUID), scopeBranch("main"))
				diff(t, "token", w.want(site("twice")), placeholders(t, tok))
			}},
			{"create_with_preview_token=true: fetch and list show the preview token", func(t *testing.T) {
				tok := w.create(t, Owner, "?create_with_preview_token=true", "with preview", prodMain...)
				want := site("with preview")
				want.preview = true
				diff(t, "create reply", w.want(want), placeholders(t, tok))
				diff(t, "fetch", tok, w.fetch(t, tok["uid"].(string)))
				list := mustDo(t, f, f.as(Owner), "GET", deliveryTokensPath+"?query="+url.QueryEscape(`{"name":"with preview"}`), nil, 200)
				diff(t, "list", []any{any(tok)}, list.body["tokens"])
			}},
			{"create_with_preview_token=false: no preview token", func(t *testing.T) {
				tok := w.create(t, Owner, "?create_with_preview_token=false", "without preview", prodMain...)
				diff(t, "token", w.want(site("without preview")), placeholders(t, tok))
			}},
			{"fetch and list render the create reply", func(t *testing.T) {
				tok := w.create(t, Developer, "", "fetched", prodMain...)
				uid := tok["uid"].(string)
				diff(t, "fetch", tok, w.fetch(t, uid))
				var item any
				for _, x := range jlist(t, mustDo(t, f, f.as(Developer), "GET", deliveryTokensPath, nil, 200).body["tokens"]) {
					if jobj(t, x)["uid"] == uid {
						item = x
					}
				}
				diff(t, "list item", any(tok), item)
			}},
			{"the token reads its environments through the gate, and nothing else", func(t *testing.T) {
				value := w.create(t, Owner, "", "gate", scopeEnv("production", "staging"), scopeBranch("main"))["token"].(string)
				got := map[string]int{
					"production": w.gate(t, "access_token", value, "production"),
					"staging":    w.gate(t, "access_token", value, "staging"),
					"another stack's api_key": gateStatus(t, f, map[string]string{"api_key": f.other.APIKey, "access_token": value},
						"GET", entriesURI+"production"),
					"as a management token on the gate": gateStatus(t, f, map[string]string{"api_key": f.stack.APIKey, "authorization": value},
						"GET", "/v3/environments"),
				}
				diff(t, "gate statuses", map[string]int{"production": 200, "staging": 200, "another stack's api_key": 401,
					"as a management token on the gate": 401}, got)
				wantError(t, f.do(req{method: "GET", path: "/v3/environments", headers: f.withToken(value)}), 401, 105, "authorization")
			}},
			{"update name, description and scope: same value and _metadata uids, new scope at the gate", func(t *testing.T) {
				tok := w.create(t, Developer, "", "to update", scopeEnv("production", "staging"), scopeBranch("main"))
				uid, value := tok["uid"].(string), tok["token"].(string)
				got := w.update(t, Admin, uid, map[string]any{"name": "updated", "description": "changed",
					"scope": []any{scopeEnv("staging"), scopeBranch("main", "development")}})
				diff(t, "update reply", w.want(dtWant{name: "updated", description: "changed", createdBy: Developer, updatedBy: Admin,
					envs: []string{"staging"}, branches: []string{"main", "development"}}), placeholders(t, got))
				diff(t, "unchanged values", []any{uid, value, tok["created_at"], metadataUIDs(t, tok)},
					[]any{got["uid"], got["token"], got["created_at"], metadataUIDs(t, got)})
				diff(t, "fetch after update", got, w.fetch(t, uid))
				diff(t, "gate", []int{403, 200}, []int{w.gate(t, "access_token", value, "production"), w.gate(t, "access_token", value, "staging")})
			}},
			{"update as the SDK does: the fetched object sent back, environments as objects", func(t *testing.T) {
				tok := w.create(t, Developer, "", "sdk", prodMain...)
				fetched := w.fetch(t, tok["uid"].(string))
				fetched["name"] = "sdk 2"
				got := w.update(t, Developer, tok["uid"].(string), fetched)
				diff(t, "update reply", withoutKeys(fetched, "updated_by", "updated_at"), withoutKeys(got, "updated_by", "updated_at"))
			}},
			{"read-only fields in scope entries are ignored", func(t *testing.T) {
				tok := w.create(t, Owner, "", "scope fields", prodMain...)
				env := scopeEnv("production")
				env["_metadata"] = map[string]any{"uid": "csforged0000000000"}
				got := w.update(t, Developer, tok["uid"].(string), map[string]any{"scope": []any{env, scopeBranch("main")}})
				diff(t, "scope", tok["scope"], got["scope"])
			}},
		}
		for _, tc := range []struct {
			name string
			env  any
		}{
			{"environment object with name only", map[string]any{"name": "production"}},
			{"environment object with uid only", map[string]any{"uid": prodUID}},
			{"environment object with name and uid", map[string]any{"name": "production", "uid": prodUID}},
			{"environment by uid", prodUID},
		} {
			rows = append(rows, dtRow{"update: " + tc.name, func(t *testing.T) {
				tok := w.create(t, Owner, "", "env "+tc.name, scopeEnv("staging"), scopeBranch("main"))
				got := w.update(t, Developer, tok["uid"].(string), map[string]any{"scope": []any{scopeEnv(tc.env), scopeBranch("main")}})
				want := site("env " + tc.name)
				want.updatedBy = Developer
				diff(t, "update reply", w.want(want), placeholders(t, got))
				diff(t, "_metadata uids", metadataUIDs(t, tok), metadataUIDs(t, got))
			}})
		}
		for _, tc := range []struct {
			field string
			value any
		}{
			{"uid", "bltforged00000000"},
			{"token", "cs000000000000000000000000"},
			{"type", "management"},
			{"preview_token", "csffffffffffffffffffffffff"},
			{"_metadata", map[string]any{"uid": "csforged"}},
			{"created_at", "2000-01-01T00:00:00.000Z"},
			{"created_by", "bltforged00000000"},
			{"stack", map[string]any{"api_key": f.other.APIKey, "uid": f.other.UID}},
			{"api_key", f.other.APIKey},
			{"SYS_ACL", map[string]any{"others": map[string]any{"read": true}}},
		} {
			rows = append(rows, dtRow{"read-only field " + tc.field + " is ignored", func(t *testing.T) {
				uid := w.create(t, Owner, "?create_with_preview_token=true", "read-only "+tc.field, prodMain...)["uid"].(string)
				prior := withoutKeys(w.fetch(t, uid), "updated_at", "updated_by")
				got := w.update(t, Developer, uid, map[string]any{tc.field: tc.value})
				diff(t, "update reply", prior, withoutKeys(got, "updated_at", "updated_by"))
				diff(t, "fetch after", prior, withoutKeys(w.fetch(t, uid), "updated_at", "updated_by"))
				wantError(t, f.do(req{method: "GET", path: deliveryTokensPath + "/bltforged00000000", headers: f.as(Owner)}), 422, 141, "uid")
			}})
		}
		previewPath := func(uid string) string { return deliveryTokensPath + "/" + uid + "/preview_token" }
		rows = append(rows, []dtRow{
			{"preview token: POST with an empty form body", func(t *testing.T) {
				tok := w.create(t, Owner, "", "preview form", prodMain...)
				r := f.do(req{method: "POST", path: previewPath(tok["uid"].(string)), body: "",
					headers: withHeader(f.as(Developer), "Content-Type", "application/x-www-form-urlencoded")})
				diff(t, "status and notice", []any{201, "Preview token created successfully."}, []any{r.status, r.body["notice"]})
				got := jobj(t, r.body["token"])
				want := site("preview form")
				want.preview, want.updatedBy = true, Developer
				diff(t, "token", w.want(want), placeholders(t, got))
				diff(t, "the delivery token", []any{tok["uid"], tok["token"]}, []any{got["uid"], got["token"]})
			}},
			{"preview token: a second POST (no body, no content type) replaces the first", func(t *testing.T) {
				uid := w.create(t, Owner, "?create_with_preview_token=true", "preview twice", prodMain...)["uid"].(string)
				first := w.fetch(t, uid)["preview_token"].(string)
				second := jobj(t, mustDo(t, f, f.as(Developer), "POST", previewPath(uid), nil, 201).body["token"])["preview_token"].(string)
				if second == first || !csTokenPattern.MatchString(second) {
					t.Fatalf("preview token %q then %q", first, second)
				}
				diff(t, "fetch", second, w.fetch(t, uid)["preview_token"])
				diff(t, "gate: replaced, new", []int{401, 200},
					[]int{w.gate(t, "preview_token", first, "production"), w.gate(t, "preview_token", second, "production")})
			}},
			{"preview token: DELETE", func(t *testing.T) {
				tok := w.create(t, Owner, "?create_with_preview_token=true", "preview delete", prodMain...)
				uid, preview := tok["uid"].(string), tok["preview_token"].(string)
				r := mustDo(t, f, f.as(Developer), "DELETE", previewPath(uid), nil, 200)
				diff(t, "notice", "Preview token deleted successfully.", r.body["notice"])
				diff(t, "gate", 401, w.gate(t, "preview_token", preview, "production"))
				diff(t, "fetch", withoutKeys(tok, "preview_token", "updated_at", "updated_by"), withoutKeys(w.fetch(t, uid), "updated_at", "updated_by"))
				wantError(t, f.do(req{method: "DELETE", path: previewPath(uid), headers: f.as(Developer)}), 422, 141, "")
			}},
			{"preview token: a non-empty body that is not JSON", func(t *testing.T) {
				uid := w.create(t, Owner, "", "preview bad body", prodMain...)["uid"].(string)
				wantError(t, f.do(req{method: "POST", path: previewPath(uid), headers: f.as(Developer), body: "a=b"}), 400, 400, "")
				if _, has := w.fetch(t, uid)["preview_token"]; has {
					t.Fatal("a refused POST made a preview token")
				}
			}},
			{"preview token: POST and DELETE on an unknown delivery token", func(t *testing.T) {
				wantError(t, f.do(req{method: "POST", path: previewPath("bltdoesnotexist0"), headers: f.as(Developer)}), 422, 141, "")
				wantError(t, f.do(req{method: "DELETE", path: previewPath("bltdoesnotexist0"), headers: f.as(Developer)}), 422, 141, "")
			}},
			{"delete: force=maybe is refused and deletes nothing", func(t *testing.T) {
				uid := w.create(t, Owner, "", "delete maybe", prodMain...)["uid"].(string)
				wantError(t, f.do(req{method: "DELETE", path: deliveryTokensPath + "/" + uid + "?force=maybe", headers: f.as(Developer)}), 400, 400, "force")
				w.fetch(t, uid)
			}},
			{"delete: unknown uid", func(t *testing.T) {
				wantError(t, f.do(req{method: "DELETE", path: deliveryTokensPath + "/bltdoesnotexist0", headers: f.as(Developer)}), 422, 141, "uid")
			}},
			{"delete: force=false", func(t *testing.T) {
				uid := w.create(t, Owner, "", "delete false", prodMain...)["uid"].(string)
				r := mustDo(t, f, f.as(Developer), "DELETE", deliveryTokensPath+"/"+uid+"?force=false", nil, 200)
				diff(t, "notice", "Delivery Token deleted successfully.", r.body["notice"])
				wantError(t, f.do(req{method: "GET", path: deliveryTokensPath + "/" + uid, headers: f.as(Developer)}), 422, 141, "uid")
			}},
			{"delete: force=true ends the token and its preview token; the name is free again", func(t *testing.T) {
				tok := w.create(t, Owner, "?create_with_preview_token=true", "delete true", prodMain...)
				uid := tok["uid"].(string)
				mustDo(t, f, f.as(Developer), "DELETE", deliveryTokensPath+"/"+uid+"?force=true", nil, 200)
				diff(t, "gate: token, preview token", []int{401, 401},
					[]int{w.gate(t, "access_token", tok["token"].(string), "production"), w.gate(t, "preview_token", tok["preview_token"].(string), "production")})
				wantError(t, f.do(req{method: "GET", path: deliveryTokensPath + "/" + uid, headers: f.as(Developer)}), 422, 141, "uid")
				wantError(t, f.do(req{method: "DELETE", path: deliveryTokensPath + "/" + uid, headers: f.as(Developer)}), 422, 141, "")
				wantError(t, f.do(req{method: "DELETE", path: previewPath(uid), headers: f.as(Developer)}), 422, 141, "")
				w.create(t, Developer, "", "delete true", prodMain...)
			}},
		}...)
		for _, row := range rows {
			t.Run(row.name, row.run)
		}
	})
}

func withHeader(h map[string]string, k, v string) map[string]string {
	h[k] = v
	return h
}
