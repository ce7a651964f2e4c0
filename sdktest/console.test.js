// The web console (/console) in a real, headless Chromium (Debian's, via
// playwright-core; never a downloaded browser) against a real stackgate
// serve: every change made in the browser is read back through the API.
// Screenshots of each page go to STACKGATE_CONSOLE_SHOTS, or a directory
// under the system's temporary directory (printed), never the repository.
'use strict'
const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { chromium } = require('playwright-core')
const { start, USERS, TOKEN } = require('./harness')

const CHROMIUM = process.env.STACKGATE_CHROMIUM || '/usr/bin/chromium'
const SHOTS = process.env.STACKGATE_CONSOLE_SHOTS || fs.mkdtempSync(path.join(os.tmpdir(), 'stackgate-console-shots-'))
const AXE = require.resolve('axe-core/axe.min.js')

describe('console', () => {
  let sg, browser, context, page, owner
  const pageErrors = []

  // api calls stackgate directly, as the owner, to check what the console did.
  const api = (method, p, body, headers = {}) => sg.raw(method, p, { authtoken: owner.authtoken, ...headers }, body)
  const shot = (name) => page.screenshot({ path: path.join(SHOTS, name + '.png'), fullPage: true })
  const open = async (p, heading) => {
    await page.goto(sg.base + '/console' + p)
    await page.getByRole('heading', { level: 1, name: heading }).waitFor()
  }
  // newContext is a browser context whose waits give up after 15 s (a
  // missing element fails its test, not the whole file's time budget).
  const newContext = async (opts = {}) => {
    const c = await browser.newContext(opts)
    c.setDefaultTimeout(15000)
    return c
  }
  // errorOf is the error slot of a control: the last element its
  // aria-describedby names (what a screen reader reads with the field).
  const errorOf = async (control) => {
    const ids = (await control.getAttribute('aria-describedby')).split(' ')
    return page.locator('#' + ids[ids.length - 1])
  }
  const signIn = async (pg, who) => {
    await pg.goto(sg.base + '/console/')
    await pg.getByLabel('Email').fill(USERS[who].email)
    await pg.getByLabel('Password').fill(USERS[who].password)
    await pg.getByRole('button', { name: 'Sign in' }).click()
    // The chooser lists the user's stacks (GET /v3/stacks without api_key).
    await pg.getByRole('list', { name: 'Your stacks' }).getByRole('button', { name: sg.apiKey }).click()
    await pg.getByRole('heading', { level: 1, name: 'Delivery tokens' }).waitFor()
  }

  before(async () => {
    // Uses are flushed every 200 ms, so the lists show a last use soon.
    sg = await start({ args: ['--last-use-flush-interval', '200ms'] })
    owner = await sg.login('owner')
    // What the choosers offer beyond a new stack's seed: a second language
    // and a branch alias.
    assert.equal((await api('POST', '/v3/locales', { locale: { code: 'fr-fr', name: 'French - France' } })).status, 201)
    assert.equal((await api('PUT', '/v3/stacks/branch_aliases/live', { branch_alias: { target_branch: 'main' } })).status, 200)
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] })
    context = await newContext({ viewport: { width: 1280, height: 900 } })
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: sg.base })
    page = await context.newPage()
    page.on('pageerror', (e) => pageErrors.push(e.message))
  })
  after(async () => {
    if (browser) await browser.close()
    await sg.stop()
    process.stdout.write(`# console screenshots: ${SHOTS}\n`)
  })

  it('serves /console with a strict CSP that blocks inline script', async () => {
    const res = await page.goto(sg.base + '/console/')
    const h = res.headers()
    assert.match(h['content-security-policy'], /script-src 'self'/)
    assert.match(h['content-security-policy'], /frame-ancestors 'none'/)
    assert.equal(h['x-frame-options'], 'DENY')
    assert.equal(h['x-content-type-options'], 'nosniff')
    assert.equal(h['referrer-policy'], 'no-referrer')
    assert.equal(h['cache-control'], 'no-store')
    // An inline script is refused by the page's policy.
    await assert.rejects(page.addScriptTag({ content: 'window.injected = 1' }))
    assert.equal(await page.evaluate(() => window.injected), undefined)
  })

  it('sign in: the session is in sessionStorage, never in localStorage or the URL; sign out clears it', async () => {
    await page.goto(sg.base + '/console/')
    await page.getByRole('heading', { level: 1, name: 'Sign in to stackgate' }).waitFor()
    await shot('sign-in')
    await page.getByLabel('Email').fill(USERS.owner.email)
    await page.getByLabel('Password').fill('wrong-password-1')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('alert').filter({ hasText: 'Looks like your email or password is invalid.' }).waitFor()
    assert.equal(await page.getByLabel('Email').inputValue(), USERS.owner.email) // nothing lost
    await signIn(page, 'owner')
    const storage = await page.evaluate(() => ({ session: JSON.parse(sessionStorage.getItem('stackgate.authtoken')), local: localStorage.length }))
    assert.equal(typeof storage.session, 'string')
    assert.ok(storage.session.length > 10)
    assert.equal(storage.local, 0)
    assert.ok(!page.url().includes(storage.session))
    // The session works against the API: it is a real authtoken.
    assert.equal((await sg.raw('GET', '/v3/user', { authtoken: storage.session })).status, 200)
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('heading', { level: 1, name: 'Sign in to stackgate' }).waitFor()
    assert.equal(await page.evaluate(() => sessionStorage.getItem('stackgate.authtoken')), null)
    assert.equal((await sg.raw('GET', '/v3/user', { authtoken: storage.session })).status, 401) // logged out on the server too
    await signIn(page, 'owner')
  })

  it('an unknown stack api_key: the API error next to the field', async () => {
    await page.goto(sg.base + '/console/stacks')
    await page.getByLabel('Stack API key').fill('bltnosuchstack')
    await page.getByRole('button', { name: 'Open stack' }).click()
    const input = page.getByLabel('Stack API key')
    await (await errorOf(input)).filter({ hasText: 'api_key is not valid.' }).waitFor()
    assert.equal(await input.getAttribute('aria-invalid'), 'true')
    await shot('stacks')
    await page.getByRole('button', { name: /SDK Stack/ }).click()
    await page.getByRole('heading', { level: 1, name: 'Delivery tokens' }).waitFor()
  })

  let site, mtSecret
  it('delivery token with a preview token: created in the browser, both read back through the API', async () => {
    await open('/tokens', 'Delivery tokens')
    const form = page.locator('form').filter({ has: page.getByRole('button', { name: 'Create token' }) })
    await form.getByLabel('Name').fill('site')
    await form.getByLabel('Description').fill('the web site')
    await form.getByRole('group', { name: 'Environments' }).getByLabel('production').check()
    await form.getByRole('group', { name: 'Branches' }).getByLabel('main').check()
    await form.getByRole('group', { name: 'Branch aliases' }).getByLabel('live → main').check()
    await form.getByLabel('Also create a preview token').check()
    await form.getByRole('button', { name: 'Create token' }).click()
    await page.getByRole('heading', { name: 'Tokens (1)' }).waitFor()
    const list = (await api('GET', '/v3/stacks/delivery_tokens')).body.tokens
    assert.equal(list.length, 1)
    site = list[0]
    assert.equal(site.name, 'site')
    assert.equal(site.description, 'the web site')
    assert.match(site.token, TOKEN)
    assert.match(site.preview_token, TOKEN)
    assert.deepEqual(site.scope.map((s) => s.module), ['environment', 'branch', 'branch_alias'])
    assert.deepEqual(site.scope[0].environments.map((e) => e.name), ['production'])
    assert.deepEqual(site.scope[1].branches, ['main'])
    assert.deepEqual(site.scope[2].branch_aliases, ['live'])
    // The page shows both values, each with a copy button.
    const row = page.getByRole('row').filter({ hasText: 'site' })
    await row.getByText(site.token).waitFor()
    await row.getByText(site.preview_token).waitFor()
    await row.getByRole('button', { name: 'Copy delivery token of site' }).waitFor()
    await row.getByRole('button', { name: 'Copy preview token of site' }).click()
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), site.preview_token) // one click copies it
    await shot('delivery-tokens')
  })

  it('a validation error is shown next to its field, and nothing typed is lost', async () => {
    await open('/tokens', 'Delivery tokens')
    const form = page.locator('form').filter({ has: page.getByRole('button', { name: 'Create token' }) })
    await form.getByLabel('Name').fill('site') // taken
    await form.getByLabel('Description').fill('a second site')
    await form.getByRole('group', { name: 'Environments' }).getByLabel('production').check()
    await form.getByRole('group', { name: 'Branches' }).getByLabel('main').check()
    await form.getByRole('button', { name: 'Create token' }).click()
    const name = form.getByLabel('Name')
    await (await errorOf(name)).filter({ hasText: 'name is not unique.' }).waitFor()
    assert.equal(await name.getAttribute('aria-invalid'), 'true')
    assert.ok((await name.getAttribute('aria-describedby')).split(' ').length >= 1)
    await form.getByRole('alert').filter({ hasText: 'Delivery Token creation failed. Please try again.' }).waitFor()
    assert.equal(await form.getByLabel('Description').inputValue(), 'a second site')
    assert.equal(await form.getByRole('group', { name: 'Environments' }).getByLabel('production').isChecked(), true)
    assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.name), 'name') // focus on the field in error
    await shot('validation-error')
    assert.equal((await api('GET', '/v3/stacks/delivery_tokens')).body.tokens.length, 1) // nothing created
    // A scope without a branch: the error lands on the branch pickers.
    await name.fill('site two')
    await form.getByRole('group', { name: 'Branches' }).getByLabel('main').uncheck()
    await form.getByRole('button', { name: 'Create token' }).click()
    await form.getByRole('group', { name: 'Branches' }).locator('.error').filter({ hasText: 'scope.branch_or_alias is a required field.' }).waitFor()
  })

  it('delivery token: edit, delete the preview token, delete with force explained', async () => {
    await open('/tokens', 'Delivery tokens')
    const row = () => page.getByRole('row').filter({ hasText: 'site' })
    await row().getByRole('button', { name: 'Edit site' }).click()
    const form = page.locator('form').filter({ has: page.getByRole('button', { name: 'Save changes' }) })
    assert.equal(await form.getByLabel('Name').inputValue(), 'site')
    await form.getByLabel('Description').fill('the site, edited')
    await form.getByRole('button', { name: 'Save changes' }).click()
    await page.getByRole('heading', { name: 'Create a delivery token' }).waitFor()
    let t = (await api('GET', `/v3/stacks/delivery_tokens/${site.uid}`)).body.token
    assert.equal(t.description, 'the site, edited')
    assert.equal(t.token, site.token) // the value is kept
    assert.deepEqual(t.scope.map((s) => s._metadata.uid), site.scope.map((s) => s._metadata.uid))

    await row().getByRole('button', { name: 'Delete preview token' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Delete preview token' }).click()
    await row().getByRole('button', { name: 'Create preview token' }).waitFor()
    t = (await api('GET', `/v3/stacks/delivery_tokens/${site.uid}`)).body.token
    assert.equal(t.preview_token, undefined)
    await row().getByRole('button', { name: 'Create preview token' }).click()
    await row().getByRole('button', { name: 'Delete preview token' }).waitFor()
    t = (await api('GET', `/v3/stacks/delivery_tokens/${site.uid}`)).body.token
    assert.match(t.preview_token, TOKEN)
    assert.notEqual(t.preview_token, site.preview_token)
    site = t

    // A throwaway token, deleted with force: the dialog says what force does.
    assert.equal((await api('POST', '/v3/stacks/delivery_tokens', { token: { name: 'old', scope: site.scope } })).status, 201)
    await open('/tokens', 'Delivery tokens')
    await page.getByRole('row').filter({ hasText: 'old' }).getByRole('button', { name: 'Delete old' }).click()
    const dialog = page.getByRole('dialog', { name: 'Delete delivery token “old”?' })
    await dialog.getByText('force changes nothing here').waitFor()
    await dialog.getByLabel('Force').check()
    await dialog.getByRole('button', { name: 'Delete token' }).click()
    await page.getByRole('heading', { name: 'Tokens (1)' }).waitFor()
    assert.deepEqual((await api('GET', '/v3/stacks/delivery_tokens')).body.tokens.map((x) => x.name), ['site'])
  })

  it('management token: the secret is shown once with a warning; a reload no longer shows it', async () => {
    await open('/management-tokens', 'Management tokens')
    const form = page.locator('form').filter({ has: page.getByRole('button', { name: 'Create token' }) })
    await form.getByLabel('Name').fill('ci')
    await form.getByLabel('Every module: read').check()
    await form.getByLabel('Every module: write').check()
    await form.getByRole('group', { name: 'Branches' }).getByLabel('main').check()
    const expires = new Date(Date.now() + 30 * 86400e3).toISOString().slice(0, 10)
    await form.getByLabel('Expires on (UTC)').fill(expires)
    await form.getByLabel('E-mail me 7 days before it expires').check()
    await form.getByRole('button', { name: 'Create token' }).click()
    const warning = page.getByRole('alert').filter({ hasText: 'shown only this once' })
    await warning.waitFor()
    const secret = (await warning.locator('#mt-secret').textContent()).trim()
    assert.match(secret, TOKEN)
    mtSecret = secret
    await warning.getByRole('button', { name: 'Copy management token' }).waitFor()
    await shot('management-token-secret')
    // The secret works, and the API never shows it again.
    assert.equal((await sg.raw('GET', '/v3/roles', { authorization: secret })).status, 200)
    const list = (await api('GET', '/v3/stacks/management_tokens')).body.tokens
    assert.equal(list.length, 1)
    assert.equal(list[0].token, undefined)
    assert.equal(list[0].expires_on, expires)
    assert.equal(list[0].is_email_notification_enabled, true)
    assert.deepEqual(list[0].scope.map((s) => [s.module, s.acl]), [['$all', { read: true, write: true }], ['branch', { read: true }]])
    await page.reload()
    await page.getByRole('heading', { level: 1, name: 'Management tokens' }).waitFor()
    await page.getByRole('row').filter({ hasText: 'ci' }).waitFor()
    assert.equal((await page.content()).includes(secret), false)
    assert.equal(await page.evaluate((s) => JSON.stringify(sessionStorage).includes(s) || JSON.stringify(localStorage).includes(s), secret), false)
    await shot('management-tokens')

    // Edit keeps the secret working and changes only what was edited.
    await page.getByRole('button', { name: 'Edit ci' }).click()
    const edit = page.locator('form').filter({ has: page.getByRole('button', { name: 'Save changes' }) })
    await edit.getByLabel('Description').fill('for CI')
    await edit.getByRole('button', { name: 'Save changes' }).click()
    await page.getByRole('heading', { name: 'Create a management token' }).waitFor()
    const t = (await api('GET', `/v3/stacks/management_tokens/${list[0].uid}`)).body.token
    assert.equal(t.description, 'for CI')
    assert.deepEqual(t.scope.map((s) => [s.module, s.acl]), [['$all', { read: true, write: true }], ['branch', { read: true }]])
    assert.equal(t.expires_on, expires)
    assert.equal((await sg.raw('GET', '/v3/roles', { authorization: secret })).status, 200)
    // Rotation is offered on every token (used in its own test below).
    await page.getByRole('button', { name: 'Rotate ci' }).waitFor()
  })

  it('management token: a past expiry date is refused next to its field', async () => {
    await open('/management-tokens', 'Management tokens')
    const form = page.locator('form').filter({ has: page.getByRole('button', { name: 'Create token' }) })
    await form.getByLabel('Name').fill('late')
    await form.getByLabel('Roles: read').check()
    await form.getByRole('group', { name: 'Branches' }).getByLabel('main').check()
    await form.getByLabel('Expires on (UTC)').fill('2020-01-01')
    await form.getByRole('button', { name: 'Create token' }).click()
    await (await errorOf(form.getByLabel('Expires on (UTC)'))).filter({ hasText: 'expires_on must be today or a later date (UTC).' }).waitFor()
    assert.equal(await form.getByLabel('Roles: read').isChecked(), true)
    assert.equal((await api('GET', '/v3/stacks/management_tokens')).body.tokens.length, 1)
  })

  // Every rule module, as the API must return it. Values chosen from the
  // stack (branches, aliases, environments, languages) are picked; the rest
  // are typed.
  const everyModule = [
    { module: 'branch', branches: ['main'], acl: { read: true } },
    { module: 'branch_alias', branch_aliases: ['live'], acl: { read: true } },
    { module: 'content_type', content_types: ['blog'], acl: { read: true, sub_acl: { read: true, create: true, update: true } } },
    { module: 'entry', content_type: 'blog', entries: ['blt_entry_1'], acl: { read: true, update: true } },
    { module: 'asset', assets: ['$all'], acl: { read: true, create: true } },
    { module: 'folder', folders: ['folder_1'], acl: { read: true, sub_acl: { read: true } } },
    { module: 'environment', environments: ['production'], acl: { read: true } },
    { module: 'locale', locales: ['en-us'], acl: { read: true } },
    { module: 'locale', locales: ['fr-fr'], restrict: true, acl: { read: true, sub_acl: { publish: true } } },
    { module: 'taxonomy', taxonomies: ['regions'], terms: ['regions.north'], acl: { read: true, sub_acl: { read: true } }, content_types: [{ uid: '$all', acl: { read: true, sub_acl: { read: true } } }] }
  ]
  let role

  it('roles: a custom role with every module, built in the editor, is what the API returns; saving it unchanged changes nothing', async () => {
    await open('/roles', 'Roles')
    await shot('roles')
    // System roles are read-only.
    await page.getByRole('link', { name: 'Developer' }).click()
    await page.getByRole('heading', { level: 1, name: 'System role “Developer”' }).waitFor()
    assert.equal(await page.getByLabel('Name').isDisabled(), true)
    assert.equal(await page.getByRole('button', { name: 'Save role' }).count(), 0)
    assert.equal(await page.getByRole('button', { name: 'Delete role' }).count(), 0)
    await shot('role-system')

    await open('/roles/new', 'New custom role')
    await page.getByLabel('Name', { exact: true }).fill('Every module')
    await page.getByLabel('Description', { exact: true }).fill('one rule of each module')
    const rule = (i) => page.locator('.rule').nth(i)
    const add = async (module) => {
      await page.getByLabel('Module of the new rule').selectOption(module)
      await page.getByRole('button', { name: 'Add rule' }).click()
      return rule((await page.locator('.rule').count()) - 1)
    }
    const sub = (r) => r.getByRole('group', { name: 'On entries (sub_acl)' })
    const top = (r, right) => r.getByRole('checkbox', { name: right, exact: true }).first()
    // Rule 1, the default: branch main, read.
    assert.equal(await rule(0).getByLabel('main').isChecked(), true)
    let r = await add('branch_alias')
    await r.getByLabel('live → main').check()
    r = await add('content_type')
    await r.getByLabel('Content type uids').fill('blog')
    for (const right of ['read', 'create', 'update']) await sub(r).getByLabel(right, { exact: true }).check()
    r = await add('entry')
    await r.getByLabel('Content type uid of the entries').fill('blog')
    await r.getByLabel('Entry uids').fill('blt_entry_1')
    await top(r, 'update').check()
    r = await add('asset')
    await r.getByLabel('Asset uids').fill('$all')
    await top(r, 'create').check()
    r = await add('folder')
    await r.getByLabel('Folder uids').fill('folder_1')
    await sub(r).getByLabel('read', { exact: true }).check()
    r = await add('environment')
    await r.getByLabel('production').check()
    r = await add('locale')
    await r.getByLabel('(en-us)').check()
    r = await add('locale')
    await r.getByLabel('(fr-fr)').check()
    await r.getByLabel(/Exceptions/).check()
    await sub(r).getByLabel('publish', { exact: true }).check()
    r = await add('taxonomy')
    await r.getByLabel('Taxonomy uids').fill('regions')
    await r.getByLabel('Terms (taxonomy.term)').fill('regions.north')
    await sub(r).first().getByLabel('read', { exact: true }).check()
    await r.getByRole('button', { name: 'Add content type' }).click()
    const ct = r.getByRole('group', { name: 'Rights on its tagged entries' })
    await ct.getByRole('group', { name: 'On entries (sub_acl)' }).getByLabel('read', { exact: true }).check()
    await shot('role-editor')
    await page.getByRole('button', { name: 'Create role' }).click()
    await page.getByRole('heading', { level: 1, name: 'Role “Every module”' }).waitFor()

    const roles = (await api('GET', '/v3/roles?include_rules=true')).body.roles
    role = roles.find((x) => x.name === 'Every module')
    assert.ok(role, 'the role exists')
    assert.equal(role.description, 'one rule of each module')
    assert.deepEqual(role.rules, everyModule)

    // The editor on the saved role, saved untouched: the API's rules come back as they were.
    await page.reload()
    await page.getByRole('heading', { level: 1, name: 'Role “Every module”' }).waitFor()
    assert.equal(await page.locator('.rule').count(), everyModule.length)
    await page.getByRole('button', { name: 'Save role' }).click()
    await page.getByRole('status').filter({ hasText: 'Role “Every module” saved.' }).waitFor()
    const again = (await api('GET', `/v3/roles/${role.uid}?include_rules=true`)).body.role
    assert.deepEqual(again.rules, everyModule)
  })

  it('roles: a role without a branch rule is refused next to the rules, and the editor keeps it', async () => {
    await open('/roles/new', 'New custom role')
    await page.getByLabel('Name', { exact: true }).fill('No branch')
    await page.locator('.rule').nth(0).getByRole('button', { name: 'Remove rule' }).click()
    await page.getByLabel('Module of the new rule').selectOption('asset')
    await page.getByRole('button', { name: 'Add rule' }).click()
    await page.getByLabel('Asset uids').fill('$all')
    await page.getByRole('button', { name: 'Create role' }).click()
    await page.getByRole('group', { name: 'Rules' }).locator('.error').filter({ hasText: 'rules.branch is a required field.' }).first().waitFor()
    assert.equal(await page.getByLabel('Asset uids').inputValue(), '$all')
    assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'No branch')
  })

  it('users: the developer gets only the custom role', async () => {
    await open('/users', 'Users and their roles')
    const roles = page.getByRole('group', { name: `Roles of ${USERS.developer.email}` })
    await roles.getByLabel('Developer').uncheck()
    await roles.getByLabel('Every module').check()
    await page.getByRole('button', { name: `Save roles of ${USERS.developer.email}` }).click()
    await page.getByRole('status').filter({ hasText: `Roles of ${USERS.developer.email} saved.` }).waitFor()
    const stack = (await api('GET', '/v3/stacks?include_collaborators=true')).body.stack
    const dev = stack.collaborators.find((c) => c.email === USERS.developer.email)
    assert.deepEqual(dev.roles.map((x) => x.uid), [role.uid])
    // Invitations (POST /v3/stacks/share): a bad address is refused next to
    // the field; a good one is invited with the chosen roles.
    const emails = page.getByLabel('E-mail addresses')
    await emails.fill('not an address')
    await page.getByRole('group', { name: 'Roles of the invitees' }).getByLabel('Every module').check()
    await page.getByRole('button', { name: 'Invite' }).click()
    await (await errorOf(emails)).filter({ hasText: 'emails' }).waitFor()
    assert.equal(await emails.inputValue(), 'not an address')
    await emails.fill('new@example.com')
    await page.getByRole('button', { name: 'Invite' }).click()
    await page.getByRole('status').filter({ hasText: 'Invited new@example.com.' }).waitFor()
    await shot('users')
  })

  const explain = async ({ credential, path: p, environment, locale }) => {
    await open('/explain', 'Explain a decision')
    await page.getByLabel('Credential', { exact: true }).selectOption({ label: credential })
    await page.getByLabel('Path').fill(p)
    if (environment !== undefined) await page.getByLabel('Environment').selectOption(environment)
    if (locale !== undefined) await page.getByLabel('Locale').selectOption(locale)
    await page.getByRole('button', { name: 'Explain' }).click()
    const v = page.locator('.verdict')
    await v.waitFor()
    const entry = v.locator('.rule-entry')
    return { heading: await v.getByRole('heading').textContent(), rule: await v.locator('.rule-words').textContent(),
      entry: (await entry.count()) ? JSON.parse(await entry.textContent()) : null, text: await v.textContent() }
  }

  it('explain: a delivery token allowed in its environment and denied in another, with the scope entry in words', async () => {
    assert.equal((await api('POST', '/v3/environments', { environment: { name: 'staging', urls: [] } })).status, 201)
    let v = await explain({ credential: 'Delivery token “site”', path: '/v3/content_types/blog/entries', environment: 'production' })
    assert.equal(v.heading, 'Allowed (200)')
    assert.equal(v.rule, 'Allowed by scope entry 1 (module environment) of the delivery token.')
    assert.deepEqual(v.entry, { module: 'environment', environments: ['production'], acl: { read: true } })
    assert.match(v.text, /GET \/v3\/content_types\/\{content_type_uid\}\/entries/)
    await shot('explain-allowed')
    v = await explain({ credential: 'Delivery token “site”', path: '/v3/content_types/blog/entries', environment: 'staging' })
    assert.equal(v.heading, 'Denied (403)')
    assert.equal(v.rule, 'No rule or scope entry allows this request.')
    assert.equal(v.entry, null)
    // A pasted management token: its scope entry, quoted.
    await open('/explain', 'Explain a decision')
    await page.getByLabel('Credential', { exact: true }).selectOption({ label: 'A management token (paste its value)' })
    await page.getByLabel('Credential value').fill(mtSecret)
    await page.getByLabel('Method').selectOption('POST')
    await page.getByLabel('Path').fill('/v3/content_types')
    await page.getByRole('button', { name: 'Explain' }).click()
    const mt = page.locator('.verdict')
    await mt.getByRole('heading', { name: 'Allowed (200)' }).waitFor()
    assert.equal(await mt.locator('.rule-words').textContent(), 'Allowed by scope entry 1 (module $all) of the management token.')
    assert.deepEqual(JSON.parse(await mt.locator('.rule-entry').textContent()), { module: '$all', acl: { read: true, write: true } })
    assert.match(v.text, /environment not in the token's scope/)
  })

  it('explain: a user allowed by one rule of a custom role and refused by another', async () => {
    const dev = await newContext()
    const saved = page
    page = await dev.newPage()
    try {
      await signIn(page, 'developer')
      let v = await explain({ credential: `My session (${USERS.developer.email})`, path: '/v3/content_types/blog/entries', locale: 'en-us' })
      assert.equal(v.heading, 'Allowed (200)')
      assert.equal(v.rule, 'Allowed by rule 3 (module content_type) of the custom role “Every module”.')
      assert.deepEqual(v.entry, everyModule[2])
      assert.ok(v.text.includes(`Credential: you (${USERS.developer.email})`), v.text)
      v = await explain({ credential: `My session (${USERS.developer.email})`, path: '/v3/content_types/blog/entries', locale: 'fr-fr' })
      assert.equal(v.heading, 'Denied (403)')
      assert.equal(v.rule, 'Refused by rule 8 (module locale) of the custom role “Every module”.')
      assert.deepEqual(v.entry, everyModule[7])
      await shot('explain-denied')
      // The README's picture (docs/console.png) is this page:
      // STACKGATE_CONSOLE_README_SHOT=../docs/console.png npm test console
      if (process.env.STACKGATE_CONSOLE_README_SHOT) {
        await page.setViewportSize({ width: 960, height: 640 })
        await page.screenshot({ path: process.env.STACKGATE_CONSOLE_README_SHOT, fullPage: true })
      }
    } finally {
      await dev.close()
      page = saved
    }
  })

  it('keyboard only: sign in, open a dialog, Escape closes it and changes nothing', async () => {
    const kb = await newContext()
    const saved = page
    page = await kb.newPage()
    try {
      await page.goto(sg.base + '/console/')
      await page.getByLabel('Email').focus()
      await page.keyboard.type(USERS.owner.email)
      await page.keyboard.press('Tab')
      assert.equal(await page.evaluate(() => document.activeElement.name), 'password')
      await page.keyboard.type(USERS.owner.password)
      await page.keyboard.press('Enter')
      await page.getByLabel('Stack API key').focus()
      await page.keyboard.type(sg.apiKey)
      await page.keyboard.press('Enter')
      await page.getByRole('heading', { level: 1, name: 'Delivery tokens' }).waitFor()
      await page.getByRole('button', { name: 'Delete site' }).focus()
      await page.keyboard.press('Enter')
      const dialog = page.getByRole('dialog')
      await dialog.waitFor()
      assert.equal(await page.evaluate(() => !!document.activeElement.closest('dialog')), true) // focus moved into it
      await page.keyboard.press('Escape')
      await dialog.waitFor({ state: 'detached' })
      assert.deepEqual((await api('GET', '/v3/stacks/delivery_tokens')).body.tokens.map((x) => x.name), ['site'])
    } finally {
      await kb.close()
      page = saved
    }
  })

  // cda asks the gate whether a delivery token may read the blog entries of
  // production (what nginx's auth_request in front of the CDA would ask).
  const cda = async (token) => (await sg.raw('GET', '/gate/auth?api=cda', {
    access_token: token, 'x-original-method': 'GET', 'x-original-uri': '/v3/content_types/blog/entries?environment=production' })).status
  const rotateIn = async (button, grace) => {
    await page.getByRole('button', { name: button }).click()
    const dialog = page.getByRole('dialog')
    if (grace !== undefined) await dialog.getByLabel('Grace period (seconds)').fill(String(grace))
    const reply = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname.endsWith('/rotate'))
    await dialog.getByRole('button', { name: 'Rotate' }).click()
    const res = await reply
    return { path: new URL(res.url()).pathname, sent: JSON.parse(res.request().postData()), status: res.status(), body: await res.json() }
  }

  it('delivery token rotated in the browser with a grace window: both values work during it, the reply has the new value and its end', async () => {
    await open('/tokens', 'Delivery tokens')
    const cell = (label) => page.getByRole('row').filter({ hasText: 'site' }).locator(`td[data-label="${label}"]`)
    assert.equal(await cell('Expires').textContent(), 'never')
    // A use through the gate is the list's last use once flushed (200 ms here);
    // an earlier test's use may be flushed already, so wait for this one's.
    const usedFrom = Date.now() - 1000
    assert.equal(await cda(site.token), 200)
    let used
    for (let i = 0; i < 50 && !(used && Date.parse(used) >= usedFrom); i++) {
      used = (await api('GET', `/v3/stacks/delivery_tokens/${site.uid}`)).body.token.last_used_at
      if (!(used && Date.parse(used) >= usedFrom)) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    assert.ok(used, 'no last_used_at after 5 s')
    await open('/tokens', 'Delivery tokens')
    const shown = new Date(used).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }) + ' UTC'
    assert.ok((await cell('Last used').textContent()).startsWith(shown + 'preview: '), await cell('Last used').textContent())
    const before = Date.now()
    const r = await rotateIn('Rotate site', 3600)
    assert.equal(r.path, `/v3/stacks/delivery_tokens/${site.uid}/rotate`)
    assert.deepEqual(r.sent, { grace_period_seconds: 3600 })
    assert.equal(r.status, 200)
    assert.equal(r.body.notice, 'Delivery Token rotated successfully.')
    assert.equal(r.body.token.uid, site.uid)
    assert.match(r.body.token.token, TOKEN)
    assert.notEqual(r.body.token.token, site.token)
    assert.equal(r.body.token.preview_token, site.preview_token) // its preview token is untouched
    const until = Date.parse(r.body.previous_token_expires_at)
    assert.ok(until >= before + 3599e3 && until <= Date.now() + 3601e3, r.body.previous_token_expires_at)
    // The page says until when the old value works, and lists the new one.
    const notice = page.locator('.notice').filter({ hasText: 'The delivery token of “site” was rotated.' })
    await notice.waitFor()
    assert.equal(await notice.locator('.previous-expires').textContent(),
      new Date(until).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }) + ' UTC')
    await page.getByRole('row').filter({ hasText: 'site' }).getByText(r.body.token.token).waitFor()
    // Through the API: the new value is the token's, and both values work.
    assert.equal((await api('GET', `/v3/stacks/delivery_tokens/${site.uid}`)).body.token.token, r.body.token.token)
    assert.equal(await cda(r.body.token.token), 200)
    assert.equal(await cda(site.token), 200)
    await shot('delivery-token-rotated')
    // Rotating again with no grace ends the previous window: both old values die.
    const again = await rotateIn('Rotate site', 0)
    assert.equal(again.body.previous_token_expires_at, null)
    await page.locator('.notice').filter({ hasText: 'The previous value no longer works.' }).waitFor()
    assert.equal(await cda(again.body.token.token), 200)
    assert.equal(await cda(r.body.token.token), 401)
    assert.equal(await cda(site.token), 401)
    // The preview token, no grace: a new value at once.
    const p = await rotateIn('Rotate preview token of site')
    assert.equal(p.path, `/v3/stacks/delivery_tokens/${site.uid}/preview_token/rotate`)
    assert.deepEqual(p.sent, { grace_period_seconds: 0 })
    assert.notEqual(p.body.token.preview_token, site.preview_token)
    assert.equal((await api('GET', `/v3/stacks/delivery_tokens/${site.uid}`)).body.token.preview_token, p.body.token.preview_token)
    site = (await api('GET', `/v3/stacks/delivery_tokens/${site.uid}`)).body.token
  })

  it('delivery token expiry: set at edit, listed, and cleared again', async () => {
    await open('/tokens', 'Delivery tokens')
    await page.getByRole('button', { name: 'Edit site' }).click()
    const form = page.locator('form').filter({ has: page.getByRole('button', { name: 'Save changes' }) })
    await form.getByLabel('Expires on (UTC)').fill('2099-12-31')
    await form.getByRole('button', { name: 'Save changes' }).click()
    await page.getByRole('heading', { name: 'Create a delivery token' }).waitFor()
    assert.equal((await api('GET', `/v3/stacks/delivery_tokens/${site.uid}`)).body.token.expires_on, '2099-12-31')
    await page.getByRole('row').filter({ hasText: 'site' }).getByRole('cell', { name: '2099-12-31 (end of day, UTC)' }).waitFor()
    await page.getByRole('button', { name: 'Edit site' }).click()
    assert.equal(await form.getByLabel('Expires on (UTC)').inputValue(), '2099-12-31')
    await form.getByLabel('Expires on (UTC)').fill('')
    await form.getByRole('button', { name: 'Save changes' }).click()
    await page.getByRole('heading', { name: 'Create a delivery token' }).waitFor()
    assert.equal((await api('GET', `/v3/stacks/delivery_tokens/${site.uid}`)).body.token.expires_on, undefined)
  })

  it('management token rotated in the browser: the new secret shown once with the warning and the end of the old one; both work in the window', async () => {
    const mt = (await api('GET', '/v3/stacks/management_tokens')).body.tokens.find((t) => t.name === 'ci')
    await open('/management-tokens', 'Management tokens')
    await page.getByRole('columnheader', { name: 'Last used' }).waitFor()
    const r = await rotateIn('Rotate ci', 120)
    assert.equal(r.path, `/v3/stacks/management_tokens/${mt.uid}/rotate`)
    assert.deepEqual(r.sent, { grace_period_seconds: 120 })
    assert.equal(r.status, 200)
    assert.match(r.body.token.token, TOKEN)
    assert.ok(Date.parse(r.body.previous_token_expires_at) > Date.now() + 100e3)
    const warning = page.getByRole('alert').filter({ hasText: 'shown only this once' })
    await warning.getByRole('heading', { name: 'Management token “ci” rotated' }).waitFor()
    const secret = (await warning.locator('#mt-secret').textContent()).trim()
    assert.equal(secret, r.body.token.token)
    assert.notEqual(secret, mtSecret)
    await warning.locator('.previous-expires').waitFor()
    await warning.getByRole('button', { name: 'Copy management token' }).waitFor()
    await shot('management-token-rotated')
    assert.equal((await sg.raw('GET', '/v3/roles', { authorization: secret })).status, 200)
    assert.equal((await sg.raw('GET', '/v3/roles', { authorization: mtSecret })).status, 200) // the old one, in its window
    assert.equal((await api('GET', `/v3/stacks/management_tokens/${mt.uid}`)).body.token.token, undefined)
    await page.reload()
    await page.getByRole('heading', { level: 1, name: 'Management tokens' }).waitFor()
    await page.getByRole('row').filter({ hasText: 'ci' }).waitFor()
    assert.equal((await page.content()).includes(secret), false)
    // The last use of the token, once the server has flushed it (≤ 10 s).
    mtSecret = secret
  })

  const auditRows = async () => {
    const rows = page.locator('section table tbody tr')
    const out = []
    for (let i = 0; i < await rows.count(); i++) {
      const cells = await rows.nth(i).locator('td').allTextContents()
      out.push({ module: cells[1], event: cells[2], by: cells[3], object: cells[4] })
    }
    return out
  }
  const filterAudit = async (set) => {
    for (const [label, value] of Object.entries(set)) {
      const control = page.getByLabel(label, { exact: true })
      if (label.startsWith('From') || label.startsWith('To')) await control.fill(value)
      else await control.selectOption(value)
    }
    const reply = page.waitForResponse((r) => new URL(r.url()).pathname === '/v3/audit-logs')
    await page.getByRole('button', { name: 'Filter' }).click()
    const res = await reply
    await page.locator('section table caption').filter({ hasText: /entries/ }).waitFor()
    return { query: new URL(res.url()).searchParams.get('query'), count: (await res.json()).count }
  }

  it('audit log: the actions done in the console are there; filtered by module, user and date on the server', async () => {
    await page.getByRole('link', { name: 'Audit log' }).click()
    await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor()
    await page.locator('section table caption').filter({ hasText: /entries/ }).waitFor()
    let rows = await auditRows()
    // Newest first: the rotations and edits just made in the browser, by the owner.
    assert.deepEqual(rows.slice(0, 3), [
      { module: 'management_token', event: 'rotate', by: USERS.owner.email, object: 'ci' },
      { module: 'delivery_token', event: 'update', by: USERS.owner.email, object: 'site' }, // expiry cleared
      { module: 'delivery_token', event: 'update', by: USERS.owner.email, object: 'site' } // expiry set
    ])
    assert.ok(rows.some((x) => x.module === 'preview_token' && x.event === 'rotate'), JSON.stringify(rows.slice(0, 8)))
    assert.equal(rows.filter((x) => x.module === 'delivery_token' && x.event === 'rotate').length, 2)
    await shot('audit')

    let f = await filterAudit({ Module: 'role' })
    assert.deepEqual(JSON.parse(f.query), { module: 'role' })
    rows = await auditRows()
    assert.ok(rows.length >= 1)
    assert.ok(rows.every((x) => x.module === 'role'), JSON.stringify(rows))
    assert.equal(rows.length, f.count)
    assert.equal((await api('GET', '/v3/audit-logs?include_count=true&query=' + encodeURIComponent(f.query))).body.count, f.count)

    const dev = (await api('GET', '/v3/stacks?include_collaborators=true')).body.stack.collaborators.find((u) => u.email === USERS.developer.email)
    f = await filterAudit({ Module: '', 'User or token': USERS.developer.email })
    assert.deepEqual(JSON.parse(f.query), { created_by: dev.uid })
    rows = await auditRows()
    assert.ok(rows.length >= 1) // the developer's logins
    assert.ok(rows.every((x) => x.by === USERS.developer.email), JSON.stringify(rows))

    const today = new Date().toISOString().slice(0, 10)
    const tomorrow = new Date(Date.now() + 86400e3).toISOString().slice(0, 10)
    f = await filterAudit({ 'User or token': '', Module: 'delivery_token', 'From (UTC)': today, 'To (UTC)': today })
    assert.deepEqual(JSON.parse(f.query), { module: 'delivery_token', created_at: { $gte: today + 'T00:00:00.000Z', $lte: today + 'T23:59:59.999Z' } })
    assert.ok(f.count >= 4)
    f = await filterAudit({ 'From (UTC)': tomorrow, 'To (UTC)': '' })
    assert.equal(f.count, 0)
    await page.locator('section table caption').filter({ hasText: '0 entries' }).waitFor()
  })

  it('users: a member removed from the stack in the browser loses it at once', async () => {
    const admin = await sg.login('admin')
    assert.equal((await sg.raw('GET', '/v3/roles', { authtoken: admin.authtoken })).status, 200)
    await open('/users', 'Users and their roles')
    // The owner has no remove button.
    assert.equal(await page.getByRole('button', { name: `Remove ${USERS.owner.email} from the stack` }).count(), 0)
    await page.getByRole('button', { name: `Remove ${USERS.admin.email} from the stack` }).click()
    const dialog = page.getByRole('dialog', { name: `Remove ${USERS.admin.email} from the stack?` })
    await dialog.getByRole('button', { name: 'Remove from stack' }).click()
    await page.getByRole('status').filter({ hasText: `${USERS.admin.email} was removed from the stack.` }).waitFor()
    await page.getByRole('button', { name: `Remove ${USERS.admin.email} from the stack` }).waitFor({ state: 'detached' })
    const members = (await api('GET', '/v3/stacks?include_collaborators=true')).body.stack.collaborators.map((u) => u.email)
    assert.ok(!members.includes(USERS.admin.email), members.join(', '))
    assert.equal((await sg.raw('GET', '/v3/roles', { authtoken: admin.authtoken })).status, 403)
    const log = (await api('GET', '/v3/audit-logs?query=' + encodeURIComponent('{"module":"stack_user","event_type":"unshare"}'))).body.logs
    assert.equal(log.length, 1)
  })

  it('narrow screen: no page scrolls sideways', async () => {
    const narrow = await newContext({ viewport: { width: 360, height: 740 } })
    const saved = page
    page = await narrow.newPage()
    try {
      await signIn(page, 'owner')
      for (const [p, heading] of [['/tokens', 'Delivery tokens'], ['/management-tokens', 'Management tokens'], ['/roles/new', 'New custom role'], ['/users', 'Users and their roles'], ['/audit', 'Audit log'], ['/explain', 'Explain a decision']]) {
        await open(p, heading)
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
        assert.ok(overflow <= 0, `${p} scrolls sideways by ${overflow}px`)
      }
      await shot('narrow-explain')
    } finally {
      await narrow.close()
      page = saved
    }
  })

  it('axe-core: no violations on any page', async () => {
    // axe is injected by Playwright, which the page's CSP would block: this
    // context alone bypasses it.
    const ctx = await newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } })
    const saved = page
    page = await ctx.newPage()
    const check = async (name) => {
      await page.addScriptTag({ path: AXE })
      const res = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }))
      const found = res.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`)
      assert.deepEqual(found, [], `${name}: axe violations`)
    }
    try {
      await page.goto(sg.base + '/console/')
      await page.getByRole('heading', { level: 1, name: 'Sign in to stackgate' }).waitFor()
      await check('sign in')
      await page.getByLabel('Email').fill(USERS.owner.email)
      await page.getByLabel('Password').fill(USERS.owner.password)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.getByRole('heading', { level: 1, name: 'Choose a stack' }).waitFor()
      await check('choose a stack')
      await page.getByLabel('Stack API key').fill(sg.apiKey)
      await page.getByRole('button', { name: 'Open stack' }).click()
      await page.getByRole('heading', { level: 1, name: 'Delivery tokens' }).waitFor() // the stack is chosen
      for (const [p, heading] of [['/tokens', 'Delivery tokens'], ['/management-tokens', 'Management tokens'], ['/roles', 'Roles'],
        ['/roles/new', 'New custom role'], [`/roles/${role.uid}`, 'Role “Every module”'], ['/users', 'Users and their roles'], ['/audit', 'Audit log'],
        ['/explain', 'Explain a decision']]) {
        await open(p, heading)
        await check(p)
      }
      // With an error and a verdict showing.
      await page.getByRole('button', { name: 'Explain' }).click()
      await page.locator('.verdict').waitFor()
      await check('explain with a verdict')
      await open('/tokens', 'Delivery tokens')
      await page.getByRole('button', { name: 'Create token' }).click()
      await page.locator('.form-error').filter({ hasText: 'failed' }).waitFor()
      await check('tokens with errors')
      await page.getByRole('button', { name: 'Delete site' }).click()
      await page.getByRole('dialog').waitFor()
      await check('delete dialog')
      await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click()
      // Rotation: its dialog, and the notice with the old value's end.
      await rotateIn('Rotate preview token of site', 60).then(() => page.getByRole('dialog').waitFor({ state: 'detached' }))
      await page.locator('.notice .previous-expires').waitFor()
      await check('delivery token rotated')
      await page.getByRole('button', { name: 'Rotate site' }).click()
      await page.getByRole('dialog').waitFor()
      await check('rotate dialog')
      await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click()
      await open('/management-tokens', 'Management tokens')
      await rotateIn('Rotate ci', 60)
      await page.getByRole('alert').filter({ hasText: 'shown only this once' }).locator('.previous-expires').waitFor()
      await check('management token rotated')
      await open('/audit', 'Audit log')
      await filterAudit({ Module: 'stack_user', 'From (UTC)': new Date().toISOString().slice(0, 10) })
      await check('audit filtered')
      await open('/users', 'Users and their roles')
      await page.getByRole('button', { name: `Remove ${USERS.cm.email} from the stack` }).click()
      await page.getByRole('dialog').waitFor()
      await check('unshare dialog')
      await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click()
    } finally {
      await ctx.close()
      page = saved
    }
  })

  it('no script error on any page', () => {
    assert.deepEqual(pageErrors, [])
  })
})
