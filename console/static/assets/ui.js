// DOM helpers: elements, labelled fields with an error slot each, the API's
// field errors placed next to their fields, copy buttons, a polite status
// line and a confirmation dialog. No innerHTML anywhere: every text is a
// text node, so nothing the API returns can become markup.

let ids = 0
export const uid = (p = 'f') => `${p}-${++ids}`

// h('button', {class, on: {click}, type, ...attributes}, ...children)
export function h (tag, props = {}, ...children) {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue
    if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn)
    else if (k === 'class') el.className = v
    else if (k === 'text') el.textContent = v
    else if (k === 'value') el.value = v
    else if (k === 'checked' || k === 'selected' || k === 'disabled' || k === 'hidden' || k === 'multiple' || k === 'required') el[k] = !!v
    else if (k === 'dataset') Object.assign(el.dataset, v)
    else el.setAttribute(k, v === true ? '' : String(v))
  }
  append(el, children)
  return el
}

function append (el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue
    el.append(c instanceof Node ? c : document.createTextNode(String(c)))
  }
}

export function clear (el, ...children) { el.replaceChildren(); append(el, children); return el }

// errorSlot is where a field's errors go; fields lists the API's field
// names (errors keys) it shows.
function errorSlot (id, fields) {
  return h('p', { class: 'error', id: id + '-error', dataset: { fields: fields.join(' ') } })
}

// field builds a labelled control: {label, name, type, value, hint, fields,
// options (select), multiple, required, autocomplete}. fields: the API error
// keys shown under it (default: [name]).
export function field (o) {
  const id = o.id || uid(o.name || 'f')
  const fields = o.fields || (o.name ? [o.name] : [])
  const hintId = o.hint ? id + '-hint' : undefined
  let control
  if (o.type === 'select') {
    control = h('select', { id, name: o.name, multiple: o.multiple, required: o.required },
      (o.options || []).map((opt) => h('option', { value: opt.value, selected: opt.selected || (o.value !== undefined && [].concat(o.value).includes(opt.value)) }, opt.label ?? opt.value)))
  } else if (o.type === 'textarea') {
    control = h('textarea', { id, name: o.name, required: o.required, spellcheck: 'false' })
    control.value = o.value ?? ''
  } else {
    control = h('input', { id, name: o.name, type: o.type || 'text', value: o.value ?? '', required: o.required, autocomplete: o.autocomplete || 'off', placeholder: o.placeholder })
  }
  control.setAttribute('aria-describedby', [hintId, id + '-error'].filter(Boolean).join(' '))
  const wrap = h('div', { class: 'field' }, h('label', { for: id }, o.label), control,
    o.hint && h('p', { class: 'hint', id: hintId }, o.hint), errorSlot(id, fields))
  wrap.control = control
  return wrap
}

// checks builds a fieldset of checkboxes: {legend, name, options:[{value,
// label, checked}], fields, hint}.
export function checks (o) {
  const id = uid(o.name || 'c')
  const set = h('fieldset', { id, 'aria-describedby': id + '-error' }, h('legend', {}, o.legend),
    o.hint && h('p', { class: 'hint' }, o.hint),
    h('div', { class: 'checks' }, o.options.map((opt) => {
      const cid = uid(o.name || 'c')
      return h('label', { for: cid }, h('input', { type: 'checkbox', id: cid, name: o.name, value: opt.value, checked: opt.checked }), opt.label ?? opt.value)
    })),
    errorSlot(id, o.fields || (o.name ? [o.name] : [])))
  set.values = () => [...set.querySelectorAll('input[type=checkbox]')].filter((c) => c.checked).map((c) => c.value)
  return set
}

export function selected (select) { return [...select.selectedOptions].map((o) => o.value) }

// formError is the form-level error box (errors no field claims).
export const formError = () => h('div', { class: 'form-error', role: 'alert', tabindex: '-1' })

// clearErrors empties every error slot of a form.
export function clearErrors (form) {
  for (const p of form.querySelectorAll('.error')) p.textContent = ''
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid')
  const box = form.querySelector('.form-error')
  if (box) box.replaceChildren()
}

// showErrors puts an ApiError's errors next to the fields they name
// (a slot claims a key exactly, or by its first segment: "rules.2.locales"
// goes to the slot of "rules.2.locales", else "rules.2", else "rules"); the
// message and unclaimed keys go to the form's error box. Nothing the user
// typed is touched. Focus moves to the first field in error.
export function showErrors (form, err) {
  clearErrors(form)
  const slots = [...form.querySelectorAll('.error[data-fields]')]
  const slotFor = (key) => {
    const parts = key.split('.')
    for (let n = parts.length; n > 0; n--) {
      const k = parts.slice(0, n).join('.')
      const s = slots.find((el) => el.dataset.fields.split(' ').includes(k))
      if (s) return s
    }
    return null
  }
  const unclaimed = []
  let first = null
  for (const [key, problems] of Object.entries(err.errors || {})) {
    const text = `${key} ${[].concat(problems).join(' ')}`
    const slot = slotFor(key)
    if (!slot) { unclaimed.push(text); continue }
    slot.textContent = slot.textContent ? slot.textContent + ' ' + text : text
    const control = document.getElementById(slot.id.replace(/-error$/, ''))
    if (control) { control.setAttribute('aria-invalid', 'true'); first = first || control }
  }
  const box = form.querySelector('.form-error')
  if (box) {
    box.append(h('p', {}, err.message), unclaimed.length ? h('ul', {}, unclaimed.map((u) => h('li', {}, u))) : null)
  }
  const target = first && first.matches('fieldset') ? first.querySelector('input, select, textarea') : first
  ;(target || box)?.focus()
}

// copyButton copies value to the clipboard with one click.
export function copyButton (value, what) {
  return h('button', { type: 'button', class: 'copy', 'aria-label': `Copy ${what}`, on: { click: async (e) => {
    try {
      await navigator.clipboard.writeText(value)
      announce(`Copied ${what}.`)
    } catch (_) {
      // Without clipboard access, select the text next to the button.
      const code = e.target.previousElementSibling
      if (code) { const r = document.createRange(); r.selectNodeContents(code); getSelection().removeAllRanges(); getSelection().addRange(r) }
      announce(`Press Ctrl+C to copy ${what}.`)
    }
  } } }, 'Copy')
}

let statusTimer
export function announce (msg) {
  const s = document.getElementById('status')
  s.textContent = msg
  clearTimeout(statusTimer)
  statusTimer = setTimeout(() => { s.textContent = '' }, 5000)
}

// confirm shows a modal dialog: {title, body (nodes), confirm, danger};
// resolves with the dialog's form (confirmed) or null.
export function confirm ({ title, body, confirm: label = 'Confirm', danger }) {
  return new Promise((resolve) => {
    const tid = uid('dlg')
    const form = h('form', { method: 'dialog' }, h('h2', { id: tid }, title), body,
      h('div', { class: 'actions' },
        h('button', { type: 'submit', value: 'ok', class: danger ? 'danger primary' : 'primary' }, label),
        h('button', { type: 'submit', value: 'cancel', formnovalidate: true }, 'Cancel')))
    const dlg = h('dialog', { 'aria-labelledby': tid }, form)
    document.body.append(dlg)
    dlg.addEventListener('close', () => { dlg.remove(); resolve(dlg.returnValue === 'ok' ? form : null) })
    dlg.showModal()
  })
}

// table builds a table: columns [{label, cell(row) → node|string}].
export function table (caption, columns, rows) {
  return h('table', {}, h('caption', { class: 'hint' }, caption),
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c.label)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, columns.map((c) => h('td', { 'data-label': c.label }, c.cell(r)))))))
}

export const tags = (list) => (list && list.length ? list.map((x) => h('span', { class: 'tag' }, x)) : '—')
export const date = (s) => (s ? new Date(s).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }) + ' UTC' : '—')
