package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/authz"
	"github.com/stackgate/stackgate/authz/authztest"
	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/service"
)

// TestMatrixThroughGate runs the permission matrix (authz/testdata/matrix.json)
// through the real router on both stores: each case's principal is created
// for real (roles, members, tokens through the service), and the case's
// request is asked of /gate/auth and of /gate/check, which must agree with
// each other and with the matrix.
func TestMatrixThroughGate(t *testing.T) {
	m, err := authztest.Load("../authz/testdata/matrix.json")
	if err != nil {
		t.Fatal(err)
	}
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		f := newFixture(t, open)
		g := newGateWorld(t, f, m)
		ran := 0
		for i, c := range m.Cases {
			for _, v := range []*string{&c.Request.Environment, &c.Request.Locale} {
				if real, ok := g.ids[*v]; ok {
					*v = real
				}
			}
			method, uri, ok := routeFor(c.Request)
			if !ok {
				continue // no route carries what the case names (e.g. an asset's folder)
			}
			if c.Principal.DeliveryToken != nil && c.Request.API == "cma" {
				path, _, _ := strings.Cut(uri, "?")
				if _, _, twin := authz.Match(authz.CDA, method, path); twin {
					// The same path is a delivery route: at the gate a delivery
					// token's request is a delivery request by definition.
					continue
				}
			}
			headers, ok := g.principal(t, i, c)
			if !ok {
				continue // the API refuses to create this principal (e.g. a scope without branch)
			}
			ran++
			t.Run(c.Name, func(t *testing.T) {
				h := map[string]string{"X-Original-Method": method, "X-Original-URI": uri}
				for k, v := range headers {
					h[k] = v
				}
				if c.Request.Branch != "" && c.Request.Branch != "main" {
					h["branch"] = c.Request.Branch
				}
				auth := f.do(req{method: "GET", path: "/gate/auth", headers: h})
				want := 403
				if c.Allowed {
					want = 200
				}
				if auth.status != want {
					t.Fatalf("/gate/auth %s %s = %d, want %d; %s", method, uri, auth.status, want, auth.raw)
				}
				cred := map[string]string{}
				for k, v := range headers {
					if k != "api_key" {
						cred[k] = v
					}
				}
				check := f.do(req{method: "POST", path: "/gate/check", body: map[string]any{
					"api_key": headers["api_key"], "credential": cred, "method": method, "path": uri,
					"branch": h["branch"]}})
				if check.status != 200 || check.body["allowed"] != c.Allowed {
					t.Fatalf("/gate/check disagrees: %d %s", check.status, check.raw)
				}
				if reason, _ := check.body["reason"].(string); reason == "" {
					t.Fatalf("/gate/check gave no reason: %s", check.raw)
				}
			})
			if g.cleanup != nil {
				g.cleanup()
				g.cleanup = nil
			}
		}
		t.Logf("%d of %d matrix cases ran through the gate", ran, len(m.Cases))
		if ran < 300 {
			t.Fatalf("only %d cases ran through the gate", ran)
		}
	})
}

// gateWorld is the fixture stack set up as the matrix describes it.
type gateWorld struct {
	f     *fixture
	owner *service.Principal
	ids   map[string]string // matrix uid → real uid
	users map[string]string // principal JSON → authtoken

	cleanup func() // after a case: delete its management token
}

func newGateWorld(t *testing.T, f *fixture, m *authztest.Matrix) *gateWorld {
	ctx := context.Background()
	g := &gateWorld{f: f, ids: map[string]string{}, users: map[string]string{}}
	g.owner = &service.Principal{Kind: service.KindUser, Stack: f.stack, UID: f.users["owner"].UID, Owner: true}
	envs, _ := f.svc.Environments(ctx, f.stack.UID)
	g.ids["bltprod"] = envs[0].UID
	staging := "staging"
	e, err := f.svc.CreateEnvironment(ctx, g.owner, service.EnvironmentInput{Name: &staging})
	if err != nil {
		t.Fatal(err)
	}
	g.ids["bltstag"] = e.UID
	locales, _ := f.svc.Locales(ctx, f.stack.UID)
	g.ids["blten"] = locales[0].UID
	code, name := "fr-fr", "French"
	l, err := f.svc.CreateLocale(ctx, g.owner, service.LocaleInput{Code: &code, Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	g.ids["bltfr"] = l.UID
	if _, err := f.svc.CreateBranch(ctx, g.owner, "development", "main"); err != nil {
		t.Fatal(err)
	}
	for alias, target := range m.Stack.Aliases {
		if _, err := f.svc.PutBranchAlias(ctx, g.owner, alias, target); err != nil {
			t.Fatal(err)
		}
	}
	return g
}

// translate replaces the matrix's placeholder uids with the real ones.
func (g *gateWorld) translate(raw []byte) json.RawMessage {
	s := string(raw)
	for from, to := range g.ids {
		s = strings.ReplaceAll(s, `"`+from+`"`, `"`+to+`"`)
	}
	return json.RawMessage(s)
}

// principal creates the case's principal and returns its headers.
func (g *gateWorld) principal(t *testing.T, i int, c authztest.Case) (map[string]string, bool) {
	ctx := context.Background()
	f := g.f
	p := c.Principal
	name := fmt.Sprintf("case-%d", i)
	switch {
	case p.ManagementToken != nil:
		scope, _ := json.Marshal(p.ManagementToken.Scope)
		tok, err := f.svc.CreateManagementToken(ctx, g.owner, service.TokenInput{Name: &name, Scope: g.translate(scope)})
		if err != nil {
			return nil, false
		}
		g.cleanup = func() { _ = f.svc.DeleteManagementToken(ctx, g.owner, tok.UID) } // the limit is 10 per stack
		return map[string]string{"api_key": f.stack.APIKey, "authorization": tok.Token}, true
	case p.DeliveryToken != nil:
		scope, _ := json.Marshal(p.DeliveryToken.Scope)
		tok, err := f.svc.CreateDeliveryToken(ctx, g.owner, service.TokenInput{Name: &name, Scope: g.translate(scope)}, p.Preview)
		if err != nil {
			t.Fatalf("%s: create delivery token: %v", c.Name, err)
		}
		if p.Preview {
			return map[string]string{"api_key": f.stack.APIKey, "preview_token": tok.PreviewToken}, true
		}
		return map[string]string{"api_key": f.stack.APIKey, "access_token": tok.Token}, true
	}
	key, _ := json.Marshal(p)
	if tok, ok := g.users[string(key)]; ok {
		return f.as2(tok), true
	}
	switch {
	case p.Owner:
		return f.as("owner"), true
	case len(p.Roles) == 0 && len(p.SystemRoles) == 1:
		who := map[string]string{stackgate.RoleAdmin: "admin", stackgate.RoleDeveloper: "developer", stackgate.RoleContentManager: "content_manager"}[p.SystemRoles[0]]
		return f.as(who), true
	}
	var roleUIDs []string
	for _, sr := range p.SystemRoles {
		roleUIDs = append(roleUIDs, f.roleUIDs[sr])
	}
	for j, r := range p.Roles {
		rules, _ := json.Marshal(r.Rules)
		rname := fmt.Sprintf("%s-%d", name, j)
		role, err := f.svc.CreateRole(ctx, g.owner, service.RoleInput{Name: &rname, Rules: g.translate(rules)})
		if err != nil {
			return nil, false // e.g. a role without a branch rule: the API refuses it
		}
		roleUIDs = append(roleUIDs, role.UID)
	}
	email := name + "@example.com"
	u, _, err := f.svc.EnsureUser(ctx, email, "matrix-password")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.AddMember(ctx, f.stack.UID, u.UID, roleUIDs); err != nil {
		t.Fatal(err)
	}
	_, tok, err := f.svc.Login(ctx, email, "matrix-password")
	if err != nil {
		t.Fatal(err)
	}
	g.users[string(key)] = tok
	return f.as2(tok), true
}

func (f *fixture) as2(authtoken string) map[string]string {
	return map[string]string{"api_key": f.stack.APIKey, "authtoken": authtoken}
}

// routeFor picks a concrete request for the case: the route of its API
// with its module and action whose wildcards carry every object the case
// names, with the fewest wildcards (or, when its API has no such route, one
// of the other API, which the gate must then refuse). Environment and
// locale go in the query.
func routeFor(r authztest.Request) (method, uri string, ok bool) {
	action := authztest.Actions[r.Action]
	need := map[string]string{"{content_type_uid}": r.ContentType, "{entry_uid}": r.Entry, "{asset_uid}": r.Asset,
		"{folder_uid}": r.Folder, "{taxonomy_uid}": r.Taxonomy, "{term_uid}": r.Term}
	var best *authz.Route
	for _, api := range []authz.API{r.APIValue(), otherAPI(r.APIValue())} {
	routes:
		for i := range authz.Routes {
			rt := &authz.Routes[i]
			if rt.API != api || rt.Module != r.Module || rt.Action != action || rt.NoStack {
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
