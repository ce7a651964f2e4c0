#!/usr/bin/env python3
"""Writes matrix.json, the permission matrix as data (run: python3 gen_matrix.py).

Expected outcomes are written from the spec (spec/README.md §2, §5, §6, §7),
not from the engine: the systematic parts are spelled out as tables below,
the rule-specific parts case by case. The stack every case runs in has
environments production (bltprod) and staging (bltstag), locales en-us
(blten) and fr-fr (bltfr), branches main and development, and the alias
deploy -> development.
"""
import json

R, C, U, D, P = "read", "create", "update", "delete", "publish"
ALL = [R, C, U, D, P]
cases = []


def case(name, principal, request, allowed, reason=None, source=None):
    req = {"api": "cma", "branch": "main"}
    req.update(request)
    c = {"name": name, "principal": principal, "request": req, "allowed": allowed}
    if reason:
        c["reason"] = reason
    if source:
        c["source"] = source
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
allscope = {"management_token": {"scope": [{"module": "$all", "acl": {"read": True, "write": True}}, mbranch]}}
for module, action in [("delivery_token", R), ("delivery_token", C), ("management_token", R), ("management_token", C), ("stack_user", U), ("stack_user", C)]:
    case(f"management token $all can never {action} {module}", allscope, {"module": module, "action": action}, False, reason="cannot use")
for branch, ok in [("main", True), ("development", False)]:
    case(f"management token on main: {branch}", allscope, {"module": "entry", "action": R, "branch": branch}, ok, reason=None if ok else "branch")
alias_scope = {"management_token": {"scope": [{"module": "$all", "acl": {"read": True}}, {"module": "branch_alias", "branch_aliases": ["deploy"], "acl": {"read": True}}]}}
case("management token on alias deploy: development", alias_scope, {"module": "entry", "action": R, "branch": "development"}, True)
case("management token on alias deploy: not main", alias_scope, {"module": "entry", "action": R, "branch": "main"}, False)
anyb = {"management_token": {"scope": [{"module": "$all", "acl": {"read": True}}, {"module": "branch", "branches": ["$all"], "acl": {"read": True}}]}}
case("management token on $all branches: development", anyb, {"module": "entry", "action": R, "branch": "development"}, True)
case("management token without a branch entry reaches nothing", {"management_token": {"scope": [{"module": "$all", "acl": {"read": True}}]}}, {"module": "entry", "action": R}, False)
case("management token: asset scope covers folders", {"management_token": {"scope": [{"module": "asset", "acl": {"read": True, "write": True}}, mbranch]}}, {"module": "folder", "action": C}, True)
case("management token: string booleans", {"management_token": {"scope": [{"module": "role", "acl": {"read": "true", "write": "false"}}, mbranch]}}, {"module": "role", "action": C}, False)

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

with open("matrix.json", "w") as f:
    json.dump({"stack": {"environments": [{"name": "production", "uid": "bltprod"}, {"name": "staging", "uid": "bltstag"}],
                         "locales": [{"code": "en-us", "uid": "blten"}, {"code": "fr-fr", "uid": "bltfr"}],
                         "branches": ["main", "development"], "aliases": {"deploy": "development"}},
               "cases": cases}, f, indent=1)
    f.write("\n")
names = [c["name"] for c in cases]
assert len(names) == len(set(names)), [n for n in names if names.count(n) > 1]
print(f"{member_cases} member cases, {len(cases) - member_cases} token cases")
