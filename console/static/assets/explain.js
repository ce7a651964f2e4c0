// Explain: what the gate would decide for a credential, a method, a path,
// an environment, a branch and a locale (POST /gate/check), in words.
import { get, post, session, choices as loadChoices } from './api.js'
import { h, clear, field, formError, showErrors, clearErrors } from './ui.js'

const EXAMPLES = { cda: '/v3/content_types/blog/entries', preview: '/v3/content_types/blog/entries', cma: '/v3/content_types' }

export async function render (m) {
  const [tokens, choices] = await Promise.all([get('/v3/stacks/delivery_tokens').then((r) => r.tokens, () => []), loadChoices()])
  // credentials the console can name: this session, the stack's delivery and
  // preview tokens (their values are readable), or a pasted value.
  const creds = [{ value: 'session', label: `My session (${session.user ? session.user.email : 'authtoken'})`, api: 'cma', kind: 'authtoken', secret: () => session.authtoken }]
  for (const t of tokens) {
    creds.push({ value: 'dt:' + t.uid, label: `Delivery token “${t.name}”`, api: 'cda', kind: 'access_token', secret: () => t.token })
    if (t.preview_token) creds.push({ value: 'pt:' + t.uid, label: `Preview token of “${t.name}”`, api: 'preview', kind: 'preview_token', secret: () => t.preview_token })
  }
  creds.push({ value: 'mt', label: 'A management token (paste its value)', api: 'cma', kind: 'authorization', pasted: true },
    { value: 'at', label: "Another user's session (paste an authtoken)", api: 'cma', kind: 'authtoken', pasted: true })
  const cred = field({ label: 'Credential', name: 'credential', type: 'select', options: creds, fields: ['credential', 'authtoken', 'authorization', 'access_token', 'preview_token', 'api_key'] })
  const pasted = field({ label: 'Credential value', name: 'pasted', type: 'password', hint: 'Used for this check only; it is not stored.', fields: [] })
  const api = field({ label: 'API', name: 'api', type: 'select', options: [
    { value: 'cda', label: 'Content Delivery (cda)' }, { value: 'preview', label: 'Preview (preview)' }, { value: 'cma', label: 'Content Management (cma)' }] })
  const method = field({ label: 'Method', name: 'method', type: 'select', options: ['GET', 'POST', 'PUT', 'DELETE'].map((v) => ({ value: v })) })
  const path = field({ label: 'Path', name: 'path', value: EXAMPLES.cma, hint: 'The request-target the client sends, query included.' })
  const none = { value: '', label: '(none)' }
  const environment = field({ label: 'Environment', name: 'environment', type: 'select', options: [none, ...choices.environments.map((e) => ({ value: e.name }))] })
  const branch = field({ label: 'Branch', name: 'branch', type: 'select', options: [{ value: '', label: '(default: main)' }, ...choices.branches.map((b) => ({ value: b.uid })), ...choices.aliases.map((a) => ({ value: a.uid, label: `${a.uid} (alias)` }))] })
  const locale = field({ label: 'Locale', name: 'locale', type: 'select', options: [none, ...choices.locales.map((l) => ({ value: l.code, label: `${l.name} (${l.code})` }))] })
  const sync = () => {
    const c = creds.find((x) => x.value === cred.control.value)
    pasted.hidden = !c.pasted
    api.control.value = c.api
    path.control.value = EXAMPLES[c.api]
    if (c.api !== 'cma' && !environment.control.value && choices.environments[0]) environment.control.value = choices.environments[0].name
  }
  cred.control.addEventListener('change', sync)
  api.control.addEventListener('change', () => { path.control.value = EXAMPLES[api.control.value] })
  const result = h('div', { 'aria-live': 'polite' })
  const form = h('form', { class: 'panel', novalidate: true }, formError(),
    h('div', { class: 'row' }, cred, pasted, api), h('div', { class: 'row' }, method, path),
    h('div', { class: 'row' }, environment, branch, locale),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Explain')))
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    clearErrors(form)
    const c = creds.find((x) => x.value === cred.control.value)
    const secret = c.pasted ? pasted.control.value : c.secret()
    const body = { api: api.control.value, api_key: session.apiKey, credential: { [c.kind]: secret },
      method: method.control.value, path: path.control.value, environment: environment.control.value,
      branch: branch.control.value, locale: locale.control.value }
    try {
      const reply = await post('/gate/check', body, { auth: false, stack: false })
      clear(result, verdict(reply, await quote(reply, tokens)))
      result.querySelector('h2').focus()
    } catch (err) {
      showErrors(form, err)
      clear(result)
    }
  })
  sync()
  m.append(h('h1', {}, 'Explain a decision'),
    h('p', { class: 'lead' }, 'Ask the gate what it would answer a request, and which rule or scope entry decides it. Nothing is sent to the content API.'),
    form, result)
}

// ruleWords says which rule or scope entry a decision rests on.
export function ruleWords (rule, allowed) {
  if (!rule) return allowed ? 'No particular rule: the request needs none.' : 'No rule or scope entry allows this request.'
  const by = allowed ? 'Allowed by' : 'Refused by'
  const n = rule.index >= 0 ? ` ${rule.index + 1}` : ''
  const mod = rule.module ? ` (module ${rule.module})` : ''
  switch (rule.source) {
    case 'owner': return `${by} ownership: the stack's owner may do everything.`
    case 'system_role': return `${by} the system role “${rule.role_name}”.`
    case 'member': return `${by} membership: any member of the stack may do this.`
    case 'role': return `${by} rule${n}${mod} of the custom role “${rule.role_name}”.`
    case 'management_token_scope': return `${by} scope entry${n}${mod} of the management token.`
    case 'delivery_token_scope': return `${by} scope entry${n}${mod} of the delivery token.`
    default: return `${by} ${rule.source}${n}${mod}.`
  }
}

// quote fetches the rule or scope entry a decision names, to show it as
// the API stores it (null when it cannot be read with this session).
async function quote (r, tokens) {
  const ref = r.rule
  if (!ref || ref.index < 0) return null
  try {
    if (ref.source === 'role') return (await get(`/v3/roles/${encodeURIComponent(ref.role_uid)}`, { query: { include_rules: true } })).role.rules[ref.index]
    if (ref.source === 'delivery_token_scope') return tokens.find((t) => t.uid === r.principal.uid).scope[ref.index]
    if (ref.source === 'management_token_scope') return (await get(`/v3/stacks/management_tokens/${encodeURIComponent(r.principal.uid)}`)).token.scope[ref.index]
  } catch (_) {}
  return null
}

// entryWords renders a rule or scope entry without its bookkeeping fields.
function entryWords (entry) {
  const { _metadata, ...shown } = entry
  for (const k of ['environments', 'locales']) {
    if (Array.isArray(shown[k])) shown[k] = shown[k].map((x) => (typeof x === 'string' ? x : x.name || x.code || x.uid))
  }
  return JSON.stringify(shown)
}

function verdict (r, entry) {
  const p = r.principal
  const me = p && session.user && p.uid === session.user.uid
  const who = p ? `${me ? `you (${session.user.email})` : p.kind}${p.name ? ` “${p.name}”` : ''}${p.owner ? ', the stack owner' : ''}` : 'no one (the request was refused before a credential was decided)'
  const parts = [
    h('h2', { tabindex: '-1' }, r.allowed ? `Allowed (${r.status})` : `Denied (${r.status})`),
    h('p', { class: 'rule-words' }, ruleWords(r.rule, r.allowed)),
    entry ? h('p', {}, 'That entry: ', h('code', { class: 'rule-entry' }, entryWords(entry))) : null,
    r.reason ? h('p', {}, 'Reason: ', r.reason) : null,
    h('p', {}, 'Credential: ', who),
    r.route ? h('p', {}, 'Route: ', h('code', {}, `${r.route.method} ${r.route.pattern}`), ` — module ${r.route.module}, action ${r.route.action}, API ${r.route.api}`) : null,
    r.branch ? h('p', {}, 'Branch: ', r.branch) : null
  ]
  if (r.error) {
    parts.push(h('p', {}, `The gate would answer ${r.status} / ${r.error.error_code}: ${r.error.error_message}`))
    const errs = Object.entries(r.error.errors || {})
    if (errs.length) parts.push(h('ul', {}, errs.map(([k, v]) => h('li', {}, `${k} ${[].concat(v).join(' ')}`))))
  }
  return h('div', { class: 'verdict ' + (r.allowed ? 'allowed' : 'denied') }, parts)
}
