// Management tokens: list, create with a scope (modules × read/write,
// branches, expiry, notify), the secret shown once, edit, delete; rotation
// with a grace window (the new value shown once, like a new token's).
import { get, post, put, del, choices as loadChoices } from './api.js'
import { h, clear, field, formError, showErrors, clearErrors, copyButton, announce, confirm, table, tags, uid, date } from './ui.js'
import { scopeLists, branchPickers, branchEntries, askRotation, expiryField, lastUsed } from './scope.js'

const PATH = '/v3/stacks/management_tokens'

// MODULES are the modules a management-token scope may name (branch and
// branch_alias entries are the branch pickers).
export const MODULES = [
  ['$all', 'Every module'], ['content_type', 'Content types'], ['entry', 'Entries'], ['asset', 'Assets'],
  ['folder', 'Folders'], ['environment', 'Environments'], ['locale', 'Languages'], ['role', 'Roles'],
  ['global_field', 'Global fields'], ['taxonomy', 'Taxonomies'], ['release', 'Releases'], ['workflow', 'Workflows'],
  ['webhook', 'Webhooks'], ['extension', 'Extensions'], ['label', 'Labels'], ['audit_log', 'Audit log'],
  ['publish_queue', 'Publish queue'], ['bulk_operation', 'Bulk operations']
]

export async function render (m) {
  const [list, choices] = await Promise.all([get(PATH), loadChoices()])
  const secretBox = h('div', { 'aria-live': 'polite' })
  const formBox = h('section', { 'aria-labelledby': 'mt-form-title' })
  const listBox = h('section', { 'aria-labelledby': 'mt-list-title' })
  m.append(h('h1', {}, 'Management tokens'),
    h('p', { class: 'lead' }, 'A management token calls the Content Management API for its modules and branches, without a user. Its value is shown once, when it is made.'),
    secretBox, formBox, listBox)
  const ctx = { choices, secretBox }
  ctx.refresh = async () => drawList(listBox, (await get(PATH)).tokens, ctx)
  ctx.edit = (token) => { drawForm(formBox, token, ctx); formBox.querySelector('input').focus() }
  drawForm(formBox, null, ctx)
  drawList(listBox, list.tokens, ctx)
}

// showSecret shows a token's value, once: it is kept only in this page's
// DOM, so a reload or another page no longer has it.
// After a rotation, until says when the old value stops working (the
// reply's previous_token_expires_at; null: it already has).
function showSecret (box, token, verb, until) {
  clear(box, h('div', { class: 'warning', role: 'alert' },
    h('h2', {}, `Management token “${token.name}” ${verb}`),
    h('p', {}, h('strong', {}, 'Copy this token now. It is shown only this once: stackgate keeps only a hash of it and cannot show it again.')),
    verb === 'rotated' && h('p', {}, until
      ? ['The previous value keeps working until ', h('strong', { class: 'previous-expires' }, date(until)), '; switch every script to the new one before then.']
      : 'The previous value no longer works.'),
    h('p', {}, h('code', { class: 'secret', id: 'mt-secret' }, token.token), ' ', copyButton(token.token, 'management token')),
    h('div', { class: 'actions' }, h('button', { type: 'button', on: { click: () => { clear(box); announce('Token value hidden.') } } }, 'I have copied it'))))
  box.querySelector('button.copy').focus()
}

function scopeMatrix (scope) {
  const byModule = new Map((scope || []).map((e) => [e.module, e]))
  const id = uid('mt-scope')
  const rows = MODULES.map(([mod, label]) => {
    const e = byModule.get(mod)
    const r = uid('mt'); const w = uid('mt')
    return h('tr', {}, h('th', { scope: 'row' }, label, ' ', h('code', {}, mod)),
      h('td', { 'data-label': 'Read' }, h('input', { type: 'checkbox', id: r, 'aria-label': `${label}: read`, dataset: { module: mod, acl: 'read' }, checked: e && e.acl && e.acl.read })),
      h('td', { 'data-label': 'Write' }, h('input', { type: 'checkbox', id: w, 'aria-label': `${label}: write`, dataset: { module: mod, acl: 'write' }, checked: e && e.acl && e.acl.write })))
  })
  const set = h('fieldset', { id, 'aria-describedby': id + '-error' }, h('legend', {}, 'Modules'),
    h('p', { class: 'hint' }, 'What the token may read or write. “Every module” covers all of them.'),
    h('table', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Module'), h('th', { scope: 'col' }, 'Read'), h('th', { scope: 'col' }, 'Write'))), h('tbody', {}, rows)),
    h('p', { class: 'error', id: id + '-error', dataset: { fields: 'scope' } }))
  // entries keeps each entry the token had (its acl keys and _metadata), so
  // an untouched module goes back as it came.
  set.entries = () => {
    const out = []
    for (const [mod] of MODULES) {
      const read = set.querySelector(`input[data-module="${CSS.escape(mod)}"][data-acl=read]`).checked
      const write = set.querySelector(`input[data-module="${CSS.escape(mod)}"][data-acl=write]`).checked
      if (!read && !write) continue
      const old = byModule.get(mod)
      const acl = { ...(old && old.acl) }
      if (read || 'read' in acl) acl.read = read
      if (write || 'write' in acl) acl.write = write
      out.push({ ...(old || { module: mod }), acl })
    }
    return out
  }
  return set
}

function drawForm (box, token, ctx) {
  const name = field({ label: 'Name', name: 'name', value: token ? token.name : '', required: true })
  const description = field({ label: 'Description', name: 'description', value: token ? token.description || '' : '' })
  const matrix = scopeMatrix(token && token.scope)
  const pickers = branchPickers(ctx.choices, scopeLists(token && token.scope))
  const expires = expiryField(token, 'The token works through this whole UTC date. Leave empty for a token that never expires.')
  const nid = uid('mt-notify')
  const notify = h('div', { class: 'field' }, h('label', { for: nid }, h('input', { type: 'checkbox', id: nid, checked: token && token.is_email_notification_enabled }),
    ' E-mail me 7 days before it expires'))
  const known = new Set([...MODULES.map(([m]) => m), 'branch', 'branch_alias'])
  const form = h('form', { class: 'panel', novalidate: true }, formError(),
    h('div', { class: 'row' }, name, description), matrix, pickers.branches, pickers.aliases,
    h('div', { class: 'row' }, expires, notify),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, token ? 'Save changes' : 'Create token'),
      token && h('button', { type: 'button', on: { click: () => ctx.edit(null) } }, 'Cancel')))
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    clearErrors(form)
    const other = ((token && token.scope) || []).filter((s) => !known.has(s.module))
    const body = { token: { name: name.control.value, description: description.control.value,
      scope: [...matrix.entries(), ...branchEntries(pickers), ...other],
      expires_on: expires.control.value || null, is_email_notification_enabled: form.querySelector('#' + nid).checked } }
    try {
      if (token) {
        await put(`${PATH}/${encodeURIComponent(token.uid)}`, body)
        announce(`Management token “${body.token.name}” saved.`)
      } else {
        const res = await post(PATH, body)
        showSecret(ctx.secretBox, res.token, 'created')
      }
      drawForm(box, null, ctx)
      await ctx.refresh()
    } catch (err) {
      showErrors(form, err)
    }
  })
  clear(box, h('h2', { id: 'mt-form-title' }, token ? `Edit “${token.name}”` : 'Create a management token'), form)
}

function drawList (box, list, ctx) {
  const cols = [
    { label: 'Name', cell: (t) => h('span', {}, h('strong', {}, t.name), t.description ? h('br') : null, t.description || '') },
    { label: 'Modules', cell: (t) => tags(t.scope.filter((s) => s.module !== 'branch' && s.module !== 'branch_alias')
      .map((s) => `${s.module}: ${[s.acl && s.acl.read && 'read', s.acl && s.acl.write && 'write'].filter(Boolean).join('+') || 'none'}`)) },
    { label: 'Branches / aliases', cell: (t) => { const s = scopeLists(t.scope); return tags([...s.branches, ...s.aliases.map((a) => `alias ${a}`)]) } },
    { label: 'Expires', cell: (t) => (t.expires_on ? `${t.expires_on} (end of day, UTC)` : 'never') + (t.is_email_notification_enabled ? ', e-mail 7 days before' : '') },
    { label: 'Last used', cell: (t) => lastUsed(t.last_used_at) },
    { label: 'Actions', cell: (t) => h('span', { class: 'actions' },
      h('button', { type: 'button', on: { click: () => ctx.edit(t) }, 'aria-label': `Edit ${t.name}` }, 'Edit'),
      h('button', { type: 'button', on: { click: () => rotate(t, ctx) }, 'aria-label': `Rotate ${t.name}` }, 'Rotate'),
      h('button', { type: 'button', class: 'danger', on: { click: () => remove(t, ctx) }, 'aria-label': `Delete ${t.name}` }, 'Delete')) }
  ]
  clear(box, h('h2', { id: 'mt-list-title' }, `Tokens (${list.length})`),
    list.length ? table('Management tokens of this stack', cols, list) : h('p', {}, 'No management tokens yet.'))
}

async function remove (t, ctx) {
  const ok = await confirm({ title: `Delete management token “${t.name}”?`, danger: true, confirm: 'Delete token',
    body: h('p', {}, 'Every script or tool using it is refused from the moment it is deleted. This cannot be undone.') })
  if (!ok) return
  try {
    await del(`${PATH}/${encodeURIComponent(t.uid)}`)
    announce(`Management token “${t.name}” deleted.`)
    await ctx.refresh()
  } catch (err) { announce(err.message) }
}

// rotate makes a new value, shown once; the old one works for the grace period.
async function rotate (t, ctx) {
  const body = await askRotation(`Rotate management token “${t.name}”?`, 'A new value is made and shown once.')
  if (!body) return
  try {
    const res = await post(`${PATH}/${encodeURIComponent(t.uid)}/rotate`, body)
    showSecret(ctx.secretBox, res.token, 'rotated', res.previous_token_expires_at)
    await ctx.refresh()
  } catch (err) { announce(err.message) }
}
