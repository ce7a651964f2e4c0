package authz

import (
	"sort"
	"strings"

	"github.com/stackgate/stackgate"
)

// Action is what a request does to its module.
type Action uint8

const (
	Read Action = iota + 1
	Create
	Update
	Delete
	Publish
)

// valid reports whether a is one of the five actions.
func (a Action) valid() bool { return a >= Read && a <= Publish }

func (a Action) String() string {
	switch a {
	case Read:
		return "read"
	case Create:
		return "create"
	case Update:
		return "update"
	case Delete:
		return "delete"
	case Publish:
		return "publish"
	}
	return "none"
}

// API says which API a route belongs to.
type API uint8

const (
	CMA     API = iota + 1 // Content Management API: authtokens and management tokens
	CDA                    // Content Delivery API: delivery tokens, reads only
	Preview                // the Preview Service: the CDA's routes, preview tokens
)

func (a API) String() string {
	switch a {
	case CDA:
		return "cda"
	case Preview:
		return "preview"
	}
	return "cma"
}

// ParseAPI reads the api a proxy names in its gate request ("cda",
// "preview", "cma"); anything else is not an API.
func ParseAPI(s string) (API, bool) {
	switch s {
	case "cda":
		return CDA, true
	case "preview":
		return Preview, true
	case "cma":
		return CMA, true
	}
	return 0, false
}

// routeTable is the table an API's requests are matched against: the
// Preview Service serves the CDA's routes.
func (a API) routeTable() API {
	if a == Preview {
		return CDA
	}
	return a
}

// Route is one line of the table.
type Route struct {
	Method  string // GET also answers HEAD
	Pattern string // net/http ServeMux style: "/v3/roles/{role_uid}"
	Module  stackgate.Module
	Action  Action
	API     API
	Served  bool // stackgate serves this CMA route itself; others are gate-only
	// Scope is the OAuth scope a token needs for the route, on top of what
	// its user's roles (or its app's installation) allow; "" when no OAuth
	// token may use it. Filled at init from the module's family (scopes.go).
	Scope string

	segs []string // Pattern split on "/", wildcards kept as "{name}"
}

// BodyScoped reports whether requests of the route name environments and
// locales in their JSON body rather than in the URI: publish, unpublish,
// bulk publish and release deploys. A gate that does not see the body
// cannot decide them for a principal whose rights depend on those.
func (r Route) BodyScoped() bool { return r.API == CMA && r.Action == Publish }

func cma(method, pattern string, module stackgate.Module, action Action) Route {
	return Route{Method: method, Pattern: pattern, Module: module, Action: action, API: CMA}
}

func served(method, pattern string, module stackgate.Module, action Action) Route {
	r := cma(method, pattern, module, action)
	r.Served = true
	return r
}

func cda(pattern string, module stackgate.Module) Route {
	return Route{Method: "GET", Pattern: pattern, Module: module, Action: Read, API: CDA}
}

// Routes is the table. Adding a route to the server without a line here
// panics at startup; a request the gate cannot match here is denied.
var Routes = []Route{
	// The user's own session: no stack.
	{Method: "POST", Pattern: "/v3/user-session", Module: stackgate.ModuleUserSession, Action: Create, API: CMA, Served: true},
	{Method: "DELETE", Pattern: "/v3/user-session", Module: stackgate.ModuleUserSession, Action: Delete, API: CMA, Served: true},
	{Method: "GET", Pattern: "/v3/user", Module: stackgate.ModuleUserSession, Action: Read, API: CMA, Served: true},
	// The user's own sessions (stackgate's: list them, end one).
	{Method: "GET", Pattern: "/v3/user/sessions", Module: stackgate.ModuleUserSession, Action: Read, API: CMA, Served: true},
	{Method: "DELETE", Pattern: "/v3/user/sessions/{session_uid}", Module: stackgate.ModuleUserSession, Action: Delete, API: CMA, Served: true},
	// The user's own stack invitations (stackgate's: POST /v3/stacks/share invites, the invitee accepts).
	{Method: "GET", Pattern: "/v3/user/stack_invitations", Module: stackgate.ModuleUserSession, Action: Read, API: CMA, Served: true},
	{Method: "POST", Pattern: "/v3/user/stack_invitations/{invitation_uid}/accept", Module: stackgate.ModuleUserSession, Action: Update, API: CMA, Served: true},
	{Method: "DELETE", Pattern: "/v3/user/stack_invitations/{invitation_uid}", Module: stackgate.ModuleUserSession, Action: Delete, API: CMA, Served: true},

	// Served CMA routes (spec §1).
	served("GET", "/v3/stacks", stackgate.ModuleStack, Read),
	served("GET", "/v3/stacks/settings", stackgate.ModuleStack, Read),
	served("POST", "/v3/stacks/users/roles", stackgate.ModuleStackUser, Update),
	served("POST", "/v3/stacks/share", stackgate.ModuleStackUser, Create),
	served("POST", "/v3/stacks/unshare", stackgate.ModuleStackUser, Delete),
	served("GET", "/v3/stacks/delivery_tokens", stackgate.ModuleDeliveryToken, Read),
	served("POST", "/v3/stacks/delivery_tokens", stackgate.ModuleDeliveryToken, Create),
	served("GET", "/v3/stacks/delivery_tokens/{token_uid}", stackgate.ModuleDeliveryToken, Read),
	served("PUT", "/v3/stacks/delivery_tokens/{token_uid}", stackgate.ModuleDeliveryToken, Update),
	served("DELETE", "/v3/stacks/delivery_tokens/{token_uid}", stackgate.ModuleDeliveryToken, Delete),
	served("POST", "/v3/stacks/delivery_tokens/{delivery_token_uid}/preview_token", stackgate.ModuleDeliveryToken, Create),
	served("DELETE", "/v3/stacks/delivery_tokens/{delivery_token_uid}/preview_token", stackgate.ModuleDeliveryToken, Delete),
	served("POST", "/v3/stacks/delivery_tokens/{token_uid}/rotate", stackgate.ModuleDeliveryToken, Update),
	served("POST", "/v3/stacks/delivery_tokens/{delivery_token_uid}/preview_token/rotate", stackgate.ModuleDeliveryToken, Update),
	served("GET", "/v3/stacks/management_tokens", stackgate.ModuleManagementToken, Read),
	served("POST", "/v3/stacks/management_tokens", stackgate.ModuleManagementToken, Create),
	served("GET", "/v3/stacks/management_tokens/{token_uid}", stackgate.ModuleManagementToken, Read),
	served("PUT", "/v3/stacks/management_tokens/{token_uid}", stackgate.ModuleManagementToken, Update),
	served("DELETE", "/v3/stacks/management_tokens/{token_uid}", stackgate.ModuleManagementToken, Delete),
	served("POST", "/v3/stacks/management_tokens/{token_uid}/rotate", stackgate.ModuleManagementToken, Update),
	served("GET", "/v3/roles", stackgate.ModuleRole, Read),
	served("POST", "/v3/roles", stackgate.ModuleRole, Create),
	served("GET", "/v3/roles/{role_uid}", stackgate.ModuleRole, Read),
	served("PUT", "/v3/roles/{role_uid}", stackgate.ModuleRole, Update),
	served("DELETE", "/v3/roles/{role_uid}", stackgate.ModuleRole, Delete),
	served("GET", "/v3/environments", stackgate.ModuleEnvironment, Read),
	served("POST", "/v3/environments", stackgate.ModuleEnvironment, Create),
	served("GET", "/v3/environments/{environment_name}", stackgate.ModuleEnvironment, Read),
	served("PUT", "/v3/environments/{environment_name}", stackgate.ModuleEnvironment, Update),
	served("DELETE", "/v3/environments/{environment_name}", stackgate.ModuleEnvironment, Delete),
	served("GET", "/v3/locales", stackgate.ModuleLocale, Read),
	served("POST", "/v3/locales", stackgate.ModuleLocale, Create),
	served("GET", "/v3/locales/{locale_code}", stackgate.ModuleLocale, Read),
	served("PUT", "/v3/locales/{locale_code}", stackgate.ModuleLocale, Update),
	served("DELETE", "/v3/locales/{locale_code}", stackgate.ModuleLocale, Delete),
	served("GET", "/v3/stacks/branches", stackgate.ModuleBranch, Read),
	served("POST", "/v3/stacks/branches", stackgate.ModuleBranch, Create),
	served("GET", "/v3/stacks/branches/{branch_uid}", stackgate.ModuleBranch, Read),
	served("DELETE", "/v3/stacks/branches/{branch_uid}", stackgate.ModuleBranch, Delete),
	served("GET", "/v3/stacks/branch_aliases", stackgate.ModuleBranchAlias, Read),
	served("GET", "/v3/stacks/branch_aliases/{alias_uid}", stackgate.ModuleBranchAlias, Read),
	served("PUT", "/v3/stacks/branch_aliases/{alias_uid}", stackgate.ModuleBranchAlias, Update),
	served("DELETE", "/v3/stacks/branch_aliases/{alias_uid}", stackgate.ModuleBranchAlias, Delete),
	// A stack's token-event webhook (stackgate's): a signing secret handed
	// out, like a management token's value, so the same module: Owner and
	// Admin, no management token, OAuth scope cm.stack.management-tokens.
	served("GET", "/v3/stacks/token_webhook", stackgate.ModuleManagementToken, Read),
	served("PUT", "/v3/stacks/token_webhook", stackgate.ModuleManagementToken, Update),
	served("DELETE", "/v3/stacks/token_webhook", stackgate.ModuleManagementToken, Delete),
	served("POST", "/v3/stacks/token_webhook/rotate_secret", stackgate.ModuleManagementToken, Update),
	served("GET", "/v3/audit-logs", stackgate.ModuleAuditLog, Read),
	served("GET", "/v3/audit-logs/{log_uid}", stackgate.ModuleAuditLog, Read),

	// Gate-only CMA routes: the content APIs stackgate guards.
	cma("GET", "/v3/content_types", stackgate.ModuleContentType, Read),
	cma("POST", "/v3/content_types", stackgate.ModuleContentType, Create),
	cma("GET", "/v3/content_types/{content_type_uid}", stackgate.ModuleContentType, Read),
	cma("PUT", "/v3/content_types/{content_type_uid}", stackgate.ModuleContentType, Update),
	cma("DELETE", "/v3/content_types/{content_type_uid}", stackgate.ModuleContentType, Delete),
	cma("GET", "/v3/content_types/{content_type_uid}/entries", stackgate.ModuleEntry, Read),
	cma("POST", "/v3/content_types/{content_type_uid}/entries", stackgate.ModuleEntry, Create),
	cma("GET", "/v3/content_types/{content_type_uid}/entries/{entry_uid}", stackgate.ModuleEntry, Read),
	cma("PUT", "/v3/content_types/{content_type_uid}/entries/{entry_uid}", stackgate.ModuleEntry, Update),
	cma("DELETE", "/v3/content_types/{content_type_uid}/entries/{entry_uid}", stackgate.ModuleEntry, Delete),
	cma("POST", "/v3/content_types/{content_type_uid}/entries/{entry_uid}/publish", stackgate.ModuleEntry, Publish),
	cma("POST", "/v3/content_types/{content_type_uid}/entries/{entry_uid}/unpublish", stackgate.ModuleEntry, Publish),
	cma("GET", "/v3/content_types/{content_type_uid}/entries/{entry_uid}/locales", stackgate.ModuleEntry, Read),
	cma("GET", "/v3/content_types/{content_type_uid}/entries/{entry_uid}/versions", stackgate.ModuleEntry, Read),
	cma("GET", "/v3/content_types/{content_type_uid}/entries/{entry_uid}/references", stackgate.ModuleEntry, Read),
	// Localizing is PUT …/{entry_uid}?locale=…, an update; unlocalizing too.
	cma("POST", "/v3/content_types/{content_type_uid}/entries/{entry_uid}/unlocalize", stackgate.ModuleEntry, Update),
	// Entry variants (CMA "Entry Variants"; the SDK's entry().variants()):
	// a variant is part of its base entry, under the entry's rights.
	// Creating one is PUT …/variants/{variant_uid} on an existing entry, as
	// is changing it: an update, like localizing. Publishing a variant is
	// the entry's publish with "variants" in the body.
	cma("GET", "/v3/content_types/{content_type_uid}/entries/{entry_uid}/variants", stackgate.ModuleEntry, Read),
	cma("GET", "/v3/content_types/{content_type_uid}/entries/{entry_uid}/variants/{variant_uid}", stackgate.ModuleEntry, Read),
	cma("PUT", "/v3/content_types/{content_type_uid}/entries/{entry_uid}/variants/{variant_uid}", stackgate.ModuleEntry, Update),
	cma("DELETE", "/v3/content_types/{content_type_uid}/entries/{entry_uid}/variants/{variant_uid}", stackgate.ModuleEntry, Delete),
	cma("GET", "/v3/content_types/{content_type_uid}/entries/{entry_uid}/variants/{variant_uid}/versions", stackgate.ModuleEntry, Read),
	cma("GET", "/v3/assets", stackgate.ModuleAsset, Read),
	cma("POST", "/v3/assets", stackgate.ModuleAsset, Create),
	cma("GET", "/v3/assets/{asset_uid}", stackgate.ModuleAsset, Read),
	cma("PUT", "/v3/assets/{asset_uid}", stackgate.ModuleAsset, Update),
	cma("DELETE", "/v3/assets/{asset_uid}", stackgate.ModuleAsset, Delete),
	cma("POST", "/v3/assets/{asset_uid}/publish", stackgate.ModuleAsset, Publish),
	cma("POST", "/v3/assets/{asset_uid}/unpublish", stackgate.ModuleAsset, Publish),
	cma("POST", "/v3/assets/folders", stackgate.ModuleFolder, Create),
	cma("GET", "/v3/assets/folders/{folder_uid}", stackgate.ModuleFolder, Read),
	cma("PUT", "/v3/assets/folders/{folder_uid}", stackgate.ModuleFolder, Update),
	cma("DELETE", "/v3/assets/folders/{folder_uid}", stackgate.ModuleFolder, Delete),
	cma("GET", "/v3/global_fields", stackgate.ModuleGlobalField, Read),
	cma("POST", "/v3/global_fields", stackgate.ModuleGlobalField, Create),
	cma("GET", "/v3/global_fields/{global_field_uid}", stackgate.ModuleGlobalField, Read),
	cma("PUT", "/v3/global_fields/{global_field_uid}", stackgate.ModuleGlobalField, Update),
	cma("DELETE", "/v3/global_fields/{global_field_uid}", stackgate.ModuleGlobalField, Delete),
	cma("GET", "/v3/taxonomies", stackgate.ModuleTaxonomy, Read),
	cma("POST", "/v3/taxonomies", stackgate.ModuleTaxonomy, Create),
	cma("GET", "/v3/taxonomies/{taxonomy_uid}", stackgate.ModuleTaxonomy, Read),
	cma("PUT", "/v3/taxonomies/{taxonomy_uid}", stackgate.ModuleTaxonomy, Update),
	cma("DELETE", "/v3/taxonomies/{taxonomy_uid}", stackgate.ModuleTaxonomy, Delete),
	cma("GET", "/v3/taxonomies/{taxonomy_uid}/terms", stackgate.ModuleTaxonomy, Read),
	cma("POST", "/v3/taxonomies/{taxonomy_uid}/terms", stackgate.ModuleTaxonomy, Create),
	cma("GET", "/v3/taxonomies/{taxonomy_uid}/terms/{term_uid}", stackgate.ModuleTaxonomy, Read),
	cma("PUT", "/v3/taxonomies/{taxonomy_uid}/terms/{term_uid}", stackgate.ModuleTaxonomy, Update),
	cma("DELETE", "/v3/taxonomies/{taxonomy_uid}/terms/{term_uid}", stackgate.ModuleTaxonomy, Delete),
	cma("POST", "/v3/bulk/publish", stackgate.ModuleEntry, Publish),
	cma("POST", "/v3/bulk/unpublish", stackgate.ModuleEntry, Publish),
	cma("GET", "/v3/releases", stackgate.ModuleRelease, Read),
	cma("POST", "/v3/releases", stackgate.ModuleRelease, Create),
	cma("GET", "/v3/releases/{release_uid}", stackgate.ModuleRelease, Read),
	cma("PUT", "/v3/releases/{release_uid}", stackgate.ModuleRelease, Update),
	cma("DELETE", "/v3/releases/{release_uid}", stackgate.ModuleRelease, Delete),
	cma("POST", "/v3/releases/{release_uid}/deploy", stackgate.ModuleRelease, Publish),
	cma("GET", "/v3/workflows", stackgate.ModuleWorkflow, Read),
	cma("POST", "/v3/workflows", stackgate.ModuleWorkflow, Create),
	cma("GET", "/v3/workflows/{workflow_uid}", stackgate.ModuleWorkflow, Read),
	cma("PUT", "/v3/workflows/{workflow_uid}", stackgate.ModuleWorkflow, Update),
	cma("DELETE", "/v3/workflows/{workflow_uid}", stackgate.ModuleWorkflow, Delete),
	cma("GET", "/v3/webhooks", stackgate.ModuleWebhook, Read),
	cma("POST", "/v3/webhooks", stackgate.ModuleWebhook, Create),
	cma("GET", "/v3/webhooks/{webhook_uid}", stackgate.ModuleWebhook, Read),
	cma("PUT", "/v3/webhooks/{webhook_uid}", stackgate.ModuleWebhook, Update),
	cma("DELETE", "/v3/webhooks/{webhook_uid}", stackgate.ModuleWebhook, Delete),
	cma("GET", "/v3/extensions", stackgate.ModuleExtension, Read),
	cma("POST", "/v3/extensions", stackgate.ModuleExtension, Create),
	cma("GET", "/v3/extensions/{extension_uid}", stackgate.ModuleExtension, Read),
	cma("PUT", "/v3/extensions/{extension_uid}", stackgate.ModuleExtension, Update),
	cma("DELETE", "/v3/extensions/{extension_uid}", stackgate.ModuleExtension, Delete),
	cma("GET", "/v3/labels", stackgate.ModuleLabel, Read),
	cma("POST", "/v3/labels", stackgate.ModuleLabel, Create),
	cma("GET", "/v3/labels/{label_uid}", stackgate.ModuleLabel, Read),
	cma("PUT", "/v3/labels/{label_uid}", stackgate.ModuleLabel, Update),
	cma("DELETE", "/v3/labels/{label_uid}", stackgate.ModuleLabel, Delete),
	cma("GET", "/v3/publish-queue", stackgate.ModulePublishQueue, Read),

	// Content Delivery API (and the Preview Service, which serves the same routes).
	cda("/v3/content_types", stackgate.ModuleContentType),
	cda("/v3/content_types/{content_type_uid}", stackgate.ModuleContentType),
	cda("/v3/content_types/{content_type_uid}/entries", stackgate.ModuleEntry),
	cda("/v3/content_types/{content_type_uid}/entries/{entry_uid}", stackgate.ModuleEntry),
	cda("/v3/content_types/{content_type_uid}/entries/{entry_uid}/variants", stackgate.ModuleEntry),
	cda("/v3/content_types/{content_type_uid}/entries/{entry_uid}/variants/{variant_uid}", stackgate.ModuleEntry),
	cda("/v3/assets", stackgate.ModuleAsset),
	cda("/v3/assets/{asset_uid}", stackgate.ModuleAsset),
	cda("/v3/global_fields", stackgate.ModuleGlobalField),
	cda("/v3/global_fields/{global_field_uid}", stackgate.ModuleGlobalField),
	cda("/v3/taxonomies", stackgate.ModuleTaxonomy),
	cda("/v3/taxonomies/entries", stackgate.ModuleEntry),
	cda("/v3/taxonomies/{taxonomy_uid}", stackgate.ModuleTaxonomy),
	cda("/v3/taxonomies/{taxonomy_uid}/terms", stackgate.ModuleTaxonomy),
	cda("/v3/taxonomies/{taxonomy_uid}/terms/{term_uid}", stackgate.ModuleTaxonomy),
	cda("/v3/locales", stackgate.ModuleLocale),
	cda("/v3/stacks/sync", stackgate.ModuleSync),
}

// maxSegs bounds the segments of a path Match considers; no pattern of the
// table has more, so a longer path matches nothing.
const maxSegs = 8

// methodIndex numbers the methods of the table; -1 for any other.
func methodIndex(m string) int {
	switch m {
	case "GET", "HEAD": // HEAD is a GET without a body
		return 0
	case "POST":
		return 1
	case "PUT":
		return 2
	case "DELETE":
		return 3
	case "PATCH":
		return 4
	}
	return -1
}

var (
	// byKey indexes the table for Lookup: "cma GET /v3/roles" → index.
	byKey = map[string]int{}
	// buckets holds, per API, method and segment count, the indexes of the
	// routes Match must try, most literal segments first, so that the first
	// route that matches is the most specific one.
	buckets [3][5][maxSegs + 1][]int
)

func init() {
	initScopes()
	for i := range Routes {
		r := &Routes[i]
		r.segs = strings.Split(strings.TrimPrefix(r.Pattern, "/"), "/")
		key := r.API.String() + " " + r.Method + " " + r.Pattern
		if _, dup := byKey[key]; dup {
			panic("authz: duplicate route " + key)
		}
		byKey[key] = i
		m := methodIndex(r.Method)
		if m < 0 || r.Method == "HEAD" || r.API != CMA && r.API != CDA || len(r.segs) > maxSegs ||
			r.Module == "" || r.Action < Read || r.Action > Publish {
			panic("authz: malformed route " + key)
		}
		b := &buckets[r.API][m][len(r.segs)]
		for _, j := range *b {
			if overlap(r.segs, Routes[j].segs) && !moreSpecific(r.segs, Routes[j].segs) && !moreSpecific(Routes[j].segs, r.segs) {
				panic("authz: routes " + key + " and " + Routes[j].Pattern + " match the same paths")
			}
		}
		*b = append(*b, i)
	}
	for a := range buckets {
		for m := range buckets[a] {
			for n := range buckets[a][m] {
				b := buckets[a][m][n]
				sort.SliceStable(b, func(x, y int) bool { return literals(Routes[b[x]].segs) > literals(Routes[b[y]].segs) })
			}
		}
	}
}

func isWildcard(seg string) bool { return seg != "" && seg[0] == '{' }

func literals(segs []string) int {
	n := 0
	for _, s := range segs {
		if !isWildcard(s) {
			n++
		}
	}
	return n
}

// overlap reports whether some path matches both patterns (same length).
func overlap(a, b []string) bool {
	for i := range a {
		if !isWildcard(a[i]) && !isWildcard(b[i]) && a[i] != b[i] {
			return false
		}
	}
	return true
}

// moreSpecific reports whether a has a literal wherever b has one, and more
// of them: every path a matches, b matches too, so a must win.
func moreSpecific(a, b []string) bool {
	for i := range a {
		if !isWildcard(b[i]) && isWildcard(a[i]) {
			return false
		}
	}
	return literals(a) > literals(b)
}

// Lookup returns the served CMA route of method and pattern exactly: the
// server may register a handler only for a route marked Served here.
func Lookup(method, pattern string) (Route, bool) {
	i, ok := byKey["cma "+method+" "+pattern]
	if !ok || !Routes[i].Served {
		return Route{}, false
	}
	return Routes[i], true
}

// Params are the objects a matched path names.
type Params struct {
	ContentType string
	Entry       string
	Asset       string
	Folder      string
	Taxonomy    string
	Term        string
	Locale      string
	Object      string // any other {uid}
}

// Request returns the authorization request for a route and its params;
// the caller adds branch, environment and locale from the request.
func (p Params) Request(r Route) Request {
	return Request{Module: r.Module, Action: r.Action, Scope: r.Scope, ContentType: p.ContentType, Entry: p.Entry,
		Asset: p.Asset, Folder: p.Folder, Taxonomy: p.Taxonomy, Term: p.Term, Locale: p.Locale}
}

func (p *Params) set(name, value string) {
	switch name {
	case "{content_type_uid}":
		p.ContentType = value
	case "{entry_uid}":
		p.Entry = value
	case "{asset_uid}":
		p.Asset = value
	case "{folder_uid}":
		p.Folder = value
	case "{taxonomy_uid}":
		p.Taxonomy = value
	case "{term_uid}":
		p.Term = value
	case "{locale_code}":
		p.Locale = value
	default:
		p.Object = value
	}
}

// badSegment reports a segment no route may carry: empty (a "//"), a dot
// segment, also percent-encoded ("%2e", ".%2E"), or one holding a
// backslash, an encoded slash or backslash, or a control byte. Upstream
// servers normalise such segments differently from a plain split on "/",
// so the gate refuses them rather than guess which object they name.
func badSegment(seg string) bool {
	if seg == "" {
		return true
	}
	dots := 0 // "." or "%2e" units
	other := false
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		switch {
		case c < 0x20 || c == 0x7f || c == '\\':
			return true
		case c == '.':
			dots++
		case c == '%' && i+2 < len(seg):
			h := seg[i+1]
			l := seg[i+2] | 0x20 // lower-case a hex letter
			switch {
			case h == '2' && l == 'e':
				dots++
				i += 2
			case h == '2' && l == 'f', h == '5' && l == 'c', h == '0' && l == '0':
				return true
			default:
				other = true
			}
		default:
			other = true
		}
	}
	return !other && dots <= 2
}

// Match finds the route of api (Preview: the CDA's) that a concrete method and path name and
// the objects its wildcards name. HEAD matches GET. The path must be
// absolute, without query; one trailing slash is tolerated. A path with a
// bad segment (see badSegment), or more segments than any pattern, matches
// nothing. A literal segment beats a wildcard ("/v3/assets/folders/x" is a
// folder, not an asset). Match does not allocate.
func Match(api API, method, path string) (Route, Params, bool) {
	api = api.routeTable()
	m := methodIndex(method)
	if m < 0 || api != CMA && api != CDA || len(path) < 2 || path[0] != '/' {
		return Route{}, Params{}, false
	}
	rest := path[1:]
	if rest[len(rest)-1] == '/' { // tolerate one trailing slash
		rest = rest[:len(rest)-1]
	}
	var segs [maxSegs]string
	n := 0
	for {
		if n == maxSegs {
			return Route{}, Params{}, false
		}
		i := strings.IndexByte(rest, '/')
		seg := rest
		if i >= 0 {
			seg = rest[:i]
		}
		if badSegment(seg) {
			return Route{}, Params{}, false
		}
		segs[n] = seg
		n++
		if i < 0 {
			break
		}
		rest = rest[i+1:]
	}
routes:
	for _, i := range buckets[api][m][n] {
		r := &Routes[i]
		for j, s := range r.segs {
			if !isWildcard(s) && s != segs[j] {
				continue routes
			}
		}
		var p Params
		for j, s := range r.segs {
			if isWildcard(s) {
				p.set(s, segs[j])
			}
		}
		return *r, p, true
	}
	return Route{}, Params{}, false
}
