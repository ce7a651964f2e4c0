#!/usr/bin/env python3
"""Writes matrix.json beside this file, the permission matrix as data
(run: python3 authz/testdata/gen_matrix.py, from anywhere; .ci/run
regenerates it and fails if it differs from the committed file).

Expected outcomes are written from the spec (spec/README.md §2, §5, §6, §7),
not from the engine: the systematic parts are spelled out as tables below,
the rule-specific parts case by case.

Each case carries the stack it runs in (branches, aliases, environments,
locales; the first locale is the master). Most use STACK: environments
production (bltprod) and staging (bltstag), locales en-us (blten) and fr-fr
(bltfr), branches main and development, and the alias deploy -> development.
A case expects {"allowed", "reason_contains"?, "rule_source"?}. The loader
is authz/authztest (LoadMatrix).
"""
import json
import os

R, C, U, D, P = "read", "create", "update", "delete", "publish"
ALL = [R, C, U, D, P]
cases = []


# The stack a case runs in, unless the case says otherwise (stack=...).
STACK = {
    "branches": ["main", "development"],
    "aliases": {"deploy": "development"},
    "environments": [{"name": "production", "uid": "bltprod"}, {"name": "staging", "uid": "bltstag"}],
    "locales": [{"code": "en-us", "uid": "blten"}, {"code": "fr-fr", "uid": "bltfr"}],  # the first is the master
}


def case(name, principal, request, allowed, reason=None, source=None, stack=None):
    """Adds a case. Every case carries its stack (branches, aliases,
    environments, locales): STACK with the keys of stack replaced."""
    req = {"api": "cma", "branch": "main"}
    req.update(request)
    st = dict(STACK)
    st.update(stack or {})
    expect = {"allowed": allowed}
    if reason:
        expect["reason_contains"] = reason
    if source:
        expect["rule_source"] = source
    c = {"name": name, "principal": principal, "request": req, "branches": st["branches"], "aliases": st["aliases"],
         "environments": st["environments"], "locales": st["locales"], "expect": expect}
    cases.append(c)


# --- system roles: spec §2 table and §6 -------------------------------------
config_rw = ["environment", "locale", "branch", "branch_alias"]
content = ["content_type", "entry", "asset", "folder", "global_field", "taxonomy"]
expect = {
    "Admin": {m: ALL for m in content + config_rw + ["role", "delivery_token", "management_token", "stack_user"]},
    "Developer": {m: ALL for m in content + config_rw + ["role", "delivery_token"]},
    "Content Manager": {m: [R] for m in ["content_type", "global_field", "taxonomy", "role"] + config_rw},
}
expect["Developer"].update({"management_token": [], "stack_user": []})
expect["Content Manager"].update({m: ALL for m in ["entry", "asset", "folder"]})
expect["Content Manager"].update({"delivery_token": [], "management_token": [], "stack_user": []})
for role, modules in expect.items():
    for module, allowed in sorted(modules.items()):
        for action in ([R, C, U, D] if module not in ("entry", "asset") else ALL):
            if module in ("stack_user",) and action in (R, D):
                continue
            ok = action in allowed
            case(f"{role} {action} {module}", {"system_roles": [role]}, {"module": module, "action": action}, ok,
                 source="system_role" if ok else None)
for role in ["Admin", "Developer", "Content Manager"]:
    case(f"{role} reads the stack", {"system_roles": [role]}, {"module": "stack", "action": R}, True)

# --- owner and plain members -------------------------------------------------
for module, action in [("management_token", C), ("stack_user", U), ("entry", P), ("role", D), ("delivery_token", C)]:
    case(f"owner {action} {module}", {"owner": True}, {"module": module, "action": action}, True, source="owner")
for module in ["role", "environment", "locale", "branch", "branch_alias", "stack"]:
    case(f"member with no role reads {module}", {"roles": []}, {"module": module, "action": R}, True, source="member")
for module, action in [("role", C), ("environment", U), ("entry", R), ("delivery_token", R)]:
    case(f"member with no role cannot {action} {module}", {"roles": []}, {"module": module, "action": action}, False)

# --- custom roles ------------------------------------------------------------
SUB = {"read": True, "create": True, "update": True, "delete": True, "publish": True}
main = {"module": "branch", "branches": ["main"], "acl": {"read": True}}
every_branch = {"module": "branch", "branches": ["$all"], "acl": {"read": True}}
alias = {"module": "branch_alias", "branch_aliases": ["deploy"], "acl": {"read": True}}


def role(*rules, name="custom"):
    return {"roles": [{"name": name, "rules": [main] + list(rules) if not any(r["module"] in ("branch", "branch_alias") for r in rules) else list(rules)}]}


blogs_rw = {"module": "content_type", "content_types": ["blog"], "acl": {"read": True, "sub_acl": SUB}}
blogs_read = {"module": "content_type", "content_types": ["blog"], "acl": {"read": True, "sub_acl": {"read": True}}}
for action in ALL:
    case(f"content_type rule: {action} entries of its type", role(blogs_rw), {"module": "entry", "action": action, "content_type": "blog"}, True, source="role")
    case(f"content_type rule: {action} entries of another type", role(blogs_rw), {"module": "entry", "action": action, "content_type": "page"}, False)
    case(f"read-only content_type rule: {action} entries", role(blogs_read), {"module": "entry", "action": action, "content_type": "blog"}, action == R)
case("content_type rule: read the content type", role(blogs_read), {"module": "content_type", "action": R, "content_type": "blog"}, True)
case("content_type rule: not another content type", role(blogs_read), {"module": "content_type", "action": R, "content_type": "page"}, False)
case("content_type rule: cannot change the content type", role(blogs_read), {"module": "content_type", "action": U, "content_type": "blog"}, False)
all_cts = {"module": "content_type", "content_types": ["$all"], "acl": {"read": True, "sub_acl": SUB}}
for ct in ["blog", "page", "anything"]:
    case(f"$all content types: update {ct} entries", role(all_cts), {"module": "entry", "action": U, "content_type": ct}, True)
    case(f"$all content types: read the {ct} type", role(all_cts), {"module": "content_type", "action": R, "content_type": ct}, True)

entry_rule = {"module": "entry", "content_type": "blog", "entries": ["bltentry1"], "acl": {"read": True, "sub_acl": {"read": True, "update": True}}}
for entry, action, ok in [("bltentry1", R, True), ("bltentry1", U, True), ("bltentry1", D, False), ("bltentry1", P, False),
                          ("bltentry2", R, False), ("bltentry2", U, False)]:
    case(f"entry rule: {action} {entry}", role(entry_rule), {"module": "entry", "action": action, "content_type": "blog", "entry": entry}, ok)
case("entry rule: same entry uid in another type", role(entry_rule), {"module": "entry", "action": R, "content_type": "page", "entry": "bltentry1"}, False)

asset_rule = {"module": "asset", "assets": ["bltasset1"], "acl": {"read": True, "update": True, "publish": True}}
for asset, action, ok in [("bltasset1", R, True), ("bltasset1", U, True), ("bltasset1", P, True), ("bltasset1", D, False),
                          ("bltasset1", C, False), ("bltasset2", R, False)]:
    case(f"asset rule: {action} {asset}", role(asset_rule), {"module": "asset", "action": action, "asset": asset}, ok)
all_assets = {"module": "asset", "assets": ["$all"], "acl": {"read": True, "create": True, "update": True, "delete": True, "publish": True}}
for action in ALL:
    case(f"$all assets: {action}", role(all_assets), {"module": "asset", "action": action, "asset": "bltany"}, True)

folder_rule = {"module": "folder", "folders": ["bltfolder1"], "acl": {"read": True, "sub_acl": {"read": True, "update": True}}}
case("folder rule: read the folder", role(folder_rule), {"module": "folder", "action": R, "folder": "bltfolder1"}, True)
case("folder rule: not delete the folder", role(folder_rule), {"module": "folder", "action": D, "folder": "bltfolder1"}, False)
case("folder rule: another folder", role(folder_rule), {"module": "folder", "action": R, "folder": "bltfolder2"}, False)
case("folder rule: update an asset in it", role(folder_rule), {"module": "asset", "action": U, "asset": "bltx", "folder": "bltfolder1"}, True)
case("folder rule: not delete an asset in it", role(folder_rule), {"module": "asset", "action": D, "asset": "bltx", "folder": "bltfolder1"}, False)
case("folder rule: not an asset elsewhere", role(folder_rule), {"module": "asset", "action": R, "asset": "bltx", "folder": "bltfolder2"}, False)

tax = {"module": "taxonomy", "taxonomies": ["regions"], "terms": ["regions.north_america"],
       "content_types": [{"uid": "$all", "acl": {"read": True, "sub_acl": {"read": True, "update": True}}}],
       "acl": {"read": True, "sub_acl": {"read": True}}}
case("taxonomy rule: read the taxonomy", role(tax), {"module": "taxonomy", "action": R, "taxonomy": "regions"}, True)
case("taxonomy rule: not another taxonomy", role(tax), {"module": "taxonomy", "action": R, "taxonomy": "colours"}, False)
case("taxonomy rule: read its term", role(tax), {"module": "taxonomy", "action": R, "taxonomy": "regions", "term": "north_america"}, True)
case("taxonomy rule: not another term", role(tax), {"module": "taxonomy", "action": R, "taxonomy": "regions", "term": "europe"}, False)
case("taxonomy rule: cannot delete the taxonomy", role(tax), {"module": "taxonomy", "action": D, "taxonomy": "regions"}, False)
case("taxonomy rule: update an entry tagged with its term", role(tax), {"module": "entry", "action": U, "content_type": "blog", "taxonomy": "regions", "term": "north_america"}, True)
case("taxonomy rule: not delete a tagged entry", role(tax), {"module": "entry", "action": D, "content_type": "blog", "taxonomy": "regions", "term": "north_america"}, False)
case("taxonomy rule: not an entry tagged otherwise", role(tax), {"module": "entry", "action": U, "content_type": "blog", "taxonomy": "regions", "term": "europe"}, False)
case("taxonomy rule: not an untagged entry", role(tax), {"module": "entry", "action": R, "content_type": "blog"}, False)

# locales: rules limit; exceptions remove
en_only = {"module": "locale", "locales": ["blten"], "acl": {"read": True}}
for loc, ok in [("en-us", True), ("fr-fr", False)]:
    case(f"locale rule (by uid) en-us only: update in {loc}", role(blogs_rw, en_only), {"module": "entry", "action": U, "content_type": "blog", "locale": loc}, ok)
en_code = {"module": "locale", "locales": ["en-us"], "acl": {"read": True}}
case("locale rule by code: read in en-us", role(blogs_rw, en_code), {"module": "entry", "action": R, "content_type": "blog", "locale": "en-us"}, True)
case("locale rule by code: not fr-fr", role(blogs_rw, en_code), {"module": "entry", "action": R, "content_type": "blog", "locale": "fr-fr"}, False)
all_loc = {"module": "locale", "locales": ["$all"], "acl": {"read": True}}
case("$all locales: fr-fr", role(blogs_rw, all_loc), {"module": "entry", "action": U, "content_type": "blog", "locale": "fr-fr"}, True)
case("no locale rule: every locale", role(blogs_rw), {"module": "entry", "action": U, "content_type": "blog", "locale": "fr-fr"}, True)
exc = {"module": "locale", "locales": ["bltfr"], "restrict": True, "acl": {"read": True, "sub_acl": {"read": False, "create": False, "update": True, "delete": True}}}
for action, ok in [(R, True), (C, True), (U, False), (D, False), (P, True)]:
    case(f"locale exception on fr-fr removes update/delete: {action}", role(blogs_rw, exc), {"module": "entry", "action": action, "content_type": "blog", "locale": "fr-fr"}, ok,
         reason=None if ok else "exception")
    case(f"locale exception does not touch en-us: {action}", role(blogs_rw, exc), {"module": "entry", "action": action, "content_type": "blog", "locale": "en-us"}, True)

# environments limit publishing
prod_only = {"module": "environment", "environments": ["bltprod"], "acl": {"read": True}}
case("environment rule: publish to production", role(blogs_rw, prod_only), {"module": "entry", "action": P, "content_type": "blog", "environment": "production"}, True)
case("environment rule: publish to production by uid", role(blogs_rw, prod_only), {"module": "entry", "action": P, "content_type": "blog", "environment": "bltprod"}, True)
case("environment rule: not to staging", role(blogs_rw, prod_only), {"module": "entry", "action": P, "content_type": "blog", "environment": "staging"}, False, reason="environment")
case("environment rule: updating is not publishing", role(blogs_rw, prod_only), {"module": "entry", "action": U, "content_type": "blog", "environment": "staging"}, True)
prod_by_name = {"module": "environment", "environments": ["production"], "acl": {"read": True}}
case("environment rule by name: publish by uid", role(blogs_rw, prod_by_name), {"module": "entry", "action": P, "content_type": "blog", "environment": "bltprod"}, True)
case("environment rule by name: not staging", role(blogs_rw, prod_by_name), {"module": "entry", "action": P, "content_type": "blog", "environment": "bltstag"}, False)
case("environment rule: asset publish limited too", role(all_assets, prod_only), {"module": "asset", "action": P, "asset": "x", "environment": "staging"}, False)

# branches and aliases
for branch, ok in [("main", True), ("development", False)]:
    case(f"role on main: read entries on {branch}", role(blogs_rw), {"module": "entry", "action": R, "content_type": "blog", "branch": branch}, ok,
         reason=None if ok else "branch")
case("role on $all branches: development", role(every_branch, blogs_rw), {"module": "entry", "action": R, "content_type": "blog", "branch": "development"}, True)
case("role on alias deploy: development (its target)", role(alias, blogs_rw), {"module": "entry", "action": R, "content_type": "blog", "branch": "development"}, True)
case("role on alias deploy: not main", role(alias, blogs_rw), {"module": "entry", "action": R, "content_type": "blog", "branch": "main"}, False)
case("role without a branch rule grants nothing", {"roles": [{"name": "nb", "rules": [blogs_rw]}]}, {"module": "entry", "action": R, "content_type": "blog"}, False)
case("any member reads roles on any branch", role(blogs_rw), {"module": "role", "action": R, "branch": "development"}, True)

# custom roles never change configuration or tokens
for module, action in [("environment", C), ("locale", U), ("branch", C), ("role", C), ("role", D), ("delivery_token", R),
                       ("management_token", R), ("stack_user", U), ("global_field", U), ("release", C), ("webhook", R)]:
    case(f"custom role cannot {action} {module}", role(all_cts, all_assets), {"module": module, "action": action}, False)

# several roles: union; one role's exception binds only that role
two = {"roles": [{"name": "a", "rules": [main, blogs_read]}, {"name": "b", "rules": [main, {"module": "content_type", "content_types": ["page"], "acl": {"read": True, "sub_acl": SUB}}]}]}
case("two roles: read blog via a", two, {"module": "entry", "action": R, "content_type": "blog"}, True)
case("two roles: delete page via b", two, {"module": "entry", "action": D, "content_type": "page"}, True)
case("two roles: not delete blog", two, {"module": "entry", "action": D, "content_type": "blog"}, False)
union_exc = {"roles": [{"name": "restricted", "rules": [main, blogs_rw, exc]}, {"name": "free", "rules": [main, blogs_rw]}]}
case("exception in one role, the other still grants", union_exc, {"module": "entry", "action": U, "content_type": "blog", "locale": "fr-fr"}, True)
sys_and_custom = {"system_roles": ["Content Manager"], "roles": [{"name": "ct", "rules": [main, {"module": "content_type", "content_types": ["blog"], "acl": {"read": True, "update": True}}]}]}
case("Content Manager plus a custom role: system grant", sys_and_custom, {"module": "entry", "action": D, "content_type": "page"}, True)
case("Content Manager plus a custom role: still no environments write", sys_and_custom, {"module": "environment", "action": C}, False)

# --- decisions documented in the authz package doc ---------------------------
# A request naming no locale asks for the master locale (en-us, the first).
fr_only = {"module": "locale", "locales": ["bltfr"], "acl": {"read": True}}
case("locale rule fr-fr only: no locale means the master, refused", role(blogs_rw, fr_only), {"module": "entry", "action": R, "content_type": "blog"}, False, reason="locale")
case("locale rule en-us only: no locale means the master, allowed", role(blogs_rw, en_only), {"module": "entry", "action": R, "content_type": "blog"}, True)
case("locale rule: request names the locale by uid", role(blogs_rw, fr_only), {"module": "entry", "action": U, "content_type": "blog", "locale": "bltfr"}, True)
exc_master = {"module": "locale", "locales": ["blten"], "restrict": True, "acl": {"sub_acl": {"update": True}}}
case("locale exception on the master: no locale, update removed", role(blogs_rw, exc_master), {"module": "entry", "action": U, "content_type": "blog"}, False, reason="exception")
case("locale exception on the master: no locale, read kept", role(blogs_rw, exc_master), {"module": "entry", "action": R, "content_type": "blog"}, True)
exc_all = {"module": "locale", "locales": ["$all"], "restrict": True, "acl": {"sub_acl": {"publish": True}}}
for loc in ["en-us", "fr-fr"]:
    case(f"locale exception on $all: publish removed in {loc}", role(blogs_rw, exc_all), {"module": "entry", "action": P, "content_type": "blog", "locale": loc}, False, reason="exception")
case("locale exception with false flags removes nothing", role(blogs_rw, {"module": "locale", "locales": ["bltfr"], "restrict": True, "acl": {"sub_acl": {"update": False}}}),
     {"module": "entry", "action": U, "content_type": "blog", "locale": "fr-fr"}, True)
# Environment rules limit publishing: a publish naming no environment is
# refused unless the rules cover $all; a role without any may publish.
case("environment rule: publish naming no environment", role(blogs_rw, prod_only), {"module": "entry", "action": P, "content_type": "blog"}, False, reason="names no environment")
case("environment rule: asset publish naming no environment", role(all_assets, prod_only), {"module": "asset", "action": P, "asset": "bltasset1"}, False, reason="environment")
all_envs = {"module": "environment", "environments": ["$all"], "acl": {"read": True}}
case("$all environments: publish naming no environment", role(blogs_rw, all_envs), {"module": "entry", "action": P, "content_type": "blog"}, True)
case("$all environments: publish to staging", role(blogs_rw, all_envs), {"module": "entry", "action": P, "content_type": "blog", "environment": "staging"}, True)
case("no environment rule: publish to staging", role(blogs_rw), {"module": "entry", "action": P, "content_type": "blog", "environment": "staging"}, True)
case("environment rule: unknown environment", role(blogs_rw, prod_only), {"module": "entry", "action": P, "content_type": "blog", "environment": "nowhere"}, False, reason="environment")
case("environment rules do not limit reading", role(blogs_rw, prod_only), {"module": "entry", "action": R, "content_type": "blog", "environment": "staging"}, True)
# Lists and creates name no object: only "$all" reaches them.
case("entry rule: cannot list the type's entries", role(entry_rule), {"module": "entry", "action": R, "content_type": "blog"}, False)
entries_all = {"module": "entry", "content_type": "blog", "entries": ["$all"], "acl": {"read": True, "sub_acl": {"read": True, "create": True}}}
case("entry rule on $all entries: list them", role(entries_all), {"module": "entry", "action": R, "content_type": "blog"}, True)
case("entry rule on $all entries: create one", role(entries_all), {"module": "entry", "action": C, "content_type": "blog"}, True)
case("entry rule on $all entries: not another type", role(entries_all), {"module": "entry", "action": R, "content_type": "page"}, False)
case("asset rule: cannot list assets", role(asset_rule), {"module": "asset", "action": R}, False)
case("$all assets: list assets", role(all_assets), {"module": "asset", "action": R}, True)
case("content_type rule: cannot list content types", role(blogs_read), {"module": "content_type", "action": R}, False)
case("$all content types: list content types", role(all_cts), {"module": "content_type", "action": R}, True)
case("folder rule: create an asset in it", role({"module": "folder", "folders": ["bltfolder1"], "acl": {"read": True, "sub_acl": {"create": True}}}),
     {"module": "asset", "action": C, "folder": "bltfolder1"}, True)
# Schema: custom roles read content types, global fields and taxonomies.
ct_write = {"module": "content_type", "content_types": ["$all"], "acl": {"read": True, "create": True, "update": True, "delete": True}}
for action in [C, U, D]:
    case(f"custom role cannot {action} a content type, whatever its acl", role(ct_write), {"module": "content_type", "action": action, "content_type": "blog"}, False, reason="only read")
case("content_type read rule: read global fields", role(blogs_read), {"module": "global_field", "action": R}, True)
case("entry-only role: no global fields", role(entry_rule), {"module": "global_field", "action": R}, False)
case("sub_acl without acl.read: not the content type", role({"module": "content_type", "content_types": ["blog"], "acl": {"sub_acl": {"read": True}}}),
     {"module": "content_type", "action": R, "content_type": "blog"}, False)
seed_tax = {"module": "taxonomy", "taxonomies": ["regions"], "terms": ["regions.north_america"],
            "content_types": [{"uid": "$all", "acl": {"read": True, "sub_acl": SUB}}], "acl": {"read": True, "sub_acl": SUB}}
for action in [C, U, D]:
    case(f"taxonomy rule of the spec sample cannot {action} the taxonomy", role(seed_tax), {"module": "taxonomy", "action": action, "taxonomy": "regions"}, False, reason="only read")
case("taxonomy rule: cannot list every taxonomy", role(tax), {"module": "taxonomy", "action": R}, False)
tax_all = {"module": "taxonomy", "taxonomies": ["$all"], "acl": {"read": True}}
case("$all taxonomies: list taxonomies", role(tax_all), {"module": "taxonomy", "action": R}, True)
case("$all taxonomies: read any term", role(tax_all), {"module": "taxonomy", "action": R, "taxonomy": "colours", "term": "red"}, True)
case("taxonomy rule: no acl.read, no taxonomy", role({"module": "taxonomy", "taxonomies": ["regions"], "acl": {"read": False}}), {"module": "taxonomy", "action": R, "taxonomy": "regions"}, False)
tax_no_terms = {"module": "taxonomy", "taxonomies": ["regions"], "content_types": [{"uid": "blog", "acl": {"sub_acl": {"read": True, "publish": True}}}], "acl": {"read": True}}
case("taxonomy rule without terms: any term of the taxonomy", role(tax_no_terms), {"module": "entry", "action": R, "content_type": "blog", "taxonomy": "regions", "term": "europe"}, True)
case("taxonomy rule without terms: not another content type", role(tax_no_terms), {"module": "entry", "action": R, "content_type": "page", "taxonomy": "regions", "term": "europe"}, False)
case("taxonomy rule without terms: not another taxonomy", role(tax_no_terms), {"module": "entry", "action": R, "content_type": "blog", "taxonomy": "colours", "term": "red"}, False)
case("taxonomy rule: read the content types it lists", role({"module": "taxonomy", "taxonomies": ["regions"], "content_types": [{"uid": "blog", "acl": {"read": True}}], "acl": {"read": True}}),
     {"module": "content_type", "action": R, "content_type": "blog"}, True)
case("taxonomy rule: a term of another taxonomy", role(tax), {"module": "entry", "action": U, "content_type": "blog", "taxonomy": "colours", "term": "north_america"}, False)
case("taxonomy rule: tagged publish still bound by environment rules", role(tax_no_terms, prod_only), {"module": "entry", "action": P, "content_type": "blog", "taxonomy": "regions", "term": "europe", "environment": "staging"}, False, reason="environment")
# Aliases: "$all" aliases reach the branches some alias points to.
all_aliases = {"module": "branch_alias", "branch_aliases": ["$all"], "acl": {"read": True}}
case("role on $all aliases: development (deploy's target)", role(all_aliases, blogs_rw), {"module": "entry", "action": R, "content_type": "blog", "branch": "development"}, True)
case("role on $all aliases: not main (no alias points there)", role(all_aliases, blogs_rw), {"module": "entry", "action": R, "content_type": "blog", "branch": "main"}, False, reason="branch")
case("role on an unknown alias reaches nothing", role({"module": "branch_alias", "branch_aliases": ["nope"], "acl": {"read": True}}, blogs_rw), {"module": "entry", "action": R, "content_type": "blog"}, False)
case("role on main and alias deploy: both", role(main, alias, blogs_rw), {"module": "entry", "action": R, "content_type": "blog", "branch": "development"}, True)
# Other modules and actions.
for module in ["release", "workflow", "label", "audit_log"]:
    case(f"custom role has no rules for {module}", role(all_cts, all_assets), {"module": module, "action": R}, False, reason="no rules")
case("Admin cannot update the stack", {"system_roles": ["Admin"]}, {"module": "stack", "action": U}, False)
case("Developer cannot delete the stack", {"system_roles": ["Developer"]}, {"module": "stack", "action": D}, False)
case("Developer reads audit logs", {"system_roles": ["Developer"]}, {"module": "audit_log", "action": R}, True, source="system_role")
case("Content Manager cannot read audit logs", {"system_roles": ["Content Manager"]}, {"module": "audit_log", "action": R}, False)
case("Admin reads audit logs", {"system_roles": ["Admin"]}, {"module": "audit_log", "action": R}, True, source="system_role")
case("Content Manager publishes entries on any branch", {"system_roles": ["Content Manager"]}, {"module": "entry", "action": P, "branch": "development", "environment": "staging"}, True)
case("Developer and Content Manager: union", {"system_roles": ["Content Manager", "Developer"]}, {"module": "content_type", "action": D}, True)
case("unknown action refused even to the Admin", {"system_roles": ["Admin"]}, {"module": "entry", "action": "frobnicate"}, False, reason="unknown action")
case("exception in one role does not bind another role's grant", {"roles": [{"name": "a", "rules": [main, blogs_rw, exc_all]}, {"name": "b", "rules": [main, blogs_rw]}]},
     {"module": "entry", "action": P, "content_type": "blog", "locale": "fr-fr"}, True)
case("a deny names the rule that refused", role(blogs_rw, exc), {"module": "entry", "action": U, "content_type": "blog", "locale": "fr-fr"}, False, reason="exception", source="role")

# --- cases in another stack (the case's own branches, aliases, environments, locales)
moved = {"aliases": {"deploy": "main"}}
case("alias deploy moved to main: role on the alias reaches main", role(alias, blogs_rw), {"module": "entry", "action": R, "content_type": "blog"}, True, stack=moved)
case("alias deploy moved to main: role on the alias no longer reaches development", role(alias, blogs_rw),
     {"module": "entry", "action": R, "content_type": "blog", "branch": "development"}, False, reason="branch", stack=moved)
two_aliases = {"aliases": {"deploy": "development", "live": "main"}}
case("$all aliases with two aliases: main (live's target)", role(all_aliases, blogs_rw), {"module": "entry", "action": R, "content_type": "blog"}, True, stack=two_aliases)
case("$all aliases with two aliases: development (deploy's target)", role(all_aliases, blogs_rw), {"module": "entry", "action": R, "content_type": "blog", "branch": "development"}, True, stack=two_aliases)
case("$all aliases in a stack without aliases: reaches nothing", role(all_aliases, blogs_rw), {"module": "entry", "action": R, "content_type": "blog", "branch": "development"}, False, reason="branch",
     stack={"aliases": {}})
case("role on main in a stack without development: main", role(blogs_rw), {"module": "entry", "action": D, "content_type": "blog"}, True,
     stack={"branches": ["main"], "aliases": {}})
fr_master = {"locales": [{"code": "fr-fr", "uid": "bltfr"}, {"code": "en-us", "uid": "blten"}]}
case("master locale fr-fr: en-us-only rule refuses a request naming no locale", role(blogs_rw, en_only), {"module": "entry", "action": R, "content_type": "blog"}, False, reason="locale", stack=fr_master)
case("master locale fr-fr: fr-fr-only rule allows a request naming no locale", role(blogs_rw, fr_only), {"module": "entry", "action": R, "content_type": "blog"}, True, stack=fr_master)
case("master locale fr-fr: exception on fr-fr binds a request naming no locale", role(blogs_rw, exc), {"module": "entry", "action": U, "content_type": "blog"}, False, reason="exception", stack=fr_master)
three_locales = {"locales": [{"code": "en-us", "uid": "blten"}, {"code": "fr-fr", "uid": "bltfr"}, {"code": "de-de", "uid": "bltde"}]}
case("locale rule by uid in a three-locale stack: de-de by code", role(blogs_rw, {"module": "locale", "locales": ["bltde"], "acl": {"read": True}}),
     {"module": "entry", "action": C, "content_type": "blog", "locale": "de-de"}, True, stack=three_locales)
case("locale rule by uid in a three-locale stack: not fr-fr", role(blogs_rw, {"module": "locale", "locales": ["bltde"], "acl": {"read": True}}),
     {"module": "entry", "action": C, "content_type": "blog", "locale": "fr-fr"}, False, reason="locale", stack=three_locales)
three_envs = {"environments": [{"name": "production", "uid": "bltprod"}, {"name": "staging", "uid": "bltstag"}, {"name": "preview", "uid": "bltprev"}]}
prev_only = {"module": "environment", "environments": ["bltprev"], "acl": {"read": True}}
case("environment rule on a third environment: publish to it by name", role(blogs_rw, prev_only), {"module": "entry", "action": P, "content_type": "blog", "environment": "preview"}, True, stack=three_envs)
case("environment rule on a third environment: not to production", role(blogs_rw, prev_only), {"module": "entry", "action": P, "content_type": "blog", "environment": "production"}, False, reason="environment", stack=three_envs)
renamed = {"environments": [{"name": "live", "uid": "bltprod"}, {"name": "staging", "uid": "bltstag"}]}
case("environment rule by uid, environment named live: publish to live", role(blogs_rw, prod_only), {"module": "entry", "action": P, "content_type": "blog", "environment": "live"}, True, stack=renamed)
case("environment rule by uid, environment named live: production is unknown", role(blogs_rw, prod_only), {"module": "entry", "action": P, "content_type": "blog", "environment": "production"}, False, reason="environment", stack=renamed)
case("owner in a stack of one branch", {"owner": True}, {"module": "branch", "action": D}, True, source="owner", stack={"branches": ["main"], "aliases": {}})
case("Developer in another stack: environments", {"system_roles": ["Developer"]}, {"module": "environment", "action": C}, True, source="system_role", stack=three_envs)

member_cases = len(cases)

# --- management tokens (spec §2, §6) -----------------------------------------
mbranch = {"module": "branch", "branches": ["main"], "acl": {"read": True}}
for module in ["environment", "locale", "branch", "branch_alias", "role", "content_type", "entry", "asset", "taxonomy", "global_field"]:
    for acl, label in [({"read": True}, "read-only"), ({"read": True, "write": True}, "read-write"), ({"write": True}, "write-only")]:
        for action in [R, C, D]:
            ok = acl.get("read", False) if action == R else acl.get("write", False)
            entry = {"module": module, "acl": acl}
            scope = [entry, mbranch]
            if module == "branch":  # the branch entry both scopes branches and grants the branch module
                scope = [{"module": "branch", "branches": ["main"], "acl": acl}]
            elif module == "branch_alias":
                scope = [{"module": "branch_alias", "branch_aliases": ["deploy"], "acl": acl}, mbranch]
            case(f"management token {label} {module}: {action}", {"management_token": {"scope": scope}},
                 {"module": module, "action": action}, ok, source="management_token_scope" if ok else None)
    case(f"management token on {module}: other module refused", {"management_token": {"scope": [{"module": module, "acl": {"read": True, "write": True}}, mbranch]}},
         {"module": "webhook", "action": R}, False, reason="not in the token's scope")
for acl, label in [({"read": True}, "read"), ({"read": True, "write": True}, "read-write")]:
    for module in ["entry", "role", "environment", "release"]:
        for action in [R, U]:
            ok = action == R or "write" in acl
            case(f"management token $all {label}: {action} {module}", {"management_token": {"scope": [{"module": "$all", "acl": acl}, mbranch]}},
                 {"module": module, "action": action}, ok)
# The audit log (GET /v3/audit-logs): a token reads it with module audit_log read.
case("management token with audit_log read reads audit logs", {"management_token": {"scope": [{"module": "audit_log", "acl": {"read": True}}, mbranch]}},
     {"module": "audit_log", "action": R}, True, source="management_token_scope")
case("management token on role cannot read audit logs", {"management_token": {"scope": [{"module": "role", "acl": {"read": True}}, mbranch]}},
     {"module": "audit_log", "action": R}, False, reason="not in the token's scope")
allscope = {"management_token": {"scope": [{"module": "$all", "acl": {"read": True, "write": True}}, mbranch]}}
for module, action in [("delivery_token", R), ("delivery_token", C), ("management_token", R), ("management_token", C), ("stack_user", U), ("stack_user", C)]:
    case(f"management token $all can never {action} {module}", allscope, {"module": module, "action": action}, False, reason="cannot use")
for branch, ok in [("main", True), ("development", False)]:
    case(f"management token on main: {branch}", allscope, {"module": "entry", "action": R, "branch": branch}, ok, reason=None if ok else "branch")
# Roles, environments and locales are stack-wide: the branch header does not limit them (issue 15 item 7).
for module in ["role", "environment", "locale"]:
    for action in [R, C]:
        case(f"management token on main: {action} {module} on development (stack-wide)", allscope, {"module": module, "action": action, "branch": "development"}, True)
case("management token on main: branches stay branch-scoped", allscope, {"module": "branch", "action": R, "branch": "development"}, False, reason="branch")
case("management token on alias deploy: environments on main (stack-wide)", {"management_token": {"scope": [{"module": "environment", "acl": {"read": True}}, {"module": "branch_alias", "branch_aliases": ["deploy"], "acl": {"read": True}}]}},
     {"module": "environment", "action": R, "branch": "main"}, True)
alias_scope = {"management_token": {"scope": [{"module": "$all", "acl": {"read": True}}, {"module": "branch_alias", "branch_aliases": ["deploy"], "acl": {"read": True}}]}}
case("management token on alias deploy: development", alias_scope, {"module": "entry", "action": R, "branch": "development"}, True)
case("management token on alias deploy: not main", alias_scope, {"module": "entry", "action": R, "branch": "main"}, False)
anyb = {"management_token": {"scope": [{"module": "$all", "acl": {"read": True}}, {"module": "branch", "branches": ["$all"], "acl": {"read": True}}]}}
case("management token on $all branches: development", anyb, {"module": "entry", "action": R, "branch": "development"}, True)
case("management token without a branch entry reaches nothing", {"management_token": {"scope": [{"module": "$all", "acl": {"read": True}}]}}, {"module": "entry", "action": R}, False)
case("management token: asset scope covers folders", {"management_token": {"scope": [{"module": "asset", "acl": {"read": True, "write": True}}, mbranch]}}, {"module": "folder", "action": C}, True)
case("management token: string booleans", {"management_token": {"scope": [{"module": "role", "acl": {"read": "true", "write": "false"}}, mbranch]}}, {"module": "role", "action": C}, False)

# --- token decisions documented in the authz package doc ---------------------
two_entries = {"management_token": {"scope": [{"module": "entry", "acl": {"read": True}}, {"module": "entry", "acl": {"write": True}}, mbranch]}}
case("management token: two entries of a module grant their union", two_entries, {"module": "entry", "action": P}, True, source="management_token_scope")
case("management token: write does not imply read", {"management_token": {"scope": [{"module": "entry", "acl": {"write": True}}, mbranch]}}, {"module": "entry", "action": R}, False, reason="reading")
case("management token: module entry read-only, $all write", {"management_token": {"scope": [{"module": "entry", "acl": {"read": True}}, {"module": "$all", "acl": {"write": True}}, mbranch]}},
     {"module": "entry", "action": D}, True, reason="$all")
case("management token can never log in or out", allscope, {"module": "user_session", "action": C}, False, reason="cannot use")
case("management token: unknown action", allscope, {"module": "entry", "action": "frobnicate"}, False, reason="unknown action")
case("management token on $all aliases: development", {"management_token": {"scope": [{"module": "$all", "acl": {"read": True}}, {"module": "branch_alias", "branch_aliases": ["$all"], "acl": {"read": True}}]}},
     {"module": "entry", "action": R, "branch": "development"}, True)
case("management token on $all aliases: not main", {"management_token": {"scope": [{"module": "$all", "acl": {"read": True}}, {"module": "branch_alias", "branch_aliases": ["$all"], "acl": {"read": True}}]}},
     {"module": "entry", "action": R, "branch": "main"}, False, reason="branch")
case("management token: publish is a write", {"management_token": {"scope": [{"module": "asset", "acl": {"read": True}}, mbranch]}}, {"module": "asset", "action": P}, False, reason="writing")

# --- delivery and preview tokens (spec §7) -----------------------------------
prod_main = [{"module": "environment", "environments": ["bltprod"], "acl": {"read": True}}, {"module": "branch", "branches": ["main"], "acl": {"read": True}}]
for kind in ["delivery_token", "preview_token"]:
    p = {"delivery_token": {"scope": prod_main}, "preview": kind == "preview_token"}
    for module in ["entry", "content_type", "asset", "global_field", "taxonomy", "locale", "sync"]:
        case(f"{kind}: read {module} in production", p, {"api": "cda", "module": module, "action": R, "environment": "production"}, True)
    for env, ok in [("bltprod", True), ("staging", False), ("bltstag", False), ("nope", False), ("", False)]:
        case(f"{kind}: entries in environment {env or '(none)'}", p, {"api": "cda", "module": "entry", "action": R, "environment": env}, ok,
             reason=None if ok else "environment")
    for branch, ok in [("main", True), ("development", False)]:
        case(f"{kind}: branch {branch}", p, {"api": "cda", "module": "entry", "action": R, "environment": "production", "branch": branch}, ok)
    for action in [C, U, D, P]:
        case(f"{kind}: cannot {action} entries", p, {"api": "cda", "module": "entry", "action": action, "environment": "production"}, False, reason="cannot write")
    for module in ["environment", "role", "entry"]:
        case(f"{kind}: no CMA {module} reads", p, {"api": "cma", "module": module, "action": R, "environment": "production"}, False, reason="content delivery")
by_name = {"delivery_token": {"scope": [{"module": "environment", "environments": ["staging"], "acl": {"read": True}}, {"module": "branch_alias", "branch_aliases": ["deploy"], "acl": {"read": True}}]}}
case("delivery token scoped by name: staging by uid", by_name, {"api": "cda", "module": "entry", "action": R, "environment": "bltstag", "branch": "development"}, True)
case("delivery token on alias deploy: development", by_name, {"api": "cda", "module": "entry", "action": R, "environment": "staging", "branch": "development"}, True)
case("delivery token on alias deploy: not main", by_name, {"api": "cda", "module": "entry", "action": R, "environment": "staging", "branch": "main"}, False)
two_envs = {"delivery_token": {"scope": [{"module": "environment", "environments": ["bltprod", "bltstag"], "acl": {"read": True}}, {"module": "branch", "branches": ["main", "development"], "acl": {"read": True}}]}}
for env in ["production", "staging"]:
    for branch in ["main", "development"]:
        case(f"two environments and branches: {env} on {branch}", two_envs, {"api": "cda", "module": "entry", "action": R, "environment": env, "branch": branch}, True)

# acl.read false grants nothing (issue 15 item 5): neither the environment nor the branch.
no_read_env = {"delivery_token": {"scope": [{"module": "environment", "environments": ["bltprod"], "acl": {"read": False}}, prod_main[1]]}}
case("delivery token: environment entry with acl.read false grants nothing", no_read_env, {"api": "cda", "module": "entry", "action": R, "environment": "production"}, False, reason="environment")
no_read_branch = {"delivery_token": {"scope": [prod_main[0], {"module": "branch", "branches": ["main"], "acl": {"read": False}}]}}
case("delivery token: branch entry with acl.read false grants nothing", no_read_branch, {"api": "cda", "module": "entry", "action": R, "environment": "production"}, False, reason="branch")
two_env_entries = {"delivery_token": {"scope": [{"module": "environment", "environments": ["bltprod"], "acl": {"read": False}},
                                                {"module": "environment", "environments": ["bltstag"], "acl": {"read": True}}, prod_main[1]]}}
case("delivery token: a read entry still grants beside a read-false one", two_env_entries, {"api": "cda", "module": "entry", "action": R, "environment": "staging"}, True)
case("delivery token: the read-false entry's environment stays out", two_env_entries, {"api": "cda", "module": "entry", "action": R, "environment": "production"}, False, reason="environment")
dp = {"delivery_token": {"scope": prod_main}}
case("delivery token: CMA route refused as not a content delivery route", dp, {"api": "cma", "module": "content_type", "action": R, "environment": "production"}, False, reason="not a content delivery route")
case("delivery token: unknown action", dp, {"api": "cda", "module": "entry", "action": "frobnicate", "environment": "production"}, False, reason="unknown action")
case("delivery token: allow names its scope entry", dp, {"api": "cda", "module": "asset", "action": R, "environment": "bltprod"}, True, source="delivery_token_scope")
case("delivery token scoped by name: production by name", {"delivery_token": {"scope": [{"module": "environment", "environments": ["production"], "acl": {"read": True}}, mbranch]}},
     {"api": "cda", "module": "entry", "action": R, "environment": "production"}, True)
case("delivery token on $all branches: development", {"delivery_token": {"scope": [prod_main[0], {"module": "branch", "branches": ["$all"], "acl": {"read": True}}]}},
     {"api": "cda", "module": "entry", "action": R, "environment": "production", "branch": "development"}, True)


# --- token cases in another stack
case("management token on alias deploy moved to main: main", alias_scope, {"module": "entry", "action": R}, True, stack=moved)
case("management token on alias deploy moved to main: not development", alias_scope, {"module": "entry", "action": R, "branch": "development"}, False, reason="branch", stack=moved)
all_alias_scope = {"management_token": {"scope": [{"module": "$all", "acl": {"read": True}}, {"module": "branch_alias", "branch_aliases": ["$all"], "acl": {"read": True}}]}}
case("management token on $all aliases with two aliases: main", all_alias_scope, {"module": "entry", "action": R}, True, stack=two_aliases)
case("management token on $all aliases, stack without aliases: reaches nothing", all_alias_scope, {"module": "entry", "action": R, "branch": "development"}, False, reason="branch", stack={"aliases": {}})
case("management token on main in a stack of one branch: write environments", {"management_token": {"scope": [{"module": "environment", "acl": {"read": True, "write": True}}, mbranch]}},
     {"module": "environment", "action": U}, True, source="management_token_scope", stack={"branches": ["main"], "aliases": {}})
dt_alias = {"delivery_token": {"scope": [prod_main[0], {"module": "branch_alias", "branch_aliases": ["deploy"], "acl": {"read": True}}]}}
case("delivery token on alias deploy moved to main: main", dt_alias, {"api": "cda", "module": "entry", "action": R, "environment": "production"}, True, stack=moved)
case("delivery token on alias deploy moved to main: not development", dt_alias, {"api": "cda", "module": "entry", "action": R, "environment": "production", "branch": "development"}, False, reason="branch", stack=moved)
dt_prev = {"delivery_token": {"scope": [{"module": "environment", "environments": ["bltprev"], "acl": {"read": True}}, mbranch]}}
case("delivery token on a third environment: by name", dt_prev, {"api": "cda", "module": "entry", "action": R, "environment": "preview"}, True, source="delivery_token_scope", stack=three_envs)
case("delivery token on a third environment: by uid", dt_prev, {"api": "cda", "module": "asset", "action": R, "environment": "bltprev"}, True, stack=three_envs)
case("delivery token on a third environment: not production", dt_prev, {"api": "cda", "module": "entry", "action": R, "environment": "production"}, False, reason="environment", stack=three_envs)
case("preview token on a third environment: by name", dict(dt_prev, preview=True), {"api": "cda", "module": "content_type", "action": R, "environment": "preview"}, True, stack=three_envs)
case("delivery token, environment named live: live", {"delivery_token": {"scope": prod_main}}, {"api": "cda", "module": "entry", "action": R, "environment": "live"}, True, stack=renamed)
case("delivery token, environment named live: production is unknown", {"delivery_token": {"scope": prod_main}}, {"api": "cda", "module": "entry", "action": R, "environment": "production"}, False, reason="environment", stack=renamed)

# Expiry is the service's to check (it needs the clock): an expired token
# authenticates nothing, whatever its scope (spec §4: 401 / 105).
case("expired management token: $all read-write reads nothing", {"management_token": {"scope": allscope["management_token"]["scope"], "expired": True}},
     {"module": "entry", "action": R}, False, reason="expired")
case("expired management token: writes nothing", {"management_token": {"scope": allscope["management_token"]["scope"], "expired": True}},
     {"module": "environment", "action": C}, False, reason="expired")
case("unexpired management token (expired: false) reads", {"management_token": {"scope": allscope["management_token"]["scope"], "expired": False}},
     {"module": "environment", "action": R}, True, source="management_token_scope")

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "matrix.json"), "w") as f:
    # One case per line: the file diffs case by case.
    f.write('{"cases": [\n')
    f.write(",\n".join(json.dumps(c) for c in cases))
    f.write("\n]}\n")
names = [c["name"] for c in cases]
assert len(names) == len(set(names)), [n for n in names if names.count(n) > 1]
print(f"{member_cases} member cases, {len(cases) - member_cases} token cases")
