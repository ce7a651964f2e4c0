// Package authztest loads the permission matrix (authz/testdata/matrix.json,
// written by authz/testdata/gen_matrix.py) and builds what each case needs,
// so that the engine tests and the HTTP/gate tests run the same cases.
//
// A case is self-contained: who asks (Principal), what they ask (Request),
// the stack they ask in (Branches, Aliases, Environments, Locales) and what
// must come back (Expect).
package authztest

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/authz"
	"github.com/stackgate/stackgate/http/wire"
)

// Case is one decision to check.
type Case struct {
	Name      string    `json:"name"`
	Principal Principal `json:"principal"`
	Request   Request   `json:"request"`

	// The stack: branch uids, alias uid → branch uid, environments and
	// locales (the first locale is the master; the others fall back to it).
	Branches     []string          `json:"branches"`
	Aliases      map[string]string `json:"aliases"`
	Environments []Environment     `json:"environments"`
	Locales      []Locale          `json:"locales"`

	Expect Expect `json:"expect"`
}

// Environment is an environment of a case's stack.
type Environment struct {
	Name string `json:"name"`
	UID  string `json:"uid"`
}

// Locale is a locale of a case's stack.
type Locale struct {
	Code string `json:"code"`
	UID  string `json:"uid"`
}

// Expect is the decision a case must get.
type Expect struct {
	Allowed        bool             `json:"allowed"`
	ReasonContains string           `json:"reason_contains,omitempty"` // a substring of the decision's reason
	RuleSource     authz.RuleSource `json:"rule_source,omitempty"`     // the RuleRef source of the decision
}

// Principal is who asks: a member (Owner, SystemRoles, Roles; none of them
// is a member without roles), or ManagementToken, or DeliveryToken (with
// Preview, its preview token).
type Principal struct {
	Owner           bool                  `json:"owner,omitempty"`
	SystemRoles     []string              `json:"system_roles,omitempty"`
	Roles           []Role                `json:"roles,omitempty"`
	ManagementToken *ManagementTokenScope `json:"management_token,omitempty"`
	DeliveryToken   *Scope                `json:"delivery_token,omitempty"`
	Preview         bool                  `json:"preview,omitempty"`
}

// Kinds of principal, as the service names them.
const (
	KindUser            = "user"
	KindManagementToken = "management_token"
	KindDeliveryToken   = "delivery_token"
	KindPreviewToken    = "preview_token"
)

// Kind names the principal's kind as the service does.
func (p Principal) Kind() string {
	switch {
	case p.ManagementToken != nil:
		return KindManagementToken
	case p.DeliveryToken != nil && p.Preview:
		return KindPreviewToken
	case p.DeliveryToken != nil:
		return KindDeliveryToken
	}
	return KindUser
}

// IsToken reports whether the principal is a token of any kind.
func (p Principal) IsToken() bool { return p.Kind() != KindUser }

// Role is a custom role of a case: rules exactly as the Roles page takes them.
type Role struct {
	Name  string      `json:"name"`
	Rules []wire.Rule `json:"rules"`
}

// Scope is a token scope, as the Tokens page takes it.
type Scope struct {
	Scope []json.RawMessage `json:"scope"`
}

// ManagementTokenScope is a management token's scope, and whether the
// token has expired.
type ManagementTokenScope struct {
	Scope
	Expired bool `json:"expired,omitempty"`
}

// Entries decodes the scope into domain entries (environments, branches
// and aliases stay as given: uids or names).
func (s *Scope) Entries() ([]stackgate.ScopeEntry, error) {
	out := make([]stackgate.ScopeEntry, 0, len(s.Scope))
	for i, raw := range s.Scope {
		var e struct {
			Module        stackgate.Module `json:"module"`
			Environments  []string         `json:"environments"`
			Branches      []string         `json:"branches"`
			BranchAliases []string         `json:"branch_aliases"`
			ACL           wire.ACL         `json:"acl"`
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, fmt.Errorf("scope[%d]: %w", i, err)
		}
		out = append(out, stackgate.ScopeEntry{Module: e.Module, Environments: e.Environments, Branches: e.Branches,
			BranchAliases: e.BranchAliases, ACL: stackgate.ACL(e.ACL)})
	}
	return out, nil
}

// Request is what the case asks. Empty object fields name no object (a
// list, a create); Environment may be a name or a uid, Locale a code or a
// uid; Branch is a branch uid ("main" when the request named none).
type Request struct {
	API         string           `json:"api"` // cma or cda
	Module      stackgate.Module `json:"module"`
	Action      string           `json:"action"` // read, create, update, delete, publish (anything else is unknown)
	Branch      string           `json:"branch"`
	ContentType string           `json:"content_type,omitempty"`
	Entry       string           `json:"entry,omitempty"`
	Asset       string           `json:"asset,omitempty"`
	Folder      string           `json:"folder,omitempty"`
	Taxonomy    string           `json:"taxonomy,omitempty"`
	Term        string           `json:"term,omitempty"`
	Locale      string           `json:"locale,omitempty"`
	Environment string           `json:"environment,omitempty"`
}

// Actions maps the file's action names.
var Actions = map[string]authz.Action{"read": authz.Read, "create": authz.Create, "update": authz.Update,
	"delete": authz.Delete, "publish": authz.Publish}

// APIValue returns the request's API.
func (r Request) APIValue() authz.API {
	if r.API == "cda" {
		return authz.CDA
	}
	return authz.CMA
}

// ActionValue returns the request's action; 0 (no action) when unknown.
func (r Request) ActionValue() authz.Action { return Actions[r.Action] }

// Authz returns the engine's request.
func (r Request) Authz() authz.Request {
	branch := r.Branch
	if branch == "" {
		branch = stackgate.MainBranch
	}
	return authz.Request{Module: r.Module, Action: r.ActionValue(), Branch: branch, ContentType: r.ContentType,
		Entry: r.Entry, Asset: r.Asset, Folder: r.Folder, Taxonomy: r.Taxonomy, Term: r.Term, Locale: r.Locale,
		Environment: r.Environment}
}

// file is matrix.json.
type file struct {
	Cases []Case `json:"cases"`
}

// LoadMatrix reads a matrix file and checks that its cases are well formed:
// named uniquely, one principal each, a known API, a stack with main.
func LoadMatrix(path string) ([]Case, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f file
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	seen := make(map[string]bool, len(f.Cases))
	for i, c := range f.Cases {
		if err := c.check(); err != nil {
			return nil, fmt.Errorf("%s: case %d (%q): %w", path, i, c.Name, err)
		}
		if seen[c.Name] {
			return nil, fmt.Errorf("%s: case %d: duplicate name %q", path, i, c.Name)
		}
		seen[c.Name] = true
	}
	return f.Cases, nil
}

func (c *Case) check() error {
	p := c.Principal
	kinds := 0
	if p.ManagementToken != nil {
		kinds++
	}
	if p.DeliveryToken != nil {
		kinds++
	}
	switch {
	case c.Name == "":
		return fmt.Errorf("no name")
	case kinds > 1, kinds == 1 && (p.Owner || len(p.SystemRoles) > 0 || len(p.Roles) > 0):
		return fmt.Errorf("more than one principal")
	case p.Preview && p.DeliveryToken == nil:
		return fmt.Errorf("preview without a delivery token")
	case c.Request.API != "cma" && c.Request.API != "cda":
		return fmt.Errorf("api %q", c.Request.API)
	case c.Request.Module == "":
		return fmt.Errorf("no module")
	}
	main := false
	for _, b := range c.Branches {
		main = main || b == stackgate.MainBranch
	}
	if !main {
		return fmt.Errorf("the stack has no main branch")
	}
	for alias, target := range c.Aliases {
		found := false
		for _, b := range c.Branches {
			found = found || b == target
		}
		if !found {
			return fmt.Errorf("alias %s points to %s, not a branch of the stack", alias, target)
		}
	}
	if len(c.Locales) == 0 {
		return fmt.Errorf("the stack has no locale")
	}
	return nil
}

// StackEnvironments returns the case's environments as domain objects.
func (c *Case) StackEnvironments() []*stackgate.Environment {
	envs := make([]*stackgate.Environment, 0, len(c.Environments))
	for _, e := range c.Environments {
		envs = append(envs, &stackgate.Environment{UID: e.UID, Name: e.Name})
	}
	return envs
}

// StackLocales returns the case's locales as domain objects: the first is
// the master (no fallback), the others fall back to it, as in a stack the
// API created.
func (c *Case) StackLocales() []*stackgate.Locale {
	locales := make([]*stackgate.Locale, 0, len(c.Locales))
	for i, l := range c.Locales {
		loc := &stackgate.Locale{UID: l.UID, Code: l.Code}
		if i > 0 {
			loc.FallbackLocale = c.Locales[0].Code
		}
		locales = append(locales, loc)
	}
	return locales
}

// EnvIndex returns the case's environments and locales indexed.
func (c *Case) EnvIndex() authz.EnvIndex {
	return authz.NewEnvIndex(c.StackEnvironments()).WithLocales(c.StackLocales())
}

// MemberRoles returns the roles a member case holds: its system roles
// (System set, uid "blt"+name) and its custom roles (uid "bltcustom<i>"),
// in that order.
func (c *Case) MemberRoles() []*stackgate.Role {
	p := c.Principal
	roles := make([]*stackgate.Role, 0, len(p.SystemRoles)+len(p.Roles))
	for _, name := range p.SystemRoles {
		roles = append(roles, &stackgate.Role{UID: "blt" + name, Name: name, System: true})
	}
	for i, r := range p.Roles {
		roles = append(roles, &stackgate.Role{UID: fmt.Sprintf("bltcustom%d", i), Name: r.Name, Rules: wire.DomainRules(r.Rules)})
	}
	return roles
}

// Expiry of the management tokens of cases: expired ones named yesterday
// (UTC), so they stopped at 00:00 UTC today; others never end.
func expiry(expired bool, now time.Time) *time.Time {
	if !expired {
		return nil
	}
	t := stackgate.ExpiryDate(now).AddDate(0, 0, -1)
	return &t
}

// ManagementToken returns the case's management token (nil when the
// principal is not one). An expired case's token is expired at now.
func (c *Case) ManagementToken(now time.Time) (*stackgate.ManagementToken, error) {
	m := c.Principal.ManagementToken
	if m == nil {
		return nil, nil
	}
	scope, err := m.Entries()
	if err != nil {
		return nil, err
	}
	return &stackgate.ManagementToken{UID: "bltmgmt", Name: c.Name, Scope: scope, ExpiresOn: expiry(m.Expired, now)}, nil
}

// DeliveryToken returns the case's delivery token (nil when the principal
// is not one); a preview case's token has a preview token.
func (c *Case) DeliveryToken() (*stackgate.DeliveryToken, error) {
	d := c.Principal.DeliveryToken
	if d == nil {
		return nil, nil
	}
	scope, err := d.Entries()
	if err != nil {
		return nil, err
	}
	t := &stackgate.DeliveryToken{UID: "bltdelivery", Name: c.Name, Scope: scope}
	if c.Principal.Preview {
		t.Preview = stackgate.Sealed{Hash: []byte("preview")}
	}
	return t, nil
}

// ReasonExpired is the reason Compile gives for an expired management
// token: the service refuses it (401) before the engine is asked.
const ReasonExpired = "the management token has expired"

// Compile compiles the case's principal once, as the service would for
// the case's stack, and returns a function that decides the case's request
// with it (for allocation and timing checks).
func (c *Case) Compile() (func() authz.Decision, error) {
	env := c.EnvIndex()
	req, api := c.Request.Authz(), c.Request.APIValue()
	switch c.Principal.Kind() {
	case KindManagementToken:
		now := time.Now()
		t, err := c.ManagementToken(now)
		if err != nil {
			return nil, err
		}
		if t.Expired(now) {
			return func() authz.Decision { return authz.Decision{Reason: ReasonExpired} }, nil
		}
		s := authz.CompileManagementToken(t, c.Aliases)
		return func() authz.Decision { return s.Allowed(req) }, nil
	case KindDeliveryToken, KindPreviewToken:
		t, err := c.DeliveryToken()
		if err != nil {
			return nil, err
		}
		s := authz.CompileDeliveryToken(t, env, c.Aliases)
		return func() authz.Decision { return s.Allowed(api, req) }, nil
	}
	m := authz.CompileMember(c.Principal.Owner, c.MemberRoles(), env, c.Aliases)
	return func() authz.Decision { return m.Allowed(req) }, nil
}

// Decide compiles the case's principal and decides its request.
func (c *Case) Decide() (authz.Decision, error) {
	decide, err := c.Compile()
	if err != nil {
		return authz.Decision{}, err
	}
	return decide(), nil
}

// Check compares a decision with the case's expectation; "" when it matches.
func (c *Case) Check(d authz.Decision) string {
	e := c.Expect
	switch {
	case d.Allowed != e.Allowed:
		return fmt.Sprintf("allowed = %v, want %v (reason %q)", d.Allowed, e.Allowed, d.Reason)
	case d.Reason == "":
		return "a decision without a reason"
	case e.ReasonContains != "" && !strings.Contains(d.Reason, e.ReasonContains):
		return fmt.Sprintf("reason %q does not mention %q", d.Reason, e.ReasonContains)
	case e.RuleSource != "" && (d.Rule == nil || d.Rule.Source != e.RuleSource):
		return fmt.Sprintf("rule = %+v, want source %q", d.Rule, e.RuleSource)
	}
	return ""
}
