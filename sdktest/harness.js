// Starts a real `stackgate serve` on a temporary SQLite database, with an
// owner (bootstrap) and members of each system role (user add), and gives
// SDK clients pointed at it.
'use strict'
process.env.NODE_ENV = process.env.NODE_ENV || 'test' // the SDK allows 127.0.0.1 only in test/development
const { execFileSync, spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const contentstack = require('@contentstack/management')
const delivery = require('@contentstack/delivery-sdk').default
const { contentUpstream, tlsTerminator, trustingAgent } = require('./upstream')

const root = path.resolve(__dirname, '..')

// binary is STACKGATE_BIN, or a stackgate built from this checkout (run.js
// builds once for all files; a file run alone builds its own).
function binary () {
  if (process.env.STACKGATE_BIN) return process.env.STACKGATE_BIN
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'stackgate-sdktest-bin-')), 'stackgate')
  execFileSync('go', ['build', '-o', out, './cmd/stackgate'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] })
  process.env.STACKGATE_BIN = out
  return out
}

// The members every test server has, by the name tests use for them.
const USERS = {
  owner: { email: 'owner@example.com', password: 'owner-password-1' },
  admin: { email: 'admin@example.com', password: 'admin-password-1', role: 'Admin' },
  developer: { email: 'dev@example.com', password: 'dev-password-1', role: 'Developer' },
  cm: { email: 'cm@example.com', password: 'cm-password-1', role: 'Content Manager' }
}

const TOKEN = /^cs[0-9a-f]{24}$/

// recorder is an SDK plugin that keeps every HTTP status and body the client
// saw, so tests can assert what the SDK hides (201 vs 200, notices).
function recorder () {
  const seen = []
  const plugin = {
    onRequest: () => undefined,
    onResponse: (r) => {
      const res = r && r.config && r.status ? r : r && r.response
      if (res) seen.push({ method: res.config.method.toUpperCase(), url: res.config.url, status: res.status, data: res.data, sent: res.config.data })
      return undefined
    }
  }
  return { plugin, seen, last: () => seen[seen.length - 1] }
}

// start starts stackgate. With {proxies: true} it also starts three content
// upstreams (upstream.js) and serves stackgate's proxy listeners in front of
// them: --cda-addr/--cda-upstream, --preview-addr/--preview-upstream (with
// a TLS terminator in front, as the Delivery SDK reaches the preview host
// over https only) and --cma-upstream on the main listener.
async function start (opts = {}) {
  const bin = binary()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stackgate-sdk-'))
  const database = 'sqlite:' + path.join(dir, 'sg.db')
  const run = (...args) => execFileSync(bin, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  const boot = JSON.parse(run('bootstrap', '--database', database, '--email', USERS.owner.email, '--password', USERS.owner.password, '--stack', 'SDK Stack'))
  const users = { owner: boot }
  for (const [who, u] of Object.entries(USERS)) {
    if (!u.role) continue
    users[who] = JSON.parse(run('user', 'add', '--database', database, '--email', u.email, '--password', u.password, '--stack', boot.api_key, '--role', u.role))
  }
  const args = ['serve', '--addr', '127.0.0.1:0', '--database', database, '--log-level', 'warn']
  let upstreams
  if (opts.proxies) {
    upstreams = { cda: await contentUpstream('cda'), preview: await contentUpstream('preview'), cma: await contentUpstream('cma') }
    args.push('--cda-addr', '127.0.0.1:0', '--cda-upstream', upstreams.cda.url,
      '--preview-addr', '127.0.0.1:0', '--preview-upstream', upstreams.preview.url,
      '--cma-upstream', upstreams.cma.url, '--upstream-timeout', '5s')
  }
  if (opts.args) args.push(...opts.args) // serve flags a file needs (e.g. a short --last-use-flush-interval)
  const proc = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  proc.stderr.on('data', (d) => { log += d })
  // The startup lines: "stackgate listening addr=http://…", then one
  // "stackgate proxy listening api=… addr=http://…" per proxy listener.
  const listening = (re) => { const m = log.match(re); return m && Number(m[1]) }
  const [port, cdaPort, previewPort] = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('stackgate did not start: ' + log)), 30000)
    const poll = setInterval(() => {
      const ports = [listening(/msg="stackgate listening" addr=http:\/\/127\.0\.0\.1:(\d+)/),
        listening(/msg="stackgate proxy listening" api=cda addr=http:\/\/127\.0\.0\.1:(\d+)/),
        listening(/msg="stackgate proxy listening" api=preview addr=http:\/\/127\.0\.0\.1:(\d+)/)]
      if (ports[0] && (!opts.proxies || (ports[1] && ports[2]))) { clearTimeout(timer); clearInterval(poll); resolve(ports) }
    }, 10)
    proc.once('exit', (code) => { clearTimeout(timer); clearInterval(poll); reject(new Error(`stackgate exited with ${code}: ${log}`)) })
  })
  const terminator = opts.proxies && await tlsTerminator(previewPort)
  const agent = opts.proxies && trustingAgent()
  const base = `http://127.0.0.1:${port}`
  let healthy = false
  for (let i = 0; i < 200 && !healthy; i++) {
    try { healthy = (await fetch(base + '/healthz')).status === 200 } catch (_) {}
    if (!healthy) await new Promise((resolve) => setTimeout(resolve, 25))
  }
  if (!healthy) throw new Error('GET /healthz never answered 200: ' + log)
  const options = { host: '127.0.0.1', port, insecure: true, retryOnError: false, logHandler: () => {} }
  // client returns a fresh SDK client; extra options are merged in. Its
  // `wire` records every response.
  const client = (extra = {}) => {
    const wire = recorder()
    const c = contentstack.client({ ...options, plugins: [wire.plugin], ...extra })
    c.wire = wire
    return c
  }
  return {
    base,
    port,
    database,
    // stackgate runs a subcommand of the binary on this server's database
    // (e.g. stackgate('app', 'add', '--name', …)) and returns its stdout.
    stackgate: (...args) => run(...args, '--database', database),
    cdaPort,
    previewPort,
    cdaBase: cdaPort && `http://127.0.0.1:${cdaPort}`,
    previewBase: previewPort && `http://127.0.0.1:${previewPort}`,
    upstreams,
    apiKey: boot.api_key,
    users,
    client,
    // login returns a logged-in client, its stack, authtoken and wire.
    login: async (who) => {
      const c = client()
      const res = await c.login({ email: USERS[who].email, password: USERS[who].password })
      return { client: c, stack: c.stack({ api_key: boot.api_key }), authtoken: res.user.authtoken, wire: c.wire, login: res }
    },
    // withToken returns a stack reached with a management token, both ways
    // the SDK sends one.
    tokenStack: (secret, how = 'management_token', extra = {}) => how === 'management_token'
      ? client().stack({ api_key: boot.api_key, management_token: secret, ...extra })
      : client({ authorization: secret }).stack({ api_key: boot.api_key, ...extra }),
    // raw makes a plain HTTP request (for what the SDK has no call for).
    raw: async (method, p, headers = {}, body) => {
      const res = await fetch(base + p, { method, headers: { 'content-type': 'application/json', api_key: boot.api_key, ...headers }, body: body && JSON.stringify(body) })
      const text = await res.text()
      let json
      try { json = JSON.parse(text) } catch (_) { json = text }
      return { status: res.status, headers: res.headers, body: json }
    },
    // deliveryStack returns an official Delivery SDK stack pointed at the
    // CDA listener (host, port, insecure: plain http). With previewToken,
    // Live Preview is on, its host the preview listener (through the TLS
    // terminator; the SDK's axios instance gets an httpsAgent that trusts
    // its certificate).
    // The SDK's retries are off, as in the management clients, so a refusal
    // comes back at once with its status.
    deliveryStack: ({ token, environment, previewToken, ...extra }) => {
      const s = delivery.stack({
        apiKey: boot.api_key,
        deliveryToken: token,
        environment,
        host: '127.0.0.1',
        port: cdaPort,
        insecure: true,
        retryOnError: false,
        ...(previewToken ? { live_preview: { enable: true, preview_token: previewToken, host: terminator.host } } : {}),
        ...extra
      })
      // Set on the SDK's axios instance, not in the config: the SDK deep-clones
      // its config (lodash cloneDeep), agent and socket pools included.
      s.getClient().defaults.httpsAgent = agent
      return s
    },
    // get makes a plain GET to one of the listeners (for what the SDKs have
    // no call for).
    get: async (base, p, headers = {}) => {
      const res = await fetch(base + p, { headers })
      const text = await res.text()
      let json
      try { json = JSON.parse(text) } catch (_) { json = text }
      return { status: res.status, body: json, headers: res.headers }
    },
    log: () => log,
    // stop sends SIGTERM and requires a clean exit (0): a server that died
    // during the tests, or shut down badly, fails the file's after().
    stop: async () => {
      const crashed = proc.exitCode !== null || proc.signalCode !== null
      if (!crashed) await new Promise((resolve) => { proc.once('exit', resolve); proc.kill('SIGTERM') })
      if (agent) agent.destroy()
      if (terminator) await terminator.close()
      for (const u of Object.values(upstreams || {})) await u.close()
      fs.rmSync(dir, { recursive: true, force: true })
      if (crashed || proc.exitCode !== 0) {
        throw new Error(`stackgate ${crashed ? 'died during the tests' : 'did not shut down cleanly'} (exit ${proc.exitCode}, signal ${proc.signalCode}):\n${log}`)
      }
    }
  }
}

// refused runs fn, which must fail with an HTTP error, and returns the SDK
// error (status, errorCode, errorMessage, errors).
async function refused (fn) {
  let value
  try {
    value = await fn()
  } catch (e) {
    if (e.status === undefined) throw e
    return e
  }
  throw new Error('expected the call to be refused, it succeeded: ' + JSON.stringify(value).slice(0, 300))
}

const environmentScope = (...names) => ({ module: 'environment', environments: names.length ? names : ['production'], acl: { read: true } })
const branchScope = (...branches) => ({ module: 'branch', branches: branches.length ? branches : ['main'], acl: { read: true } })
const scope = (extra = []) => [environmentScope(), branchScope(), ...extra]

module.exports = { start, refused, scope, environmentScope, branchScope, USERS, TOKEN }
