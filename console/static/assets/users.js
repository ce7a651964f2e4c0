// Users of the stack and their roles: assignments are replaced per user
// with POST /v3/stacks/users/roles; a member is removed with
// POST /v3/stacks/unshare.
import { get, post } from './api.js'
import { h, clear, field, formError, showErrors, clearErrors, checks, announce, table, confirm } from './ui.js'

export async function render (m) {
  const [stack, roles] = await Promise.all([get('/v3/stacks', { query: { include_collaborators: true } }), get('/v3/roles')])
  const box = h('section', {})
  const members = async () => (await get('/v3/stacks', { query: { include_collaborators: true } })).stack.collaborators || []
  m.append(h('h1', {}, 'Users and their roles'),
    h('p', { class: 'lead' }, 'Choose the roles of each member of the stack; a member holds what all their roles allow. The owner may do everything whatever their roles.'),
    box)
  const refresh = async () => draw(await members())
  const draw = (collaborators) => clear(box, table('Members of this stack', [
    { label: 'User', cell: (u) => h('span', {}, h('strong', {}, u.email), u.is_owner ? ' (owner)' : '') },
    { label: 'Roles', cell: (u) => rolesForm(u, roles.roles, refresh) },
    // The owner cannot be removed (the server refuses it too).
    { label: 'Access', cell: (u) => u.is_owner ? '—' : h('button', { type: 'button', class: 'danger', 'aria-label': `Remove ${u.email} from the stack`, on: { click: () => unshare(u, refresh) } }, 'Remove') }
  ], collaborators))
  draw(stack.stack.collaborators || [])
  m.append(inviteForm(roles.roles))
}

// inviteForm shares the stack (POST /v3/stacks/share): the invitees accept
// from their own session and then hold the roles chosen here.
function inviteForm (roles) {
  const emails = field({ label: 'E-mail addresses', name: 'emails', fields: ['emails'], hint: 'Separated by commas.' })
  const set = checks({ legend: 'Roles of the invitees', name: 'invite_roles', fields: ['roles'],
    options: roles.map((r) => ({ value: r.uid, label: r.name })) })
  const form = h('form', { class: 'panel', novalidate: true }, formError(), emails, set,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Invite')))
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    clearErrors(form)
    const list = emails.control.value.split(',').map((x) => x.trim()).filter(Boolean)
    const picked = set.values()
    try {
      await post('/v3/stacks/share', { emails: list, roles: Object.fromEntries(list.map((x) => [x, picked])) })
      announce(`Invited ${list.join(', ')}.`)
      emails.control.value = ''
    } catch (err) { showErrors(form, err) }
  })
  return h('section', { 'aria-labelledby': 'invite-title' }, h('h2', { id: 'invite-title' }, 'Invite people'),
    h('p', {}, 'Each invitee accepts the invitation from their own account; until then they can do nothing in this stack.'), form)
}

function rolesForm (user, roles, refresh) {
  const have = new Set((user.roles || []).map((r) => r.uid))
  const set = checks({ legend: `Roles of ${user.email}`, name: 'roles', fields: ['users', `users.${user.uid}`, 'roles'],
    options: roles.map((r) => ({ value: r.uid, label: r.name, checked: have.has(r.uid) })) })
  const form = h('form', { novalidate: true }, formError(), set,
    h('button', { type: 'submit', 'aria-label': `Save roles of ${user.email}` }, 'Save roles'))
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    clearErrors(form)
    try {
      await post('/v3/stacks/users/roles', { users: { [user.uid]: set.values() } })
      announce(`Roles of ${user.email} saved.`)
      await refresh()
    } catch (err) { showErrors(form, err) }
  })
  return form
}

// unshare removes a member (their roles and any pending invitation go with
// them); their sessions are refused on this stack from the reply on.
async function unshare (user, refresh) {
  const ok = await confirm({ title: `Remove ${user.email} from the stack?`, danger: true, confirm: 'Remove from stack',
    body: h('p', {}, 'They lose every role in this stack and are refused on it at once; their account and other stacks are untouched. Invite them again to give access back.') })
  if (!ok) return
  try {
    await post('/v3/stacks/unshare', { email: user.email })
    announce(`${user.email} was removed from the stack.`)
    await refresh()
  } catch (err) { announce(err.message + ' ' + Object.values(err.errors).flat().join(' ')) }
}
