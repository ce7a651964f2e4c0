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

const root = path.resolve(__dirname, '..')

function binary () {
  if (process.env.STACKGATE_BIN) return process.env.STACKGATE_BIN
  const out = path.join(os.tmpdir(), 'stackgate-sdktest-bin')
  execFileSync('go', ['build', '-o', out, './cmd/stackgate'], { cwd: root, stdio: 'inherit' })
  process.env.STACKGATE_BIN = out
  return out
}

const PASSWORD = 'sdk-password-1'

async function start () {
  const bin = binary()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stackgate-sdk-'))
  const database = 'sqlite:' + path.join(dir, 'sg.db')
  const run = (...args) => execFileSync(bin, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  const boot = JSON.parse(run('bootstrap', '--database', database, '--email', 'owner@example.com', '--password', PASSWORD, '--stack', 'SDK Stack'))
  const users = { owner: boot }
  for (const [who, role] of [['admin', 'Admin'], ['developer', 'Developer'], ['cm', 'Content Manager']]) {
    users[who] = JSON.parse(run('user', 'add', '--database', database, '--email', `${who}@example.com`, '--password', PASSWORD, '--stack', boot.api_key, '--role', role))
  }
  const proc = spawn(bin, ['serve', '--addr', '127.0.0.1:0', '--database', database, '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'pipe'] })
  const port = await new Promise((resolve, reject) => {
    let buf = ''
    const timer = setTimeout(() => reject(new Error('stackgate did not start: ' + buf)), 30000)
    proc.stderr.on('data', (d) => {
      buf += d
      const m = buf.match(/addr=http:\/\/127\.0\.0\.1:(\d+)/)
      if (m) { clearTimeout(timer); resolve(Number(m[1])) }
    })
    proc.on('exit', (code) => reject(new Error(`stackgate exited with ${code}: ${buf}`)))
  })
  const base = `http://127.0.0.1:${port}`
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(base + '/healthz')).ok) break } catch (_) {}
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const options = { host: '127.0.0.1', port, insecure: true, retryOnError: false, logHandler: () => {} }
  return {
    base,
    apiKey: boot.api_key,
    users,
    // client returns a fresh SDK client; extra options are merged in.
    client: (extra = {}) => contentstack.client({ ...options, ...extra }),
    // login returns a logged-in client and its stack.
    login: async (who) => {
      const c = contentstack.client(options)
      const res = await c.login({ email: `${who}@example.com`, password: PASSWORD })
      return { client: c, stack: c.stack({ api_key: boot.api_key }), authtoken: res.user.authtoken }
    },
    // raw makes a plain HTTP request (for what the SDK has no call for).
    raw: async (method, p, headers = {}, body) => {
      const res = await fetch(base + p, { method, headers: { 'content-type': 'application/json', api_key: boot.api_key, ...headers }, body: body && JSON.stringify(body) })
      return { status: res.status, body: await res.json() }
    },
    stop: () => new Promise((resolve) => { proc.once('exit', resolve); proc.kill('SIGTERM') })
  }
}

// refused runs fn, which must fail, and returns the SDK error.
async function refused (fn) {
  try {
    await fn()
  } catch (e) {
    return e
  }
  throw new Error('expected the call to be refused, it succeeded')
}

const scope = (extra = []) => [
  { module: 'environment', environments: ['production'], acl: { read: true } },
  { module: 'branch', branches: ['main'], acl: { read: true } },
  ...extra
]

module.exports = { start, refused, scope }
