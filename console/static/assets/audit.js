// The audit log (GET /v3/audit-logs), shown only when the server has it
// (app.js feature-detects the route). Filters: module, user, dates.
import { get } from './api.js'
import { h, clear, field, formError, showErrors, clearErrors, table, date } from './ui.js'

export async function render (m) {
  const moduleF = field({ label: 'Module', name: 'module' })
  const user = field({ label: 'User uid', name: 'created_by' })
  const from = field({ label: 'From (UTC)', name: 'from', type: 'date' })
  const to = field({ label: 'To (UTC)', name: 'to', type: 'date' })
  const box = h('section', { 'aria-live': 'polite' })
  const form = h('form', { class: 'panel', novalidate: true }, formError(), h('div', { class: 'row' }, moduleF, user, from, to),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Filter')))
  const load = async () => {
    clearErrors(form)
    const q = {}
    if (moduleF.control.value) q.module = moduleF.control.value
    if (user.control.value) q.created_by = user.control.value
    if (from.control.value || to.control.value) {
      q.created_at = {}
      if (from.control.value) q.created_at.$gte = from.control.value + 'T00:00:00.000Z'
      if (to.control.value) q.created_at.$lte = to.control.value + 'T23:59:59.999Z'
    }
    try {
      const res = await get('/v3/audit-logs', { query: { include_count: true, limit: 100, query: Object.keys(q).length ? JSON.stringify(q) : undefined } })
      const logs = res.logs || []
      clear(box, table(`${res.count ?? logs.length} entries`, [
        { label: 'When', cell: (l) => date(l.created_at) },
        { label: 'Module', cell: (l) => l.module },
        { label: 'Event', cell: (l) => l.event_type },
        { label: 'By', cell: (l) => l.created_by },
        { label: 'Object', cell: (l) => (l.metadata && (l.metadata.title || l.metadata.uid)) || '—' }
      ], logs))
    } catch (err) { showErrors(form, err) }
  }
  form.addEventListener('submit', (e) => { e.preventDefault(); load() })
  m.append(h('h1', {}, 'Audit log'), form, box)
  await load()
}
