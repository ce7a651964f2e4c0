// The console's only way to the server: stackgate's public API, same origin.
//
// The session (the authtoken) lives in sessionStorage: it survives a reload
// of this tab but not closing it, is never shared with other tabs or written
// to disk like localStorage, and never appears in a URL. The API takes the
// authtoken as a header (Contentstack's wire contract), so an HttpOnly cookie,
// which script could not read, would need a cookie login the API does not
// have (and CSRF defences with it); the strict Content-Security-Policy (no
// inline or foreign script) is what keeps other script from reading it.

const TOKEN = 'stackgate.authtoken'
const USER = 'stackgate.user'
const STACK = 'stackgate.api_key'
const STACKS = 'stackgate.stacks'

export class ApiError extends Error {
  constructor (status, body) {
    const b = body && typeof body === 'object' ? body : {}
    super(b.error_message || `The server answered ${status}.`)
    this.status = status
    this.code = b.error_code || status
    this.errors = b.errors && typeof b.errors === 'object' ? b.errors : {}
  }
}

const read = (k) => { try { return JSON.parse(sessionStorage.getItem(k)) } catch (_) { return null } }
const write = (k, v) => v == null ? sessionStorage.removeItem(k) : sessionStorage.setItem(k, JSON.stringify(v))

export const session = {
  get authtoken () { return read(TOKEN) },
  get user () { return read(USER) },
  get apiKey () { return read(STACK) },
  // stacks are the stacks chosen in this tab ({api_key, name}): the chrome
  // names the chosen one, and the chooser falls back on them should the
  // list of the user's stacks (GET /v3/stacks) fail.
  get stacks () { return read(STACKS) || [] },
  signIn (authtoken, user) { write(TOKEN, authtoken); write(USER, { uid: user.uid, email: user.email }) },
  choose (stack) {
    write(STACK, stack.api_key)
    write(STACKS, [{ api_key: stack.api_key, name: stack.name }, ...this.stacks.filter((s) => s.api_key !== stack.api_key)].slice(0, 10))
  },
  clear () { for (const k of [TOKEN, USER, STACK, STACKS]) sessionStorage.removeItem(k) }
}

// onSignedOut is called when the server no longer accepts the session.
let signedOut = () => {}
export function onSignedOut (fn) { signedOut = fn }

// request calls the API. opts: body (JSON), query (object), auth (send the
// authtoken; default true), stack (send api_key; default true), apiKey (a
// stack other than the chosen one). Resolves with the parsed body; rejects
// with an ApiError carrying the API's error_message, error_code and errors.
export async function request (method, path, opts = {}) {
  const headers = { 'content-type': 'application/json', accept: 'application/json' }
  if (opts.auth !== false && session.authtoken) headers.authtoken = session.authtoken
  const apiKey = opts.apiKey || session.apiKey
  if (opts.stack !== false && apiKey) headers.api_key = apiKey
  let url = path
  if (opts.query) {
    const q = new URLSearchParams()
    for (const [k, v] of Object.entries(opts.query)) if (v !== undefined && v !== null) q.set(k, String(v))
    const s = q.toString()
    if (s) url += '?' + s
  }
  let res
  try {
    res = await fetch(url, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body), credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer' })
  } catch (e) {
    throw new ApiError(0, { error_message: 'The server could not be reached. Nothing was saved.' })
  }
  const text = await res.text()
  let body = null
  try { body = text ? JSON.parse(text) : {} } catch (_) { body = null }
  if (!res.ok) {
    const err = new ApiError(res.status, body)
    if (res.status === 401 && opts.auth !== false && !opts.keepSession) signedOut(err)
    throw err
  }
  return body || {}
}

export const get = (path, opts) => request('GET', path, opts)
export const post = (path, body, opts = {}) => request('POST', path, { ...opts, body })
export const put = (path, body, opts = {}) => request('PUT', path, { ...opts, body })
export const del = (path, opts) => request('DELETE', path, opts)

// The stack's choosers: environments, locales, branches and aliases (a list
// the credential may not read is simply empty).
export async function choices () {
  const [envs, locales, branches, aliases] = await Promise.allSettled([
    get('/v3/environments'), get('/v3/locales'), get('/v3/stacks/branches'), get('/v3/stacks/branch_aliases')])
  const value = (r, k) => (r.status === 'fulfilled' && r.value[k]) || []
  return {
    environments: value(envs, 'environments'),
    locales: value(locales, 'locales'),
    branches: value(branches, 'branches'),
    // An alias is listed as its target branch with the alias's uid in alias[0].
    aliases: value(aliases, 'branch_aliases').map((a) => ({ uid: (a.alias && a.alias[0] && a.alias[0].uid) || a.uid, target_branch: a.target_branch }))
  }
}
