// Package authz is stackgate's permission engine and its one route table.
// It is pure: no I/O, no logging, no clock.
//
// # Routes
//
// Routes maps every API route stackgate knows, Content Management (CMA) and
// Content Delivery (CDA), to the module and action it needs. The same
// method and pattern may appear once per API ("GET /v3/locales" reads the
// stack's locales through the CMA and published locales through the CDA):
// a Route carries its API, and Match takes the API to match in. The gate
// picks it from the credential: a delivery or preview token asks the CDA,
// an authtoken or management token the CMA.
//
//   - Lookup(method, pattern) finds a CMA route stackgate serves itself
//     (Served); the HTTP server calls it for every stack route it registers
//     and panics when it is missing.
//   - Match(api, method, path) matches a concrete path, without query, and
//     returns the route and the objects its wildcards name (Params). HEAD
//     matches GET. A literal segment beats a wildcard
//     ("/v3/taxonomies/entries" is not a taxonomy); the table is checked at
//     init so that two routes never match the same path otherwise. Paths
//     with an empty, dot or percent-encoded dot segment, an encoded slash or
//     backslash, a backslash or a control byte match nothing: upstream
//     servers normalise those differently, so the gate refuses to guess.
//     Decoding the path is the caller's job. An unknown route is denied,
//     never allowed. Match does not allocate.
//
// # Principals
//
// A principal is compiled once, when the service (re)builds a stack's
// snapshot, and then decides many Requests: Allowed never allocates and
// takes tens of nanoseconds. Decisions carry a constant Reason saying why,
// and a RuleRef naming the rule or scope entry that allowed or, when one
// did, refused (a locale exception, an environment or branch rule). Aliases
// are resolved at compile time: a principal is recompiled when an alias
// moves, as when a role, environment or locale changes. Request.Branch is
// a branch uid, aliases already resolved by the caller.
//
// # Members
//
// CompileMember(isOwner, roles, env, aliases) decides for a user:
//
//   - The owner may do everything in the stack.
//   - System roles, recognised by Role.System and Name, on every branch:
//     Admin everything except writing the stack module (no deleting or
//     transferring the stack); Developer as Admin but no management_token
//     and no stack_user; Content Manager reads content types, global
//     fields, taxonomies, environments, locales, branches, aliases, roles,
//     the stack, releases, workflows, labels, extensions and the publish
//     queue, and manages entries, assets and folders (publish included);
//     no tokens, no settings changes. A system role with another name
//     grants nothing.
//   - Any member may read the stack, roles, environments, locales,
//     branches and aliases (spec §2 "any member"), on any branch.
//   - Several roles grant the union of what each allows. A role's own
//     restrictions (locale rules, exceptions, environment rules, branches)
//     bind only that role's grants.
//
// Custom roles grant only what their rules say, and only on content:
//
//   - Never writes to stack configuration (environment, locale, branch,
//     branch_alias, role, stack), never tokens or stack users, nothing on
//     modules without rules (releases, workflows, webhooks, extensions,
//     labels, audit logs, publish queue).
//   - A role applies only on the branches its branch rules name, and the
//     branches its branch_alias rules' aliases point to. "$all" branches is
//     every branch; "$all" aliases is every branch some alias points to.
//     The acl of these rules is ignored. A role without either rule grants
//     nothing (the API refuses to create one).
//   - Schema is read-only: content_type acl.read reads the content type
//     (create, update, delete are refused whatever the acl says); reading
//     any content type also reads global fields, which content types
//     embed; taxonomy acl.read reads the listed taxonomies and terms.
//   - content_type acl.sub_acl.X does X on the entries of the listed types.
//     An entry rule (content_type + entries) does X on those entries when
//     acl.X or acl.sub_acl.X is true. A taxonomy rule's content_types[]
//     acl.sub_acl.X does X on the entries of those types tagged with one of
//     its terms (Request.Taxonomy and Term); terms are "<taxonomy>.<term>";
//     no terms (or "$all") means every term of the listed taxonomies; the
//     rule-level acl.sub_acl grants nothing by itself. content_types[]
//     acl.read reads those content types.
//   - An asset rule's flat acl (read, create, update, delete, publish) acts
//     on the listed assets; a folder rule's acl on the folder itself, its
//     acl.sub_acl on the assets in it (Request.Folder). "write" is a token
//     key, not a role's: roles ignore it.
//   - A request naming no object (a list, a create) is reached only by a
//     "$all" rule: the gate cannot filter a list, so it must not let one
//     through that would show objects the role does not reach.
//   - Locale rules (restrict absent or false): when a role has any, its
//     entry rights hold only in the listed locales. Locale exceptions
//     (restrict:true): each acl.sub_acl right set to true is removed on the
//     listed locales ("$all": every locale); false or absent keys remove
//     nothing. Rules store locale uids or codes; requests name codes or
//     uids; EnvIndex maps them. A request naming no locale asks for the
//     master locale (the one without a fallback); if that is unknown, a
//     role with locale rules or a matching exception refuses.
//   - Environment rules limit publishing (entries and assets): when a role
//     has any, a publish must name one of their environments (by name or
//     uid); a publish naming none is refused unless the rules say "$all".
//     A role without environment rules is not limited, as a role without
//     locale rules is not: rules limit, absence does not. Reads and writes
//     other than publish ignore environments.
//
// # Management tokens
//
// CompileManagementToken(t, aliases) decides for a management token's
// scope: Read needs acl.read, Create, Update, Delete and Publish need
// acl.write (write does not imply read), of the request's module or of
// "$all"; several entries of a module grant their union; an asset entry
// covers folders too. The branch must be one of its branch entries' or a
// branch its branch_alias entries' aliases point to ("$all" as for roles);
// a token without any reaches nothing. A branch or branch_alias entry's
// acl is also what the token may do to that module. Modules no management
// token may use, whatever its scope: delivery_token, management_token,
// stack_user, user_session (spec §2: 403). Expiry is the caller's check.
//
// # Delivery and preview tokens
//
// CompileDeliveryToken(t, env, aliases) decides for a delivery token and
// its preview token (the caller picks which credential it was): only CDA
// routes, only reads, only in an environment of the scope (requests name
// it by name or uid) and on a branch of the scope (branches, or alias
// targets). Anything else is refused with the reason.
package authz
