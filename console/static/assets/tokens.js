// Delivery and preview tokens: list, create (optionally with a preview
// token), edit, delete (force explained), create and delete preview tokens.
import { get, post, put, del, choices as loadChoices } from './api.js'
import { h, clear, field, formError, showErrors, clearErrors, copyButton, announce, confirm, table, tags, date } from './ui.js'
import { scopeLists, environmentPicker, branchPickers, branchEntries, askRotation, expiryField, rotatedNotice, lastUsed } from './scope.js'

const PATH = '/v3/stacks/delivery_tokens'

export async function render (m) {
  const [list, choices] = await Promise.all([get(PATH), loadChoices()])
  // noticeBox says when a rotated value's old one stops working.
  const noticeBox = h('div', {})
  const formBox = h('section', { 'aria-labelledby': 'dt-form-title' })
  const listBox = h('section', { 'aria-labelledby': 'dt-list-title' })
  m.append(h('h1', {}, 'Delivery tokens'),
    h('p', { class: 'lead' }, 'A delivery token reads published content of its environments and branches through the Content Delivery API; its preview token reads the same on the preview service only.'),
    noticeBox, formBox, listBox)
  const refresh = async () => { drawList(listBox, (await get(PATH)).tokens, edit, refresh, noticeBox) }
  const edit = (token) => { drawForm(formBox, choices, token, refresh, edit); formBox.querySelector('input').focus() }
  drawForm(formBox, choices, null, refresh, edit)
  drawList(listBox, list.tokens, edit, refresh, noticeBox)
}

function drawForm (box, choices, token, refresh, edit) {
  const current = scopeLists(token && token.scope)
  const name = field({ label: 'Name', name: 'name', value: token ? token.name : '', required: true })
  const description = field({ label: 'Description', name: 'description', value: token ? token.description || '' : '' })
  const envs = environmentPicker(choices, current.environments)
  const pickers = branchPickers(choices, current)
  const expires = expiryField(token, 'The token and its preview token work through this whole UTC date. Leave empty for a token that never expires.')
  const withPreview = !token && h('div', { class: 'field' }, h('label', { for: 'dt-preview' },
    h('input', { type: 'checkbox', id: 'dt-preview', name: 'create_with_preview_token' }), ' Also create a preview token'),
  h('p', { class: 'hint' }, 'A preview token reads unpublished content on the preview service; you can add or remove it later.'))
  const form = h('form', { class: 'panel', novalidate: true }, formError(),
    h('div', { class: 'row' }, name, description), envs, pickers.branches, pickers.aliases, h('div', { class: 'row' }, expires), withPreview,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, token ? 'Save changes' : 'Create token'),
      token && h('button', { type: 'button', on: { click: () => edit(null) } }, 'Cancel')))
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    clearErrors(form)
    const body = { token: { name: name.control.value, description: description.control.value,
      scope: [{ module: 'environment', environments: envs.values(), acl: { read: true } }, ...branchEntries(pickers)] } }
    // An empty date on an edit clears the expiry (null); a new token without
    // one simply has none.
    if (expires.control.value || token) body.token.expires_on = expires.control.value || null
    try {
      if (token) {
        await put(`${PATH}/${encodeURIComponent(token.uid)}`, body)
        announce(`Delivery token “${body.token.name}” saved.`)
      } else {
        const preview = form.querySelector('#dt-preview').checked
        await post(PATH, body, { query: preview ? { create_with_preview_token: true } : undefined })
        announce(`Delivery token “${body.token.name}” created${preview ? ' with a preview token' : ''}.`)
      }
      drawForm(box, choices, null, refresh, edit)
      await refresh()
    } catch (err) {
      showErrors(form, err) // the form keeps everything typed
    }
  })
  clear(box, h('h2', { id: 'dt-form-title' }, token ? `Edit “${token.name}”` : 'Create a delivery token'), form)
}

function value (v, what) {
  return h('span', {}, h('code', { class: 'secret' }, v), ' ', copyButton(v, what))
}

function drawList (box, list, edit, refresh, noticeBox) {
  const cols = [
    { label: 'Name', cell: (t) => h('span', {}, h('strong', {}, t.name), t.description ? h('br') : null, t.description || '') },
    { label: 'Environments', cell: (t) => tags(scopeLists(t.scope).environments) },
    { label: 'Branches / aliases', cell: (t) => { const s = scopeLists(t.scope); return tags([...s.branches, ...s.aliases.map((a) => `alias ${a}`)]) } },
    { label: 'Delivery token', cell: (t) => value(t.token, `delivery token of ${t.name}`) },
    { label: 'Preview token', cell: (t) => t.preview_token
      ? h('span', {}, value(t.preview_token, `preview token of ${t.name}`), ' ', h('button', { type: 'button', class: 'danger', on: { click: () => deletePreview(t, refresh) } }, 'Delete preview token'))
      : h('button', { type: 'button', on: { click: () => createPreview(t, refresh) } }, 'Create preview token') },
    // last_used_at / preview_last_used_at are absent until the first use.
    { label: 'Last used', cell: (t) => h('span', {}, lastUsed(t.last_used_at), t.preview_token ? h('br') : null, t.preview_token ? ['preview: ', lastUsed(t.preview_last_used_at)] : null) },
    { label: 'Expires', cell: (t) => t.expires_on ? `${t.expires_on} (end of day, UTC)` : 'never' },
    { label: 'Actions', cell: (t) => h('span', { class: 'actions' },
      h('button', { type: 'button', on: { click: () => edit(t) }, 'aria-label': `Edit ${t.name}` }, 'Edit'),
      h('button', { type: 'button', on: { click: () => rotate(t, '', 'delivery token', refresh, noticeBox) }, 'aria-label': `Rotate ${t.name}` }, 'Rotate'),
      t.preview_token && h('button', { type: 'button', on: { click: () => rotate(t, '/preview_token', 'preview token', refresh, noticeBox) }, 'aria-label': `Rotate preview token of ${t.name}` }, 'Rotate preview token'),
      h('button', { type: 'button', class: 'danger', on: { click: () => remove(t, refresh) }, 'aria-label': `Delete ${t.name}` }, 'Delete')) }
  ]
  clear(box, h('h2', { id: 'dt-list-title' }, `Tokens (${list.length})`),
    list.length ? table('Delivery tokens of this stack', cols, list) : h('p', {}, 'No delivery tokens yet.'))
}

async function createPreview (t, refresh) {
  try {
    await post(`${PATH}/${encodeURIComponent(t.uid)}/preview_token`)
    announce(`Preview token created for “${t.name}”.`)
    await refresh()
  } catch (err) { announce(err.message) }
}

async function deletePreview (t, refresh) {
  const ok = await confirm({ title: `Delete the preview token of “${t.name}”?`, danger: true, confirm: 'Delete preview token',
    body: h('p', {}, 'Previews using it stop working at once. The delivery token itself keeps working.') })
  if (!ok) return
  try {
    await del(`${PATH}/${encodeURIComponent(t.uid)}/preview_token`)
    announce(`Preview token of “${t.name}” deleted.`)
    await refresh()
  } catch (err) { announce(err.message) }
}

async function remove (t, refresh) {
  const form = await confirm({ title: `Delete delivery token “${t.name}”?`, danger: true, confirm: 'Delete token',
    body: [h('p', {}, 'Every site and app using this token, and its preview token, is refused from the moment it is deleted.'),
      h('div', { class: 'field' }, h('label', { for: 'dt-force' }, h('input', { type: 'checkbox', id: 'dt-force', name: 'force' }), ' Force'),
        h('p', { class: 'hint' }, 'Contentstack refuses to delete a token something else still relies on unless forced. Nothing in stackgate relies on a delivery token, so force changes nothing here; it is sent (force=true) for tools that expect it.'))] })
  if (!form) return
  try {
    await del(`${PATH}/${encodeURIComponent(t.uid)}`, { query: { force: form.querySelector('#dt-force').checked } })
    announce(`Delivery token “${t.name}” deleted.`)
    await refresh()
  } catch (err) { announce(err.message) }
}

// rotate makes a new value; the old one keeps working for the grace period.
async function rotate (t, sub, what, refresh, noticeBox) {
  const body = await askRotation(`Rotate the ${what} of “${t.name}”?`, 'Apps must switch to the new value before the grace period ends.')
  if (!body) return
  try {
    const res = await post(`${PATH}/${encodeURIComponent(t.uid)}${sub}/rotate`, body)
    rotatedNotice(noticeBox, `The ${what} of “${t.name}” was rotated.`, res.previous_token_expires_at)
    await refresh()
  } catch (err) { announce(err.message) }
}
