// Roles: the stack's system and custom roles, and a rules editor covering
// every rule module. A rule is edited in place on the object the API gave,
// so what the editor does not show (or the user does not touch) goes back
// exactly as it came: round-tripping a role through the editor changes
// nothing.
import { get, post, put, del, choices as loadChoices } from './api.js'
import { h, clear, field, formError, showErrors, clearErrors, announce, confirm, table, tags, uid } from './ui.js'

const PATH = '/v3/roles'
const BASE = '/console/roles'

export const RULE_MODULES = [
  ['branch', 'Branches'], ['branch_alias', 'Branch aliases'], ['content_type', 'Content types'], ['entry', 'Entries'],
  ['asset', 'Assets'], ['folder', 'Folders'], ['environment', 'Environments'], ['locale', 'Languages'], ['taxonomy', 'Taxonomies']
]

// What each module's editor shows: its object lists (picked from the stack
// or typed as uids), and the acl and sub_acl keys it offers.
const SPEC = {
  branch: { lists: [['branches', 'Branches', 'branches']], acl: ['read'] },
  branch_alias: { lists: [['branch_aliases', 'Branch aliases', 'aliases']], acl: ['read'] },
  content_type: { lists: [['content_types', 'Content type uids']], acl: ['read'], sub: ['read', 'create', 'update', 'delete', 'publish'] },
  entry: { text: [['content_type', 'Content type uid of the entries']], lists: [['entries', 'Entry uids']], acl: ['read', 'create', 'update', 'delete', 'publish'] },
  asset: { lists: [['assets', 'Asset uids']], acl: ['read', 'create', 'update', 'delete', 'publish'] },
  folder: { lists: [['folders', 'Folder uids']], acl: ['read', 'create', 'update', 'delete'], sub: ['read', 'create', 'update', 'delete', 'publish'] },
  environment: { lists: [['environments', 'Environments', 'environments']], acl: ['read'] },
  locale: { lists: [['locales', 'Languages', 'locales']], acl: ['read'], restrict: true, sub: ['read', 'create', 'update', 'delete', 'publish'] },
  taxonomy: { lists: [['taxonomies', 'Taxonomy uids'], ['terms', 'Terms (taxonomy.term)']], acl: ['read'], sub: ['read', 'create', 'update', 'delete', 'publish'], taxonomyTypes: true }
}
// PICK turns what the stack lists into a picker option: the value a new
// rule names it by, and the identifier it may also be named by.
const PICK = {
  environments: (o) => ({ value: o.name, alt: o.uid }),
  locales: (o) => ({ value: o.code, label: `${o.name} (${o.code})`, alt: o.uid }),
  branches: (o) => ({ value: o.uid }),
  aliases: (o) => ({ value: o.uid, label: `${o.uid} → ${o.target_branch}` })
}
const ACL_KEYS = ['read', 'write', 'create', 'update', 'delete', 'publish']

export async function render (m, ctx) {
  const sub = ctx.path.replace(/^\//, '')
  if (sub) return editor(m, sub === 'new' ? null : decodeURIComponent(sub), ctx)
  const list = (await get(PATH, { query: { include_rules: true } })).roles
  m.append(h('h1', {}, 'Roles'),
    h('p', { class: 'lead' }, 'System roles are built in and cannot be changed; custom roles grant what their rules say.'),
    h('p', {}, h('a', { class: 'button', href: BASE + '/new' }, 'New custom role')),
    table('Roles of this stack', [
      { label: 'Name', cell: (r) => h('a', { href: `${BASE}/${encodeURIComponent(r.uid)}` }, r.name) },
      { label: 'Kind', cell: (r) => isSystem(r) ? h('span', { class: 'system' }, 'system (read-only)') : 'custom' },
      { label: 'Description', cell: (r) => r.description || '—' },
      { label: 'Rules', cell: (r) => tags([...new Set((r.rules || []).map((x) => x.module))]) },
      { label: 'Users', cell: (r) => String((r.users || []).length) }
    ], list))
}

// isSystem: the API marks no field, but a system role has one of the three
// names, which no custom role can take (names are unique per stack, and
// every stack has the three). Its rules are not a sign: with include_rules
// Developer and Content Manager show the rules Contentstack shows for them.
const isSystem = (r) => ['Admin', 'Developer', 'Content Manager'].includes(r.name)

async function editor (m, roleUID, ctx) {
  const [choices, role] = await Promise.all([loadChoices(), roleUID ? get(`${PATH}/${encodeURIComponent(roleUID)}`, { query: { include_rules: true } }).then((r) => r.role) : null])
  const readOnly = !!role && isSystem(role)
  const name = field({ label: 'Name', name: 'name', value: role ? role.name : '', required: true })
  const description = field({ label: 'Description', name: 'description', value: role ? role.description || '' : '' })
  const rulesBox = h('div', {})
  const rulesId = uid('rules')
  const rules = h('fieldset', { id: rulesId, 'aria-describedby': rulesId + '-error' }, h('legend', {}, 'Rules'),
    h('p', { class: 'hint' }, 'Every role needs a Branches or Branch aliases rule. Lists take uids separated by commas; $all means every one.'),
    h('p', { class: 'error', id: rulesId + '-error', dataset: { fields: 'rules rules.branch rules.branch_alias' } }),
    rulesBox)
  const cards = []
  const addCard = (rule) => {
    const card = ruleCard(rule, choices, readOnly, () => { cards.splice(cards.indexOf(card), 1); card.remove(); renumber() })
    cards.push(card)
    rulesBox.append(card)
    renumber()
    return card
  }
  const renumber = () => cards.forEach((c, i) => c.setIndex(i))
  for (const r of (role && role.rules) || (role ? [] : [{ module: 'branch', branches: ['main'], acl: { read: true } }])) addCard(r)
  const addSelect = field({ label: 'Module of the new rule', name: 'new_module', type: 'select', options: RULE_MODULES.map(([v, l]) => ({ value: v, label: l })) })
  const adder = !readOnly && h('div', { class: 'row' }, addSelect,
    h('div', { class: 'field' }, h('button', { type: 'button', on: { click: () => {
      const card = addCard({ module: addSelect.control.value, acl: { read: true } })
      card.querySelector('select, input').focus()
    } } }, 'Add rule')))
  if (readOnly) for (const el of [name.control, description.control]) el.disabled = true
  const form = h('form', { class: 'panel', novalidate: true }, formError(), h('div', { class: 'row' }, name, description), rules, adder,
    h('div', { class: 'actions' },
      !readOnly && h('button', { type: 'submit', class: 'primary' }, role ? 'Save role' : 'Create role'),
      role && !readOnly && h('button', { type: 'button', class: 'danger', on: { click: () => remove(role, ctx) } }, 'Delete role'),
      h('a', { class: 'button', href: BASE }, 'Back to roles')))
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    if (readOnly) return
    clearErrors(form)
    const body = { role: { name: name.control.value, description: description.control.value, rules: cards.map((c) => c.rule()) } }
    try {
      if (role) {
        const res = await put(`${PATH}/${encodeURIComponent(role.uid)}`, body)
        announce(`Role “${res.role.name}” saved.`)
      } else {
        const res = await post(PATH, body)
        announce(`Role “${res.role.name}” created.`)
        ctx.go(`/roles/${encodeURIComponent(res.role.uid)}`, true)
      }
    } catch (err) {
      showErrors(form, err)
    }
  })
  m.append(h('h1', {}, role ? (readOnly ? `System role “${role.name}”` : `Role “${role.name}”`) : 'New custom role'),
    readOnly ? h('p', { class: 'warning' }, 'System roles are built in and cannot be modified or deleted. ' + (role.description || '')) : '',
    form)
}

async function remove (role, ctx) {
  const ok = await confirm({ title: `Delete role “${role.name}”?`, danger: true, confirm: 'Delete role',
    body: h('p', {}, 'Users holding it lose what it grants at once.') })
  if (!ok) return
  try {
    await del(`${PATH}/${encodeURIComponent(role.uid)}`)
    announce(`Role “${role.name}” deleted.`)
    ctx.go('/roles')
  } catch (err) { announce(err.message) }
}

const split = (s) => s.split(',').map((x) => x.trim()).filter(Boolean)

// ruleCard edits one rule. original is the API's object; rule() returns it
// with the shown fields replaced, untouched keys as they were.
function ruleCard (original, choices, readOnly, onRemove) {
  let base = structuredClone(original)
  const card = h('div', { class: 'rule' })
  const legendId = uid('rule')
  card.setAttribute('role', 'group')
  card.setAttribute('aria-labelledby', legendId)
  let parts = null
  const title = h('h2', { id: legendId })
  const moduleSel = field({ label: 'Module', name: 'module', type: 'select', value: base.module,
    options: [...RULE_MODULES, ...(SPEC[base.module] ? [] : [[base.module, base.module]])].map(([v, l]) => ({ value: v, label: l })) })
  moduleSel.control.disabled = readOnly
  const body = h('div', {})
  const draw = () => { parts = moduleEditor(base, choices, readOnly); clear(body, parts.nodes) }
  moduleSel.control.addEventListener('change', () => {
    // Another module: a fresh rule of that module (the old lists mean nothing there).
    base = { module: moduleSel.control.value, acl: { read: true } }
    draw()
  })
  const errorP = h('p', { class: 'error', id: legendId + '-error' })
  card.append(h('div', { class: 'rule-head' }, title, moduleSel, !readOnly && h('button', { type: 'button', class: 'danger', on: { click: onRemove } }, 'Remove rule')), errorP, body)
  card.setIndex = (i) => {
    title.textContent = `Rule ${i + 1}`
    errorP.dataset.fields = `rules.${i}`
    moduleSel.control.setAttribute('aria-label', `Module of rule ${i + 1}`)
  }
  card.rule = () => {
    const r = structuredClone(base)
    r.module = moduleSel.control.value
    parts.apply(r)
    return r
  }
  draw()
  return card
}

// moduleEditor draws the fields of one module; apply(rule) writes them back.
function moduleEditor (rule, choices, readOnly) {
  const spec = SPEC[rule.module] || { lists: [], acl: [] }
  const nodes = []
  const appliers = []
  for (const [key, label] of spec.text || []) {
    const f = field({ label, name: key, value: rule[key] || '' })
    f.control.disabled = readOnly
    nodes.push(f)
    appliers.push((r) => { const v = f.control.value.trim(); if (v) r[key] = v; else delete r[key] })
  }
  for (const [key, label, from] of spec.lists || []) {
    const current = (rule[key] || []).map((x) => (typeof x === 'string' ? x : x.uid || x.name || x.code))
    if (from) {
      // Picked from what the stack has; values it does not list (and $all)
      // stay offered so a rule round-trips.
      const option = PICK[from]
      const known = choices[from].map((o) => {
        const v = option(o)
        // A rule naming the object by its other identifier keeps it.
        return current.includes(v.alt) ? { ...v, value: v.alt } : v
      })
      const values = [{ value: '$all', label: 'All ($all)' }, ...known]
      for (const c of current) if (!values.some((v) => v.value === c)) values.push({ value: c })
      const id = uid(key)
      const set = h('fieldset', {}, h('legend', {}, label), h('div', { class: 'checks' }, values.map((v) => {
        const cid = uid(key)
        return h('label', { for: cid }, h('input', { type: 'checkbox', id: cid, value: v.value, checked: current.includes(v.value), disabled: readOnly }), v.label || v.value)
      })))
      set.id = id
      nodes.push(set)
      appliers.push((r) => {
        // Keep the order the rule had, new picks after it.
        const picked = [...set.querySelectorAll('input:checked')].map((i) => i.value)
        const ordered = [...current.filter((c) => picked.includes(c)), ...picked.filter((p) => !current.includes(p))]
        if (ordered.length) r[key] = ordered; else delete r[key]
      })
    } else {
      const f = field({ label, name: key, value: current.join(', '), hint: 'uids separated by commas; $all for every one' })
      f.control.disabled = readOnly
      nodes.push(f)
      appliers.push((r) => { const v = split(f.control.value); if (v.length) r[key] = v; else delete r[key] })
    }
  }
  if (spec.restrict) {
    const rid = uid('restrict')
    const box = h('input', { type: 'checkbox', id: rid, checked: rule.restrict === true, disabled: readOnly })
    nodes.push(h('div', { class: 'field' }, h('label', { for: rid }, box, ' Exceptions: the rights below are removed on these languages (restrict)')))
    appliers.push((r) => { if (box.checked || 'restrict' in rule) r.restrict = box.checked })
  }
  const acl = aclEditor('Rights', rule.acl, spec.acl, spec.sub, readOnly)
  nodes.push(acl.node)
  appliers.push((r) => { r.acl = acl.value() })
  if (spec.taxonomyTypes) {
    const types = taxonomyTypes(rule.content_types, readOnly)
    nodes.push(types.node)
    appliers.push((r) => { const v = types.value(); if (v.length || Array.isArray(rule.content_types)) r.content_types = v; else delete r.content_types })
  }
  return { nodes, apply: (r) => appliers.forEach((a) => a(r)) }
}

// aclEditor edits {read, …, sub_acl:{…}}: a box per key the module offers or
// the acl already has; an unchecked key the acl did not have stays absent.
function aclEditor (legend, acl, keys, subKeys, readOnly) {
  const a = acl || {}
  const shown = ACL_KEYS.filter((k) => keys.includes(k) || k in a)
  const sub = a.sub_acl || null
  const subShown = ACL_KEYS.filter((k) => (subKeys || []).includes(k) || (sub && k in sub))
  const box = (label, on) => { const id = uid('acl'); const i = h('input', { type: 'checkbox', id, checked: on === true, disabled: readOnly }); return [i, h('label', { for: id }, i, ' ', label)] }
  const top = shown.map((k) => [k, ...box(k, a[k])])
  const subs = subShown.map((k) => [k, ...box(k, sub && sub[k])])
  const node = h('fieldset', {}, h('legend', {}, legend),
    h('div', { class: 'checks' }, top.map(([, , l]) => l)),
    subs.length ? h('fieldset', {}, h('legend', {}, 'On entries (sub_acl)'), h('div', { class: 'checks' }, subs.map(([, , l]) => l))) : null)
  const value = () => {
    const out = structuredClone(a)
    for (const [k, i] of top) { if (i.checked || k in a) out[k] = i.checked }
    if (subs.length) {
      const s = structuredClone(sub || {})
      for (const [k, i] of subs) { if (i.checked || (sub && k in sub)) s[k] = i.checked }
      if (sub || Object.keys(s).length) out.sub_acl = s
    }
    return out
  }
  return { node, value }
}

// taxonomyTypes edits a taxonomy rule's content_types: [{uid, acl}].
function taxonomyTypes (list, readOnly) {
  const rows = []
  const holder = h('div', {})
  const add = (item) => {
    const f = field({ label: 'Content type uid', name: 'taxonomy_content_type', value: item.uid || '' })
    f.control.disabled = readOnly
    const acl = aclEditor('Rights on its tagged entries', item.acl, ['read'], ['read', 'create', 'update', 'delete', 'publish'], readOnly)
    const row = h('div', { class: 'panel' }, f, acl.node,
      !readOnly && h('button', { type: 'button', class: 'danger', on: { click: () => { rows.splice(rows.indexOf(entry), 1); row.remove() } } }, 'Remove content type'))
    const entry = { value: () => ({ ...structuredClone(item), uid: f.control.value.trim(), acl: acl.value() }) }
    rows.push(entry)
    holder.append(row)
    return f
  }
  for (const item of Array.isArray(list) ? list : []) add(item)
  const node = h('fieldset', {}, h('legend', {}, 'Content types of the tagged entries'), holder,
    !readOnly && h('button', { type: 'button', on: { click: () => add({ uid: '$all', acl: { read: true } }).control.focus() } }, 'Add content type'))
  return { node, value: () => rows.map((r) => r.value()).filter((r) => r.uid) }
}
