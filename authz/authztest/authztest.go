// Package authztest loads the permission matrix (authz/testdata/matrix.json)
// so that the engine tests and the HTTP/gate tests run the same cases.
package authztest

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/authz"
)

// Matrix is the file: the stack every case runs in, and the cases.
type Matrix struct {
	Stack struct {
		Environments []struct{ Name, UID string } `json:"environments"`
		Locales      []struct{ Code, UID string } `json:"locales"` // the first is the master locale
		Branches     []string                     `json:"branches"`
		Aliases      map[string]string            `json:"aliases"`
	} `json:"stack"`
	Cases []Case `json:"cases"`
}

// Case is one decision to check.
type Case struct {
	Name      string    `json:"name"`
	Principal Principal `json:"principal"`
	Request   Request   `json:"request"`
	Allowed   bool      `json:"allowed"`
	Reason    string    `json:"reason"` // a substring of the decision's reason
	Source    string    `json:"source"` // the RuleRef source of an allow
}

// Principal is who asks: exactly one of member (Owner, SystemRoles, Roles),
// ManagementToken or DeliveryToken is set.
type Principal struct {
	Owner           bool     `json:"owner"`
	SystemRoles     []string `json:"system_roles"`
	Roles           []Role   `json:"roles"`
	ManagementToken *Scope   `json:"management_token"`
	DeliveryToken   *Scope   `json:"delivery_token"`
	Preview         bool     `json:"preview"`
}

// Kind names the principal's kind as the service does.
func (p Principal) Kind() string {
	switch {
	case p.ManagementToken != nil:
		return "management_token"
	case p.DeliveryToken != nil && p.Preview:
		return "preview_token"
	case p.DeliveryToken != nil:
		return "delivery_token"
	}
	return "user"
}

// Role is a custom role of a case.
type Role struct {
	Name  string           `json:"name"`
	Rules []stackgate.Rule `json:"rules"`
}

// Scope is a token scope, as the API takes it.
type Scope struct {
	Scope []json.RawMessage `json:"scope"`
}

// Entries decodes the scope into domain entries (environments stay as given).
func (s *Scope) Entries() ([]stackgate.ScopeEntry, error) {
	var out []stackgate.ScopeEntry
	for _, raw := range s.Scope {
		var e struct {
			Module        string        `json:"module"`
			Environments  []string      `json:"environments"`
			Branches      []string      `json:"branches"`
			BranchAliases []string      `json:"branch_aliases"`
			ACL           stackgate.ACL `json:"acl"`
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, err
		}
		out = append(out, stackgate.ScopeEntry{Module: e.Module, Environments: e.Environments, Branches: e.Branches,
			BranchAliases: e.BranchAliases, ACL: e.ACL})
	}
	return out, nil
}

// Request is what the case asks.
type Request struct {
	API         string `json:"api"` // cma or cda
	Module      string `json:"module"`
	Action      string `json:"action"`
	Branch      string `json:"branch"`
	ContentType string `json:"content_type"`
	Entry       string `json:"entry"`
	Asset       string `json:"asset"`
	Folder      string `json:"folder"`
	Taxonomy    string `json:"taxonomy"`
	Term        string `json:"term"`
	Locale      string `json:"locale"`
	Environment string `json:"environment"`
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

// Authz returns the engine's request.
func (r Request) Authz() authz.Request {
	return authz.Request{Module: r.Module, Action: Actions[r.Action], Branch: r.Branch, ContentType: r.ContentType,
		Entry: r.Entry, Asset: r.Asset, Folder: r.Folder, Taxonomy: r.Taxonomy, Term: r.Term, Locale: r.Locale,
		Environment: r.Environment}
}

// Load reads a matrix file.
func Load(path string) (*Matrix, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m Matrix
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &m, nil
}

// EnvIndex returns the matrix stack's environments and locales indexed.
func (m *Matrix) EnvIndex() authz.EnvIndex {
	var envs []*stackgate.Environment
	for _, e := range m.Stack.Environments {
		envs = append(envs, &stackgate.Environment{UID: e.UID, Name: e.Name})
	}
	// The first locale is the master (no fallback); the others fall back
	// to it, as in a stack the API created.
	var locales []*stackgate.Locale
	for i, l := range m.Stack.Locales {
		loc := &stackgate.Locale{UID: l.UID, Code: l.Code}
		if i > 0 {
			loc.FallbackLocale = m.Stack.Locales[0].Code
		}
		locales = append(locales, loc)
	}
	return authz.NewEnvIndex(envs).WithLocales(locales)
}

// Decide compiles the case's principal and decides its request.
func (m *Matrix) Decide(c Case) (authz.Decision, error) {
	decide, err := m.Compile(c)
	if err != nil {
		return authz.Decision{}, err
	}
	return decide(), nil
}

// Compile compiles the case's principal once and returns a function that
// decides the case's request with it (for allocation and timing checks).
func (m *Matrix) Compile(c Case) (func() authz.Decision, error) {
	env := m.EnvIndex()
	p := c.Principal
	req, api := c.Request.Authz(), c.Request.APIValue()
	switch {
	case p.ManagementToken != nil:
		scope, err := p.ManagementToken.Entries()
		if err != nil {
			return nil, err
		}
		s := authz.CompileManagementToken(&stackgate.ManagementToken{Scope: scope}, m.Stack.Aliases)
		return func() authz.Decision { return s.Allowed(req) }, nil
	case p.DeliveryToken != nil:
		scope, err := p.DeliveryToken.Entries()
		if err != nil {
			return nil, err
		}
		s := authz.CompileDeliveryToken(&stackgate.DeliveryToken{Scope: scope}, env, m.Stack.Aliases)
		return func() authz.Decision { return s.Allowed(api, req) }, nil
	}
	var roles []*stackgate.Role
	for _, name := range p.SystemRoles {
		roles = append(roles, &stackgate.Role{UID: "blt" + name, Name: name, System: true})
	}
	for i, r := range p.Roles {
		roles = append(roles, &stackgate.Role{UID: fmt.Sprintf("bltcustom%d", i), Name: r.Name, Rules: r.Rules})
	}
	mem := authz.CompileMember(p.Owner, roles, env, m.Stack.Aliases)
	return func() authz.Decision { return mem.Allowed(req) }, nil
}
