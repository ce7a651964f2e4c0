// The console's shell: sign in, choose a stack, route between pages. Pages
// live at /console/<page>; the server answers every such path with
// index.html and this module draws the page.
import { session, get, post, del, onSignedOut } from './api.js'
import { h, clear, field, formError, showErrors, clearErrors, announce } from './ui.js'
import * as tokens from './tokens.js'
import * as management from './management.js'
import * as roles from './roles.js'
import * as users from './users.js'
import * as explain from './explain.js'
import * as audit from './audit.js'

const BASE = '/console'
const main = document.getElementById('main')
const nav = document.getElementById('nav')
const who = document.getElementById('who')

// pages: path → {title, render(main, ctx)}. The console ships in the binary
// that serves the API, so every route it calls (rotation, the audit log,
// unshare) is there: nothing is feature-detected.
const pages = [
  { path: '/tokens', title: 'Delivery tokens', mod: tokens },
  { path: '/management-tokens', title: 'Management tokens', mod: management },
  { path: '/roles', title: 'Roles', mod: roles },
  { path: '/users', title: 'Users', mod: users },
  { path: '/explain', title: 'Explain', mod: explain },
  { path: '/audit', title: 'Audit log', mod: audit }
]

export function go (path, replace = false) {
  const url = BASE + path
  if (replace) history.replaceState(null, '', url)
  else if (location.pathname !== url) history.pushState(null, '', url)
  route()
}

document.addEventListener('click', (e) => {
  const a = e.target.closest('a[href]')
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || a.target) return
  const href = a.getAttribute('href')
  if (href === BASE || href.startsWith(BASE + '/')) { e.preventDefault(); go(href.slice(BASE.length) || '/') }
})
window.addEventListener('popstate', () => route())
onSignedOut(() => { session.clear(); go('/sign-in', true); announce('Your session ended; please sign in again.') })

// routing counts routes so that a page whose data arrives after the user
// has moved on is dropped, not drawn over the newer one.
let routing = 0

async function route () {
  const gen = ++routing
  const path = location.pathname.slice(BASE.length).replace(/\/+$/, '') || '/'
  if (!session.authtoken) {
    drawChrome([], null)
    return show(gen, signIn, 'Sign in', path === '/sign-in' ? undefined : path)
  }
  if (path === '/sign-in' || path === '/') return go(session.apiKey ? '/tokens' : '/stacks', true)
  if (path === '/stacks' || !session.apiKey) {
    drawChrome([], null)
    return show(gen, chooseStack, 'Choose a stack')
  }
  const visible = pages
  const page = visible.find((p) => path === p.path || path.startsWith(p.path + '/'))
  drawChrome(visible, page)
  if (!page) return show(gen, (m) => m.append(h('h1', {}, 'Not found'), h('p', {}, 'There is no such page in the console.')), 'Not found')
  return show(gen, (m) => page.mod.render(m, { path: path.slice(page.path.length), go, title: page.title }), page.title)
}

// show draws a page off-screen and puts it in place once its data is in,
// if no newer route has started meanwhile.
async function show (gen, draw, title, arg) {
  const m = h('div', {})
  try {
    await draw(m, arg)
  } catch (e) {
    // A page the credential may not read still says where it is.
    if (!m.querySelector('h1')) m.prepend(h('h1', {}, title))
    m.append(h('div', { class: 'form-error', role: 'alert' }, e.message))
  }
  if (gen !== routing) return
  document.title = `${title} · stackgate console`
  main.replaceChildren(...m.childNodes)
  main.focus()
}

function drawChrome (visible, current) {
  nav.hidden = visible.length === 0
  clear(nav, h('ul', {}, visible.map((p) => h('li', {}, h('a', { href: BASE + p.path, 'aria-current': p === current ? 'page' : undefined }, p.title)))))
  clear(who)
  if (!session.authtoken) return
  const stack = session.stacks.find((s) => s.api_key === session.apiKey)
  who.append(
    stack ? h('a', { href: BASE + '/stacks', title: 'Choose another stack' }, `Stack: ${stack.name}`) : null,
    h('span', {}, session.user && session.user.email),
    h('button', { type: 'button', on: { click: signOut } }, 'Sign out'))
}

async function signOut () {
  try { await del('/v3/user-session', { stack: false, keepSession: true }) } catch (_) { /* the session is cleared either way */ }
  session.clear()
  go('/sign-in', true)
  announce('Signed out.')
}

function signIn (m, after) {
  const email = field({ label: 'Email', name: 'email', type: 'email', autocomplete: 'username', required: true, fields: ['email', 'user.email'] })
  const password = field({ label: 'Password', name: 'password', type: 'password', autocomplete: 'current-password', required: true, fields: ['password', 'user.password'] })
  const form = h('form', { class: 'panel narrow', novalidate: true }, formError(), email, password,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Sign in')))
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    clearErrors(form)
    try {
      const res = await post('/v3/user-session', { user: { email: email.control.value, password: password.control.value } }, { auth: false, stack: false })
      session.signIn(res.user.authtoken, res.user)
      password.control.value = ''
      go(after && after !== '/' ? after : '/stacks', true)
    } catch (err) {
      showErrors(form, err)
    }
  })
  m.append(h('h1', {}, 'Sign in to stackgate'), h('p', { class: 'lead' }, 'Use the email and password of your stackgate account.'), form)
}

async function chooseStack (m) {
  const key = field({ label: 'Stack API key', name: 'api_key', required: true, hint: 'The api_key of the stack to manage (stackgate bootstrap prints it).' })
  const form = h('form', { class: 'panel narrow', novalidate: true }, formError(), key,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Open stack')))
  const open = async (apiKey) => {
    clearErrors(form)
    try {
      const res = await get('/v3/stacks', { apiKey })
      session.choose(res.stack)
      go('/tokens')
    } catch (err) {
      showErrors(form, err)
    }
  }
  form.addEventListener('submit', (e) => { e.preventDefault(); open(key.control.value.trim()) })
  // The user's stacks (GET /v3/stacks without api_key). Should the list
  // fail, the stacks opened in this tab and the api_key field still work.
  let stacks = session.stacks
  try { stacks = (await get('/v3/stacks', { stack: false })).stacks } catch (_) { /* the fallback above */ }
  m.append(h('h1', {}, 'Choose a stack'))
  if (stacks.length) {
    m.append(h('h2', { id: 'your-stacks' }, 'Your stacks'), h('ul', { 'aria-labelledby': 'your-stacks' }, stacks.map((s) =>
      h('li', {}, h('button', { type: 'button', on: { click: () => open(s.api_key) } }, `${s.name} (${s.api_key})`)))))
    m.append(h('h2', {}, 'Another stack by its api_key'))
  }
  m.append(form)
}

route()
