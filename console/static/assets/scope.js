// What delivery and management tokens share: pickers for the parts of a
// token scope the stack defines (environments, branches, aliases), the
// scope entries they become, expiry, last use and the rotation dialog.
import { h, clear, checks, field, confirm, date } from './ui.js'

// names of a scope entry's list (environments come back as objects).
const names = (list) => (list || []).map((x) => (typeof x === 'string' ? x : x.name || x.uid))

export function scopeLists (scope) {
  const out = { environments: [], branches: [], aliases: [] }
  for (const e of scope || []) {
    if (e.module === 'environment') out.environments.push(...names(e.environments))
    if (e.module === 'branch') out.branches.push(...names(e.branches))
    if (e.module === 'branch_alias') out.aliases.push(...names(e.branch_aliases))
  }
  return out
}

export function environmentPicker (choices, current) {
  return checks({ legend: 'Environments', name: 'environments', fields: ['scope.environments', 'environments'],
    hint: choices.environments.length ? 'The token reads content published to these environments.' : 'This stack has no environments yet.',
    options: choices.environments.map((e) => ({ value: e.name, checked: current.includes(e.name) })) })
}

export function branchPickers (choices, current) {
  const branches = checks({ legend: 'Branches', name: 'branches', fields: ['scope.branch_or_alias', 'scope.branches', 'scope.branch'],
    hint: 'At least one branch or alias is required.',
    options: choices.branches.map((b) => ({ value: b.uid, checked: current.branches.includes(b.uid) })) })
  const aliases = checks({ legend: 'Branch aliases', name: 'aliases', fields: ['scope.branch_aliases', 'scope.branch_alias'],
    hint: choices.aliases.length ? 'An alias follows whichever branch it points at.' : 'This stack has no branch aliases.',
    options: choices.aliases.map((a) => ({ value: a.uid, label: `${a.uid} → ${a.target_branch}`, checked: current.aliases.includes(a.uid) })) })
  return { branches, aliases }
}

// branchEntries are the branch and branch_alias scope entries of a picker.
export function branchEntries ({ branches, aliases }) {
  const out = []
  const b = branches.values()
  const a = aliases.values()
  if (b.length) out.push({ module: 'branch', branches: b, acl: { read: true } })
  if (a.length) out.push({ module: 'branch_alias', branch_aliases: a, acl: { read: true } })
  return out
}

// askRotation asks for a rotation's grace period; resolves with the body
// of the …/rotate request, or null when cancelled.
// The server takes 0 to 30 days (2592000 s) and refuses more, nothing
// changed; the field says so up front.
export async function askRotation (title, note) {
  const grace = field({ label: 'Grace period (seconds)', name: 'grace_period_seconds', type: 'number', value: '0',
    hint: 'How long the old value keeps working beside the new one: 0 ends it at once, at most 2592000 (30 days).' })
  grace.control.min = '0'
  grace.control.max = '2592000'
  const form = await confirm({ title, confirm: 'Rotate', body: [h('p', {}, note), grace] })
  return form && { grace_period_seconds: Number(form.querySelector('input').value) || 0 }
}

// rotatedNotice says a rotation happened and until when the old value
// works (the reply's previous_token_expires_at; null: it died at once).
export function rotatedNotice (box, what, until) {
  clear(box, h('div', { class: 'notice', role: 'status' }, h('p', {}, what, ' ',
    until ? ['The previous value keeps working until ', h('strong', { class: 'previous-expires' }, date(until)), '.'] : 'The previous value no longer works.')))
}

// expiryField is a token's expires_on (a UTC date, YYYY-MM-DD).
export function expiryField (token, hint) {
  return field({ label: 'Expires on (UTC)', name: 'expires_on', type: 'date', value: token && token.expires_on ? token.expires_on : '', hint })
}

// lastUsed renders a last_used_at (absent until the first use; the server
// writes uses every few seconds, so it lags by up to that).
export const lastUsed = (at) => at ? date(at) : 'never'
