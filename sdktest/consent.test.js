// The consent page in a real browser: Debian's chromium, driven by
// playwright-core (which never downloads a browser). A user logs in on the
// page, authorizes, and lands on the app's redirect URI with a code that the
// token endpoint exchanges; Deny lands there with error=access_denied; a
// tampered client_id shows an error and never redirects.
'use strict'
const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const http = require('node:http')
const { chromium } = require('playwright-core')
const { start, USERS } = require('./harness')

const AXE = require.resolve('axe-core/axe.min.js')

describe('consent page (chromium)', () => {
  let sg, browser, app, redirect, landed
  const verifier = crypto.randomBytes(48).toString('base64url')
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url')

  before(async () => {
    sg = await start()
    // The app's redirect URI: a local server that records where the browser landed.
    landed = []
    redirect = await new Promise((resolve) => {
      const srv = http.createServer((req, res) => { landed.push(req.url); res.end('landed') })
      srv.listen(0, '127.0.0.1', () => resolve({ srv, url: `http://127.0.0.1:${srv.address().port}/callback` }))
    })
    app = JSON.parse(sg.stackgate('app', 'add', '--name', 'Browser App', '--redirect-uri', redirect.url,
      '--scopes', 'cm.roles.management:read user:read'))
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] })
  })
  after(async () => {
    await browser?.close()
    redirect?.srv.close()
    await sg?.stop()
  })

  // The SDK's authorize URL: the query before the hash-bang fragment.
  const sdkURL = (clientId) => `${sg.base}/?response_type=code&client_id=${clientId}&code_challenge=${challenge}&code_challenge_method=S256#!/apps/${app.app_uid}/authorize`

  async function page () {
    const ctx = await browser.newContext()
    const p = await ctx.newPage()
    const errors = []
    p.on('pageerror', (e) => errors.push(String(e)))
    // (The browser logs each non-2xx fetch, the wrong password's 422 and the favicon's 404 among them.)
    p.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text()) })
    return { p, ctx, errors }
  }

  it('logs in, shows the app and its scopes, authorizes, lands with a code that exchanges', async () => {
    const { p, ctx, errors } = await page()
    await p.goto(sdkURL(app.client_id))
    await p.locator('#login').waitFor({ state: 'visible' })
    await p.fill('#email', USERS.developer.email)
    await p.fill('#password', 'wrong-password')
    await p.click('#login-button')
    await p.locator('#login-error').waitFor({ state: 'visible' })
    await p.fill('#password', USERS.developer.password)
    await p.click('#login-button')
    await p.locator('#consent').waitFor({ state: 'visible' })
    assert.equal(await p.textContent('#app-name'), 'Browser App')
    assert.equal(await p.textContent('#user-email'), USERS.developer.email)
    assert.deepEqual(await p.locator('#scopes li').allTextContents(), ['See roles', 'See your user profile (name and e-mail)'])
    assert.match(await p.textContent('#stack'), /every stack you are a member of/)
    await Promise.all([p.waitForURL((u) => u.toString().startsWith(redirect.url)), p.click('#authorize')])
    const u = new URL(p.url())
    assert.equal(u.searchParams.get('location'), 'NA')
    const code = u.searchParams.get('code')
    assert.ok(code)
    const res = await fetch(sg.base + '/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, client_id: app.client_id, redirect_uri: redirect.url, code_verifier: verifier })
    })
    const tok = await res.json()
    assert.equal(res.status, 200, JSON.stringify(tok))
    assert.equal(tok.user_uid, sg.users.developer.user_uid)
    assert.ok(tok.refresh_token)
    assert.deepEqual(errors, [])
    await ctx.close()
  })

  it('the documented form, query in the fragment, Deny: lands with error=access_denied and the state', async () => {
    const { p, ctx, errors } = await page()
    await p.goto(`${sg.base}/#!/apps/${app.app_uid}/authorize?response_type=code&client_id=${app.client_id}&code_challenge=${challenge}&code_challenge_method=S256&state=st-1`)
    await p.fill('#email', USERS.admin.email)
    await p.fill('#password', USERS.admin.password)
    await p.click('#login-button')
    await p.locator('#consent').waitFor({ state: 'visible' })
    await Promise.all([p.waitForURL((u) => u.toString().startsWith(redirect.url)), p.click('#deny')])
    const u = new URL(p.url())
    assert.equal(u.searchParams.get('error'), 'access_denied')
    assert.equal(u.searchParams.get('state'), 'st-1')
    assert.equal(u.searchParams.get('code'), null)
    // /apps/{uid}/authorize?… with the session kept in this tab: straight to consent.
    await p.goto(`${sg.base}/apps/${app.app_uid}/authorize?response_type=code&client_id=${app.client_id}&redirect_uri=${encodeURIComponent(redirect.url)}&code_challenge=${challenge}&code_challenge_method=S256`)
    await p.locator('#consent').waitFor({ state: 'visible' })
    assert.deepEqual(errors, [])
    await ctx.close()
  })

  it('an app installed on a stack: its name is shown to a member once signed in, never before', async () => {
    const installed = JSON.parse(sg.stackgate('app', 'add', '--name', 'Installed App', '--machine', '--stack', sg.apiKey,
      '--redirect-uri', redirect.url, '--scopes', 'cm.roles.management:read'))
    const { p, ctx, errors } = await page()
    const checks = []
    p.on('response', async (r) => { if (r.url().includes('/consent?')) checks.push(await r.json()) })
    await p.goto(`${sg.base}/?response_type=code&client_id=${installed.client_id}#!/apps/${installed.app_uid}/authorize`)
    await p.locator('#login').waitFor({ state: 'visible' })
    assert.deepEqual(checks.map((c) => c.stack), [{ installed: true }])
    await p.fill('#email', USERS.developer.email)
    await p.fill('#password', USERS.developer.password)
    await p.click('#login-button')
    await p.locator('#consent').waitFor({ state: 'visible' })
    assert.equal(await p.textContent('#stack'), 'On the stack SDK Stack only.')
    assert.deepEqual(errors, [])
    await ctx.close()
  })

  it('a tampered client_id or an unregistered redirect_uri: an error page, never a redirect', async () => {
    for (const url of [sdkURL(app.client_id + 'x'),
      `${sg.base}/apps/${app.app_uid}/authorize?response_type=code&client_id=${app.client_id}&code_challenge=${challenge}&redirect_uri=${encodeURIComponent('https://evil.example.com/')}`]) {
      const { p, ctx } = await page()
      const before = landed.length
      await p.goto(url)
      await p.locator('#error').waitFor({ state: 'visible' })
      assert.ok(await p.locator('#login').isHidden())
      assert.ok(await p.locator('#consent').isHidden())
      assert.ok(p.url().startsWith(sg.base), p.url())
      assert.equal(landed.length, before)
      await ctx.close()
    }
  })

  it('axe-core: no violations on the login, consent and error pages', async () => {
    // Playwright injects axe, which the page's CSP would block: this context alone bypasses it.
    const ctx = await browser.newContext({ bypassCSP: true })
    const p = await ctx.newPage()
    const check = async (name) => {
      await p.addScriptTag({ path: AXE })
      const res = await p.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }))
      assert.deepEqual(res.violations.map((v) => `${v.id}: ${v.help}`), [], `${name}: axe violations`)
    }
    await p.goto(sdkURL(app.client_id))
    await p.locator('#login').waitFor({ state: 'visible' })
    await check('login')
    await p.fill('#email', USERS.owner.email)
    await p.fill('#password', USERS.owner.password)
    await p.click('#login-button')
    await p.locator('#consent').waitFor({ state: 'visible' })
    await check('consent')
    await p.goto(sdkURL('tampered'))
    await p.locator('#error').waitFor({ state: 'visible' })
    await check('error')
    await ctx.close()
  })
})
