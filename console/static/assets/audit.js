// The audit log (GET /v3/audit-logs), filtered on the server: the filters
// become the list's `query` (the CDA query language, e.g.
// {"module":"role","created_by":"blt…","created_at":{"$gte":"…"}}), so the
// count and the page are those of the filtered log, not of one page of it.
import { get } from './api.js'
import { h, clear, field, formError, showErrors, clearErrors, table, date } from './ui.js'

// MODULES are the modules the server writes entries for (README, "Audit log").
const MODULES = ['delivery_token', 'preview_token', 'management_token', 'role', 'environment', 'locale', 'branch',
  'branch_alias', 'stack_user', 'stack', 'user_session', 'oauth', 'user']

const LIMIT = 100

export async function render (m) {
  // Who made an entry: a member (a user's uid) or a management token (its
  // uid). A credential that may not list one of them just offers fewer.
  const [stack, tokens] = await Promise.allSettled([get('/v3/stacks', { query: { include_collaborators: true } }), get('/v3/stacks/management_tokens')])
  const who = new Map()
  if (stack.status === 'fulfilled') for (const u of stack.value.stack.collaborators || []) who.set(u.uid, u.email)
  if (tokens.status === 'fulfilled') for (const t of tokens.value.tokens || []) who.set(t.uid, `management token “${t.name}”`)

  const moduleF = field({ label: 'Module', name: 'module', type: 'select',
    options: [{ value: '', label: 'Any module' }, ...MODULES.map((x) => ({ value: x }))] })
  const user = field({ label: 'User or token', name: 'created_by', type: 'select',
    options: [{ value: '', label: 'Anyone' }, ...[...who].map(([uid, label]) => ({ value: uid, label }))] })
  const from = field({ label: 'From (UTC)', name: 'from', type: 'date', fields: ['from', 'query'] })
  const to = field({ label: 'To (UTC)', name: 'to', type: 'date' })
  const box = h('section', { 'aria-live': 'polite' })
  const form = h('form', { class: 'panel', novalidate: true, 'aria-label': 'Filter the audit log' }, formError(), h('div', { class: 'row' }, moduleF, user, from, to),
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
      const res = await get('/v3/audit-logs', { query: { include_count: true, limit: LIMIT, query: Object.keys(q).length ? JSON.stringify(q) : undefined } })
      const logs = res.logs || []
      const count = res.count ?? logs.length
      clear(box, table(count > logs.length ? `The ${logs.length} newest of ${count} entries` : `${count} entries`, [
        { label: 'When', cell: (l) => date(l.created_at) },
        { label: 'Module', cell: (l) => l.module },
        { label: 'Event', cell: (l) => l.event_type },
        { label: 'By', cell: (l) => who.get(l.created_by) || l.created_by || '—' },
        { label: 'Object', cell: (l) => (l.metadata && (l.metadata.title || l.metadata.uid)) || '—' }
      ], logs))
    } catch (err) { showErrors(form, err) }
  }
  form.addEventListener('submit', (e) => { e.preventDefault(); load() })
  m.append(h('h1', {}, 'Audit log'), form, box)
  await load()
}
