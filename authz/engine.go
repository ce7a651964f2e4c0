package authz

import (
	"strings"

	"github.com/stackgate/stackgate"
)

// Request is what a principal wants to do. Branch is a branch uid, aliases
// already resolved ("main" when the request named none). Environment may be
// a name or a uid; Locale a code (or a uid). Empty object fields mean the
// request names no such object: a list, or a create.
type Request struct {
	Module      stackgate.Module
	Action      Action
	Branch      string
	ContentType string
	Entry       string
	Asset       string
	Folder      string
	Taxonomy    string
	Term        string
	Locale      string
	Environment string
	// Scope is the OAuth scope of the route (Route.Scope); only OAuth
	// principals read it.
	Scope string
}

// Decision is the engine's answer. Reason is a constant sentence saying why;
// Rule points at what allowed or, for a deny, at the rule that refused
// (a locale exception, an environment rule, the branch rule), when one did.
// Rule is shared by every decision the same rule makes: never modify it.
type Decision struct {
	Allowed bool
	Reason  string
	Rule    *RuleRef
	// OffBranch marks a refusal that comes only from the branch: every role
	// of the member (none of them a system role, which covers every branch),
	// or the token's scope, leaves this branch out. Contentstack answers
	// those with their own code (901, "… on this branch '<uid>'").
	OffBranch bool
}

// RuleSource says what kind of grant a RuleRef points at; its JSON form is
// the plain string.
type RuleSource string

// Sources of a RuleRef.
const (
	SourceOwner           RuleSource = "owner"                  // the stack's owner
	SourceSystemRole      RuleSource = "system_role"            // Admin, Developer, Content Manager
	SourceMember          RuleSource = "member"                 // what any member of the stack may do
	SourceRole            RuleSource = "role"                   // a rule of a custom role
	SourceManagementToken RuleSource = "management_token_scope" // an entry of a management token's scope
	SourceDeliveryToken   RuleSource = "delivery_token_scope"   // an entry of a delivery token's scope
)

// RuleRef names the rule or scope entry behind a decision, for logs and the
// explain API; it marshals as {"source","role_uid","role_name","index","module"}.
type RuleRef struct {
	Source   RuleSource       `json:"source"`
	RoleUID  string           `json:"role_uid,omitempty"`
	RoleName string           `json:"role_name,omitempty"`
	Index    int              `json:"index"` // position in the role's rules or the token's scope; -1 when none
	Module   stackgate.Module `json:"module,omitempty"`
}

func allow(reason string, ref *RuleRef) Decision {
	return Decision{Allowed: true, Reason: reason, Rule: ref}
}
func deny(reason string) Decision { return Decision{Reason: reason} }
func denyBy(reason string, ref *RuleRef) Decision {
	return Decision{Reason: reason, Rule: ref}
}

// denyOffBranch refuses a request on a branch outside a role's or scope's
// branches.
func denyOffBranch(reason string, ref *RuleRef) Decision {
	return Decision{Reason: reason, Rule: ref, OffBranch: true}
}

// Reasons shared by several principals.
const (
	reasonBadAction = "unknown action"
)

// EnvIndex maps a stack's environment uids and names to each other, and its
// locale uids to codes, so that rules and scopes (which store uids) and
// requests (which name environments and locales either way) meet. The zero
// value knows nothing: every name is taken as given.
type EnvIndex struct {
	uidByName  map[string]string
	nameByUID  map[string]string
	localeCode map[string]string // locale uid → code
	master     string            // master locale code; "" when unknown
}

// NewEnvIndex indexes a stack's environments.
func NewEnvIndex(envs []*stackgate.Environment) EnvIndex {
	e := EnvIndex{uidByName: make(map[string]string, len(envs)), nameByUID: make(map[string]string, len(envs))}
	for _, env := range envs {
		if env == nil {
			continue
		}
		e.uidByName[env.Name] = env.UID
		e.nameByUID[env.UID] = env.Name
	}
	return e
}

// WithLocales adds the stack's locales, so that rules may name a locale by
// uid while requests name it by code. The master locale is the one without
// a fallback; a request that names no locale asks for it.
func (e EnvIndex) WithLocales(locales []*stackgate.Locale) EnvIndex {
	e.localeCode = make(map[string]string, len(locales))
	masters := 0
	for _, l := range locales {
		if l == nil {
			continue
		}
		e.localeCode[l.UID] = l.Code
		if l.FallbackLocale == "" {
			e.master = l.Code
			masters++
		}
	}
	if masters != 1 {
		e.master = "" // ambiguous: locale rules then refuse requests naming no locale
	}
	return e
}

// WithMasterLocale sets the master locale's code explicitly.
func (e EnvIndex) WithMasterLocale(code string) EnvIndex {
	e.master = code
	return e
}

// MasterLocale returns the master locale's code, "" when unknown.
func (e EnvIndex) MasterLocale() string { return e.master }

// UID returns the uid of the environment named or identified by key.
func (e EnvIndex) UID(key string) (string, bool) {
	if _, ok := e.nameByUID[key]; ok {
		return key, true
	}
	uid, ok := e.uidByName[key]
	return uid, ok
}

// Name returns the name of the environment named or identified by key.
func (e EnvIndex) Name(key string) (string, bool) {
	if name, ok := e.nameByUID[key]; ok {
		return name, true
	}
	_, ok := e.uidByName[key]
	return key, ok
}

// localeKey returns the code of a locale named by uid or code.
func (e *EnvIndex) localeKey(key string) string {
	if code, ok := e.localeCode[key]; ok {
		return code
	}
	return key
}

// set is a string set with a wildcard. The empty string is never a member.
type set struct {
	all bool
	// A few items (the usual case: a token names one or two environments
	// and branches) are kept in small and searched linearly, which takes a
	// fraction of a map's memory (every cached token holds two sets); past
	// smallSet items they move to the map.
	small []string
	items map[string]bool
}

const smallSet = 8

func newSet(values ...[]string) set {
	var s set
	s.add(values...)
	return s
}

func (s *set) add(values ...[]string) {
	for _, vs := range values {
		for _, v := range vs {
			switch v {
			case stackgate.Wildcard:
				s.all = true
			case "":
			default:
				s.insert(v)
			}
		}
	}
}

func (s *set) insert(v string) {
	if s.items != nil {
		s.items[v] = true
		return
	}
	for _, x := range s.small {
		if x == v {
			return
		}
	}
	if len(s.small) < smallSet {
		s.small = append(s.small, v)
		return
	}
	s.items = make(map[string]bool, 2*smallSet)
	for _, x := range s.small {
		s.items[x] = true
	}
	s.items[v] = true
	s.small = nil
}

func (s *set) has(v string) bool {
	if s.all {
		return true
	}
	if v == "" {
		return false
	}
	if s.items != nil {
		return s.items[v]
	}
	for _, x := range s.small {
		if x == v {
			return true
		}
	}
	return false
}

// addBranches adds what branch and branch_alias lists reach: the branches
// named, and the branches the aliases named point to now (principals are
// recompiled when an alias moves). "$all" branches is every branch; "$all"
// aliases is every branch some alias points to.
func (s *set) addBranches(branches, aliases []string, targets map[string]string) {
	s.add(branches)
	for _, a := range aliases {
		if a == stackgate.Wildcard {
			for _, b := range targets {
				s.add([]string{b})
			}
			continue
		}
		if b, ok := targets[a]; ok {
			s.add([]string{b})
		}
	}
}

// actions is a bit set of Action.
type actions uint8

func (a actions) has(x Action) bool { return x.valid() && a&(1<<x) != 0 }

func acts(xs ...Action) actions {
	var a actions
	for _, x := range xs {
		a |= 1 << x
	}
	return a
}

var allActions = acts(Read, Create, Update, Delete, Publish)

// flatActs reads a rule's flat acl (read, create, update, delete, publish;
// "write" is a token's key, not a role's).
func flatActs(a stackgate.ACL) actions {
	return bit(a.Read, Read) | bit(a.Create, Create) | bit(a.Update, Update) | bit(a.Delete, Delete) | bit(a.Publish, Publish)
}

// subActs reads a sub_acl: the same rights, on what the rule's objects hold.
func subActs(s *stackgate.ACL) actions {
	if s == nil {
		return 0
	}
	return flatActs(*s)
}

func bit(p *bool, a Action) actions {
	if p != nil && *p {
		return 1 << a
	}
	return 0
}

// grant records which actions some rules allow on one object, and the
// first rule allowing each, so a decision is one map lookup.
type grant struct {
	acts actions
	refs [Publish + 1]*RuleRef
}

func (g *grant) add(a actions, ref *RuleRef) {
	for x := Read; x <= Publish; x++ {
		if a.has(x) && !g.acts.has(x) {
			g.acts |= 1 << x
			g.refs[x] = ref
		}
	}
}

func (g *grant) get(a Action) *RuleRef {
	if g == nil || !g.acts.has(a) {
		return nil
	}
	return g.refs[a]
}

// objGrants are grants by object uid, with "$all" for every object.
type objGrants struct {
	all grant
	by  map[string]*grant
}

func (o *objGrants) add(uids []string, a actions, ref *RuleRef) {
	if a == 0 {
		return
	}
	for _, uid := range uids {
		switch uid {
		case stackgate.Wildcard:
			o.all.add(a, ref)
		case "":
		default:
			if o.by == nil {
				o.by = map[string]*grant{}
			}
			g := o.by[uid]
			if g == nil {
				g = &grant{}
				o.by[uid] = g
			}
			g.add(a, ref)
		}
	}
}

// lookup returns the rule allowing a on uid; uid "" (a list, a create) is
// reached only by "$all".
func (o *objGrants) lookup(uid string, a Action) *RuleRef {
	if ref := o.all.get(a); ref != nil {
		return ref
	}
	if uid == "" || o.by == nil {
		return nil
	}
	return o.by[uid].get(a)
}

// termKey is a taxonomy term as rules name it: "<taxonomy>.<term>".
type termKey struct{ taxonomy, term string }

func parseTerm(s string) (termKey, bool) {
	tax, term, ok := strings.Cut(s, ".")
	if !ok || tax == "" || term == "" {
		return termKey{}, false
	}
	return termKey{tax, term}, true
}
