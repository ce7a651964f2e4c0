package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/access"
	"github.com/stackgate/stackgate/authz"
	"github.com/stackgate/stackgate/authz/authztest"
	"github.com/stackgate/stackgate/http/wire/wiretest"
	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/service"
)

// The permission matrix (authz/testdata/matrix.json) through the real
// server on both stores. Every case's stack is built for real (one stack per
// distinct set of branches, aliases, environments and locales), and so is
// its principal: tokens through the service with the case's scope, members
// as users holding the case's roles (custom roles created through the
// service, assigned with AddMember).
//
//   - TestMatrixThroughGate asks /gate/auth and POST /gate/check the case's
//     request (a concrete route of authz.Routes with the case's module,
//     action and API): they must agree with each other and with the matrix.
//   - TestMatrixThroughRouter sends the member cases whose module stackgate
//     serves itself (environments, locales, branches, aliases, roles,
//     tokens, stack users, the stack) to those routes, for real.

const matrixFile = "../authz/testdata/matrix.json"

func loadMatrixCases(t *testing.T) []authztest.Case {
	t.Helper()
	cases, err := authztest.LoadMatrix(matrixFile)
	if err != nil {
		t.Fatal(err)
	}
	return cases
}

// matrixWorlds holds the stacks the cases run in, by stack description.
type matrixWorlds struct {
	f      *fixture
	worlds map[string]*matrixWorld
}

// matrixWorld is one real stack set up as some cases describe it.
type matrixWorld struct {
	f        *fixture
	n        int
	stack    *stackgate.Stack
	owner    stackgate.Actor
	unusable string            // why the stack cannot be built as described, if so
	ids      map[string]string // the case's environment and locale uids → real uids
	envNames []string          // the real environments' names
	system   map[string]string // system role name → uid
	users    map[string]string // member principal (its JSON) → authtoken
	seq      int
}

func newMatrixWorlds(f *fixture) *matrixWorlds {
	return &matrixWorlds{f: f, worlds: map[string]*matrixWorld{}}
}

// world returns the stack of case c, building it on first use.
func (ws *matrixWorlds) world(t *testing.T, c *authztest.Case) *matrixWorld {
	t.Helper()
	key, _ := json.Marshal([]any{c.Branches, c.Aliases, c.Environments, c.Locales})
	if w, ok := ws.worlds[string(key)]; ok {
		return w
	}
	ctx := context.Background()
	f := ws.f
	w := &matrixWorld{f: f, n: len(ws.worlds), ids: map[string]string{}, system: map[string]string{}, users: map[string]string{}}
	ws.worlds[string(key)] = w
	var err error
	if w.stack, err = f.svc.CreateStack(ctx, f.users[Owner], fmt.Sprintf("Matrix %d", w.n)); err != nil {
		t.Fatal(err)
	}
	w.owner = stackgate.Actor{Stack: w.stack, UID: f.users[Owner].UID}
	for _, name := range []string{stackgate.RoleAdmin, stackgate.RoleDeveloper, stackgate.RoleContentManager} {
		r, err := f.svc.RoleByName(ctx, w.stack.UID, name)
		if err != nil {
			t.Fatal(err)
		}
		w.system[name] = r.UID
	}
	for _, b := range c.Branches {
		if b != stackgate.MainBranch {
			if _, err := f.svc.CreateBranch(ctx, w.owner, b, stackgate.MainBranch); err != nil {
				t.Fatalf("branch %s: %v", b, err)
			}
		}
	}
	for alias, target := range c.Aliases {
		if _, err := f.svc.PutBranchAlias(ctx, w.owner, alias, target); err != nil {
			t.Fatalf("alias %s: %v", alias, err)
		}
	}
	// Environments: those the stack was created with are renamed to (or
	// kept as) the case's, the rest created; none other remains.
	existing, err := f.svc.Environments(ctx, w.stack.UID)
	if err != nil {
		t.Fatal(err)
	}
	claimed := map[string]bool{}
	for _, e := range c.Environments {
		for _, x := range existing {
			if x.Name == e.Name {
				claimed[x.UID], w.ids[e.UID] = true, x.UID
			}
		}
	}
	for _, e := range c.Environments {
		if _, ok := w.ids[e.UID]; ok {
			continue
		}
		name := e.Name
		for _, x := range existing {
			if !claimed[x.UID] {
				if _, err := f.svc.UpdateEnvironment(ctx, w.owner, x.UID, service.EnvironmentInput{Name: &name}); err != nil {
					t.Fatalf("rename environment %s: %v", x.Name, err)
				}
				claimed[x.UID], w.ids[e.UID] = true, x.UID
				break
			}
		}
		if _, ok := w.ids[e.UID]; ok {
			continue
		}
		env, err := f.svc.CreateEnvironment(ctx, w.owner, service.EnvironmentInput{Name: &name})
		if err != nil {
			t.Fatalf("environment %s: %v", name, err)
		}
		w.ids[e.UID] = env.UID
	}
	for _, x := range existing {
		if !claimed[x.UID] {
			if err := f.svc.DeleteEnvironment(ctx, w.owner, x.UID); err != nil {
				t.Fatalf("delete environment %s: %v", x.Name, err)
			}
		}
	}
	for _, e := range c.Environments {
		w.envNames = append(w.envNames, e.Name)
	}
	// Locales: the master is the stack's; the others are created.
	locales, err := f.svc.Locales(ctx, w.stack.UID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Locales[0].Code != w.stack.MasterLocale || len(locales) != 1 {
		w.unusable = "the case's master locale is " + c.Locales[0].Code + "; a stack's is " + w.stack.MasterLocale
		return w
	}
	w.ids[c.Locales[0].UID] = locales[0].UID
	for _, l := range c.Locales[1:] {
		code := l.Code
		loc, err := f.svc.CreateLocale(ctx, w.owner, service.LocaleInput{Code: &code, Name: &code})
		if err != nil {
			t.Fatalf("locale %s: %v", code, err)
		}
		w.ids[l.UID] = loc.UID
	}
	return w
}

// translate replaces the case's placeholder uids with the real ones.
func (w *matrixWorld) translate(raw []byte) json.RawMessage {
	s := string(raw)
	for from, to := range w.ids {
		s = strings.ReplaceAll(s, `"`+from+`"`, `"`+to+`"`)
	}
	return json.RawMessage(s)
}

// id returns the real uid of a case's uid (other values pass through).
func (w *matrixWorld) id(v string) string {
	if real, ok := w.ids[v]; ok {
		return real
	}
	return v
}

func (w *matrixWorld) name(kind string) string {
	w.seq++
	return fmt.Sprintf("mx%s%d", kind, w.seq)
}

// principal creates the case's principal in the world and returns the
// headers carrying its credential, and what to undo after the case. ok is
// false when the API refuses the principal (e.g. a role without a branch
// rule, a token scope without branch): why says so.
func (w *matrixWorld) principal(t *testing.T, c *authztest.Case) (headers map[string]string, undo func(), why string) {
	t.Helper()
	ctx := context.Background()
	f := w.f
	p := c.Principal
	headers = map[string]string{"api_key": w.stack.APIKey}
	undo = func() {}
	name := w.name("t")
	switch p.Kind() {
	case authztest.KindManagementToken:
		scope, _ := json.Marshal(p.ManagementToken.Scope.Scope)
		in := wiretest.Management(service.TokenInput{Name: &name}, w.translate(scope))
		if p.ManagementToken.Expired {
			// Created valid (a past date is refused), expired by the clock.
			in.ExpiresOn = json.RawMessage(`"` + f.svc.Now().UTC().AddDate(0, 0, 1).Format("2006-01-02") + `"`)
		}
		tok, err := f.svc.CreateManagementToken(ctx, w.owner, in)
		if err != nil {
			return nil, nil, "management token refused: " + err.Error()
		}
		headers["authorization"] = tok.Token
		undo = func() { _ = f.svc.DeleteManagementToken(ctx, w.owner, tok.UID) } // at most 10 per stack
		if p.ManagementToken.Expired {
			now := f.svc.Now
			f.svc.Now = func() time.Time { return now().Add(72 * time.Hour) }
			undo = func() { f.svc.Now = now; _ = f.svc.DeleteManagementToken(ctx, w.owner, tok.UID) }
		}
		return headers, undo, ""
	case authztest.KindDeliveryToken, authztest.KindPreviewToken:
		scope, _ := json.Marshal(p.DeliveryToken.Scope)
		tok, err := f.svc.CreateDeliveryToken(ctx, w.owner, wiretest.Delivery(service.TokenInput{Name: &name}, w.translate(scope)), p.Preview)
		if err != nil {
			return nil, nil, "delivery token refused: " + err.Error()
		}
		if p.Preview {
			headers["preview_token"] = tok.PreviewToken
		} else {
			headers["access_token"] = tok.Token
		}
		return headers, func() { _ = f.svc.DeleteDeliveryToken(ctx, w.owner, tok.UID) }, ""
	}
	key, _ := json.Marshal(p)
	if tok, ok := w.users[string(key)]; ok {
		headers["authtoken"] = tok
		return headers, undo, ""
	}
	if p.Owner {
		headers["authtoken"] = f.tokens[Owner]
		return headers, undo, ""
	}
	var roleUIDs []string
	for _, sr := range p.SystemRoles {
		roleUIDs = append(roleUIDs, w.system[sr])
	}
	for j, r := range p.Roles {
		rules, _ := json.Marshal(r.Rules)
		rname := fmt.Sprintf("%s-%d", name, j)
		role, err := f.svc.CreateRole(ctx, w.owner, wiretest.Role(service.RoleInput{Name: &rname}, w.translate(rules)))
		if err != nil {
			return nil, nil, "role refused: " + err.Error()
		}
		roleUIDs = append(roleUIDs, role.UID)
	}
	email := fmt.Sprintf("%s-w%d@example.com", name, w.n)
	u, _, err := f.svc.EnsureUser(ctx, email, "matrix-password")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.AddMember(ctx, w.stack.UID, u.UID, roleUIDs); err != nil {
		t.Fatal(err)
	}
	_, tok, err := f.svc.Login(ctx, email, "matrix-password")
	if err != nil {
		t.Fatal(err)
	}
	w.users[string(key)] = tok
	headers["authtoken"] = tok
	return headers, undo, ""
}

// TestMatrixThroughGate: every case of the matrix, token cases and member
// cases, through /gate/auth and POST /gate/check on both stores.
func TestMatrixThroughGate(t *testing.T) {
	cases := loadMatrixCases(t)
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		worlds := newMatrixWorlds(f)
		ran := map[string]int{}
		skipped := map[string]int{}
		for _, c := range cases {
			w := worlds.world(t, &c)
			if w.unusable != "" {
				skipped[w.unusable]++
				continue
			}
			c.Request.Environment, c.Request.Locale = w.id(c.Request.Environment), w.id(c.Request.Locale)
			method, uri, ok := routeFor(c.Request)
			if !ok {
				skipped["no route carries what the case names"]++
				continue
			}
			headers, undo, why := w.principal(t, &c)
			if why != "" {
				skipped["the API refuses the principal"]++
				continue
			}
			ran[c.Principal.Kind()]++
			t.Run(c.Name, func(t *testing.T) {
				defer undo()
				checkGate(t, f, c, method, uri, headers)
			})
		}
		t.Logf("through the gate: %v; skipped: %v", ran, skipped)
		if tokens := ran[authztest.KindManagementToken] + ran[authztest.KindDeliveryToken] + ran[authztest.KindPreviewToken]; tokens < 150 {
			t.Fatalf("only %d token cases ran through the gate", tokens)
		}
		if ran[authztest.KindUser] < 250 {
			t.Fatalf("only %d member cases ran through the gate", ran[authztest.KindUser])
		}
	})
}

// checkGate asks /gate/auth and /gate/check the case's request, naming the
// case's API (a preview token's CDA request goes to the preview service).
// A credential of another API is refused 401 before any rule is asked.
// Publish-like requests are checked twice: /gate/check with a body naming
// the case's environment and locale (as a proxy listener decides), and
// /gate/auth without it, which must refuse what the matrix refuses and may
// refuse, saying why, what the body could change.
func checkGate(t *testing.T, f *fixture, c authztest.Case, method, uri string, headers map[string]string) {
	t.Helper()
	api := c.Request.API
	if api == "cda" && c.Principal.Preview {
		api = "preview"
	}
	h := map[string]string{"X-Original-Method": method, "X-Original-URI": uri}
	cred := map[string]string{}
	for k, v := range headers {
		h[k] = v
		if k != "api_key" {
			cred[k] = v
		}
	}
	if c.Request.Branch != "" && c.Request.Branch != stackgate.MainBranch {
		h["branch"] = c.Request.Branch
	}
	path, _, _ := strings.Cut(uri, "?")
	route, _, _ := authz.Match(c.Request.APIValue(), method, path)
	checkBody := map[string]any{"api": api, "api_key": headers["api_key"], "credential": cred, "method": method, "path": uri, "branch": h["branch"]}
	if route.BodyScoped() {
		scope := map[string]any{}
		if e := c.Request.Environment; e != "" {
			scope["environments"] = []string{e}
		}
		if l := c.Request.Locale; l != "" {
			scope["locales"] = []string{l}
		}
		checkBody["body"] = map[string]any{"entry": scope}
	}
	auth := f.do(req{method: "GET", path: "/gate/auth?api=" + api, headers: h})
	check := f.do(req{method: "POST", path: "/gate/check", body: checkBody})
	if check.status != 200 {
		t.Fatalf("/gate/check = %d: %s", check.status, check.raw)
	}
	tokenAPI := c.Principal.DeliveryToken != nil
	if (api == "cma") == tokenAPI {
		// A delivery or preview token on the CMA, or a CMA credential on
		// the CDA: 401 / 105, whatever the rules say.
		wantError(t, auth, 401, 105, "")
		if check.body["status"] != float64(401) || check.body["allowed"] != false {
			t.Fatalf("/gate/check = %s, want a 401 refusal", check.raw)
		}
		return
	}
	if check.body["allowed"] != c.Expect.Allowed {
		t.Fatalf("/gate/check %s %s: allowed = %v, want %v: %s", method, uri, check.body["allowed"], c.Expect.Allowed, check.raw)
	}
	reason, _ := check.body["reason"].(string)
	if reason == "" {
		t.Fatalf("/gate/check gave no reason: %s", check.raw)
	}
	if m := c.Principal.ManagementToken; m != nil && m.Expired {
		// An expired token authenticates nothing: 401 / 105, not 403.
		wantError(t, auth, 401, 105, "authorization")
		if check.body["status"] != float64(401) {
			t.Fatalf("/gate/check status = %v, want 401: %s", check.body["status"], check.raw)
		}
		return
	}
	want := 403
	if c.Expect.Allowed {
		want = 200
	}
	if api != "cma" && c.Request.Environment == "" {
		// A CDA or preview request without environment: 422/141, before
		// any rule (the gate's answer, not the engine's).
		wantError(t, auth, 422, 141, "environment")
		if check.body["status"] != float64(422) || check.body["allowed"] != false {
			t.Fatalf("/gate/check = %s, want a 422 refusal", check.raw)
		}
		return
	}
	if route.BodyScoped() && want == 200 && auth.status == 403 {
		// Without the body the gate may not decide, and must say so: the
		// same request checked without a body gives the reason.
		delete(checkBody, "body")
		nobody := f.do(req{method: "POST", path: "/gate/check", body: checkBody})
		if r, _ := nobody.body["reason"].(string); nobody.body["allowed"] != false || r != access.ReasonBodyScope {
			t.Fatalf("/gate/auth refused a body-scoped request it should allow, not for its body: %s", nobody.raw)
		}
	} else if auth.status != want {
		t.Fatalf("/gate/auth %s %s = %d, want %d; %s", method, uri, auth.status, want, auth.raw)
	}
	if auth.status == 403 {
		// A refusal by the branch alone is Contentstack's 901; the engine
		// says which (authz.Decision.OffBranch, held to its own table in
		// authz.TestOffBranch).
		code := 316
		if d, err := c.Decide(); err == nil && d.OffBranch {
			code = 901
		}
		wantError(t, auth, 403, code, "")
	}
	if check.body["status"] != float64(want) {
		t.Fatalf("/gate/check status = %v, want %d: %s", check.body["status"], want, check.raw)
	}
	// When the gate reached the engine, its explanation is the engine's.
	if _, routed := check.body["route"]; routed {
		if e := c.Expect.ReasonContains; e != "" && !strings.Contains(reason, e) {
			t.Fatalf("/gate/check reason %q does not mention %q", reason, e)
		}
		if e := c.Expect.RuleSource; e != "" {
			rule, _ := check.body["rule"].(map[string]any)
			if rule == nil || rule["source"] != string(e) {
				t.Fatalf("/gate/check rule = %v, want source %q", check.body["rule"], e)
			}
		}
	}
}

// routeFor picks a concrete request for the case: the route of its API
// with its module and action whose wildcards carry every object the case
// names, with the fewest wildcards (or, when its API has no such route, one
// of the other API, which the gate must then refuse). Environment and
// locale go in the query.
func routeFor(r authztest.Request) (method, uri string, ok bool) {
	action := r.ActionValue()
	need := map[string]string{"{content_type_uid}": r.ContentType, "{entry_uid}": r.Entry, "{asset_uid}": r.Asset,
		"{folder_uid}": r.Folder, "{taxonomy_uid}": r.Taxonomy, "{term_uid}": r.Term}
	var best *authz.Route
	for _, api := range []authz.API{r.APIValue(), otherAPI(r.APIValue())} {
	routes:
		for i := range authz.Routes {
			rt := &authz.Routes[i]
			if rt.API != api || rt.Module != r.Module || rt.Action != action || rt.Module == "user_session" {
				continue
			}
			for wildcard, value := range need {
				if value != "" && !strings.Contains(rt.Pattern, wildcard) {
					continue routes
				}
			}
			if best == nil || strings.Count(rt.Pattern, "{") < strings.Count(best.Pattern, "{") {
				best = rt
			}
		}
		if best != nil {
			break
		}
	}
	if best == nil {
		return "", "", false
	}
	or := func(v, def string) string {
		if v != "" {
			return v
		}
		return def
	}
	path := strings.NewReplacer(
		"{content_type_uid}", or(r.ContentType, "blog"), "{entry_uid}", or(r.Entry, "bltentry"),
		"{asset_uid}", or(r.Asset, "bltasset"), "{folder_uid}", or(r.Folder, "bltfolder"),
		"{taxonomy_uid}", or(r.Taxonomy, "regions"), "{term_uid}", or(r.Term, "north_america"),
	).Replace(best.Pattern)
	for strings.Contains(path, "{") {
		path = path[:strings.Index(path, "{")] + "bltobject" + path[strings.Index(path, "}")+1:]
	}
	q := []string{}
	if r.Environment != "" {
		q = append(q, "environment="+r.Environment)
	}
	if r.Locale != "" {
		q = append(q, "locale="+r.Locale)
	}
	if len(q) > 0 {
		path += "?" + strings.Join(q, "&")
	}
	return best.Method, path, true
}

func otherAPI(a authz.API) authz.API {
	if a == authz.CDA {
		return authz.CMA
	}
	return authz.CDA
}

// servedRoute returns the served route of module and action with the
// fewest wildcards (the shortest pattern among equals).
func servedRoute(module stackgate.Module, action authz.Action) (authz.Route, bool) {
	var best *authz.Route
	for i := range authz.Routes {
		r := &authz.Routes[i]
		if !r.Served || r.Module == "user_session" || r.Module != module || r.Action != action {
			continue
		}
		// The token webhook shares the management token module's rights
		// (TestTokenWebhookWho); the matrix drives the tokens themselves.
		if strings.HasPrefix(r.Pattern, "/v3/stacks/token_webhook") {
			continue
		}
		if best == nil || strings.Count(r.Pattern, "{") < strings.Count(best.Pattern, "{") ||
			strings.Count(r.Pattern, "{") == strings.Count(best.Pattern, "{") && len(r.Pattern) < len(best.Pattern) {
			best = r
		}
	}
	if best == nil {
		return authz.Route{}, false
	}
	return *best, true
}

// routerRequest is a real request for a served route: its object made
// beforehand when the route names one, a valid body, and what to undo.
type routerRequest struct {
	path string
	body any
	undo func()
}

// routerRequestFor builds the request of route r in world w, for a request
// by the user whose authtoken is in headers: a role to update or delete is
// that user's own (a user other than the owner changes only the custom
// roles they created, authz.MayChangeCustomRole).
func (w *matrixWorld) routerRequestFor(t *testing.T, r authz.Route, headers map[string]string) routerRequest {
	t.Helper()
	ctx := context.Background()
	f, owner := w.f, w.owner
	ok := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("setup of %s %s: %v", r.Method, r.Pattern, err)
		}
	}
	name := w.name(string(r.Module[:1]))
	env := w.envNames[0]
	mainOnly := json.RawMessage(`[{"module":"branch","branches":["main"],"acl":{"read":true}}]`)
	dtScope := json.RawMessage(`[{"module":"environment","environments":["` + env + `"],"acl":{"read":true}},{"module":"branch","branches":["main"],"acl":{"read":true}}]`)
	mtScope := json.RawMessage(`[{"module":"$all","acl":{"read":true}},{"module":"branch","branches":["main"],"acl":{"read":true}}]`)
	out := routerRequest{path: r.Pattern, undo: func() {}}
	fill := func(wildcard, value string) { out.path = strings.Replace(out.path, wildcard, value, 1) }
	switch r.Module {
	case stackgate.ModuleEnvironment:
		out.body = map[string]any{"environment": map[string]any{"name": name, "urls": []any{}}}
		if strings.Contains(r.Pattern, "{") {
			ok(f.svc.CreateEnvironment(ctx, owner, service.EnvironmentInput{Name: &name}))
			fill("{environment_name}", name)
			out.body = map[string]any{"environment": map[string]any{"name": name,
				"urls": []any{map[string]string{"url": "https://" + name + ".example.com", "locale": "en-us"}}}}
		}
		out.undo = func() { _ = f.svc.DeleteEnvironment(ctx, owner, name) }
	case stackgate.ModuleLocale:
		out.body = map[string]any{"locale": map[string]any{"code": name, "name": "Matrix " + name}}
		if strings.Contains(r.Pattern, "{") {
			ok(f.svc.CreateLocale(ctx, owner, service.LocaleInput{Code: &name, Name: &name}))
			fill("{locale_code}", name)
			out.body = map[string]any{"locale": map[string]any{"name": "Renamed " + name}}
		}
		out.undo = func() { _ = f.svc.DeleteLocale(ctx, owner, name) }
	case stackgate.ModuleBranch:
		out.body = map[string]any{"branch": map[string]any{"uid": name, "source": "main"}}
		if strings.Contains(r.Pattern, "{") {
			ok(f.svc.CreateBranch(ctx, owner, name, stackgate.MainBranch))
			fill("{branch_uid}", name)
		}
		out.undo = func() { _ = f.svc.DeleteBranch(ctx, owner, name) }
	case stackgate.ModuleBranchAlias:
		out.body = map[string]any{"branch_alias": map[string]any{"target_branch": "main"}}
		if strings.Contains(r.Pattern, "{") {
			ok(f.svc.PutBranchAlias(ctx, owner, name, stackgate.MainBranch))
			fill("{alias_uid}", name)
		}
		out.undo = func() { _ = f.svc.DeleteBranchAlias(ctx, owner, name) }
	case stackgate.ModuleRole:
		out.body = map[string]any{"role": map[string]any{"name": name, "rules": mainOnly}}
		uid := ""
		if strings.Contains(r.Pattern, "{") {
			creator := owner
			if p, err := f.acc.Authenticate(ctx, access.Credentials{APIKey: w.stack.APIKey, Authtoken: headers["authtoken"]}); err == nil {
				creator = p.Actor()
			}
			role, err := f.svc.CreateRole(ctx, creator, wiretest.Role(service.RoleInput{Name: &name}, mainOnly))
			ok(role, err)
			uid = role.UID
			fill("{role_uid}", uid)
		}
		out.undo = func() {
			if roles, err := f.svc.Roles(ctx, w.stack.UID); err == nil {
				for _, role := range roles {
					if role.Name == name || role.UID == uid {
						_ = f.svc.DeleteRole(ctx, owner, role.UID)
					}
				}
			}
		}
	case stackgate.ModuleDeliveryToken:
		out.body = map[string]any{"token": map[string]any{"name": name, "scope": dtScope}}
		if strings.Contains(r.Pattern, "{") {
			tok, err := f.svc.CreateDeliveryToken(ctx, owner, wiretest.Delivery(service.TokenInput{Name: &name}, dtScope), false)
			ok(tok, err)
			fill("{token_uid}", tok.UID)
			fill("{delivery_token_uid}", tok.UID)
		}
		out.undo = func() {
			if toks, err := f.svc.DeliveryTokens(ctx, owner); err == nil {
				for _, tok := range toks.Tokens {
					if tok.Name == name {
						_ = f.svc.DeleteDeliveryToken(ctx, owner, tok.UID)
					}
				}
			}
		}
	case stackgate.ModuleManagementToken:
		out.body = map[string]any{"token": map[string]any{"name": name, "scope": mtScope}}
		if strings.Contains(r.Pattern, "{") {
			tok, err := f.svc.CreateManagementToken(ctx, owner, wiretest.Management(service.TokenInput{Name: &name}, mtScope))
			ok(tok, err)
			fill("{token_uid}", tok.UID)
		}
		out.undo = func() {
			if toks, err := f.svc.ManagementTokens(ctx, owner); err == nil {
				for _, tok := range toks {
					if tok.Name == name {
						_ = f.svc.DeleteManagementToken(ctx, owner, tok.UID)
					}
				}
			}
		}
	case stackgate.ModuleStackUser:
		// A user of no consequence: shared (create) or given a role (update).
		email := name + "-w" + fmt.Sprint(w.n) + "@example.com"
		u, _, err := f.svc.EnsureUser(ctx, email, "matrix-password")
		ok(u, err)
		cm := []string{w.system[stackgate.RoleContentManager]}
		switch r.Action {
		case authz.Create:
			out.body = map[string]any{"emails": []string{email}, "roles": map[string][]string{email: cm}}
		default:
			ok(nil, f.svc.AddMember(ctx, w.stack.UID, u.UID, nil))
			out.body = map[string]any{"users": map[string][]string{u.UID: cm}}
		}
	case stackgate.ModuleAuditLog:
		if strings.Contains(r.Pattern, "{") {
			logs, err := f.svc.AuditLogs(ctx, w.stack.UID)
			ok(logs, err)
			if len(logs) == 0 {
				t.Fatal("the stack's audit log is empty")
			}
			fill("{log_uid}", logs[0].UID)
		}
	case stackgate.ModuleStack:
	default:
		t.Fatalf("no request for served module %s", r.Module)
	}
	if strings.Contains(out.path, "{") {
		t.Fatalf("%s %s: wildcard left in %s", r.Method, r.Pattern, out.path)
	}
	return out
}

// TestMatrixThroughRouter: the member cases of the modules stackgate
// serves, sent to a served route of the case's module and action by a user
// holding the case's roles: an allowed case succeeds (2xx), a denied one is
// 403 / 316.
func TestMatrixThroughRouter(t *testing.T) {
	cases := loadMatrixCases(t)
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		worlds := newMatrixWorlds(f)
		ran, allowed := 0, 0
		skipped := map[string]int{}
		modules := map[stackgate.Module]int{}
		for _, c := range cases {
			if c.Principal.IsToken() {
				continue
			}
			route, ok := servedRoute(c.Request.Module, c.Request.ActionValue())
			if !ok {
				if _, served := servedRoute(c.Request.Module, authz.Read); served {
					skipped["no served route for "+string(c.Request.Module)+" "+c.Request.Action]++
				}
				continue
			}
			w := worlds.world(t, &c)
			if w.unusable != "" {
				skipped[w.unusable]++
				continue
			}
			headers, undo, why := w.principal(t, &c)
			if why != "" {
				skipped["the API refuses the principal"]++
				continue
			}
			ran++
			modules[c.Request.Module]++
			if c.Expect.Allowed {
				allowed++
			}
			t.Run(c.Name, func(t *testing.T) {
				defer undo()
				rr := w.routerRequestFor(t, route, headers)
				defer rr.undo()
				if c.Request.Branch != "" && c.Request.Branch != stackgate.MainBranch {
					headers["branch"] = c.Request.Branch
				}
				got := f.do(req{method: route.Method, path: rr.path, headers: headers, body: rr.body})
				if !c.Expect.Allowed {
					wantError(t, got, 403, 316, "")
					return
				}
				if got.status != 200 && got.status != 201 {
					t.Fatalf("%s %s = %d, want success: %s", route.Method, rr.path, got.status, got.raw)
				}
			})
		}
		names := make([]string, 0, len(modules))
		for m, n := range modules {
			names = append(names, fmt.Sprintf("%s:%d", m, n))
		}
		sort.Strings(names)
		t.Logf("%d member cases through the router (%d allowed): %s; skipped: %v", ran, allowed, strings.Join(names, " "), skipped)
		if ran < 100 || allowed == 0 || allowed == ran {
			t.Fatalf("%d cases (%d allowed) through the router", ran, allowed)
		}
	})
}
