// Management tokens through stack.managementToken(), and used as credentials
// by the SDK both ways it sends them (spec §2, §4).
'use strict'
const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { start, refused, branchScope, TOKEN } = require('./harness')

const all = { module: '$all', acl: { read: true, write: true } }
const SYSTEM = ['Admin', 'Content Manager', 'Developer']

describe('management tokens', () => {
  let sg, owner, stack, created, expires
  before(async () => {
    sg = await start()
    owner = await sg.login('owner')
    stack = owner.stack
  })
  after(() => sg.stop())

  it('create: $all + branch main, expires_on 30 days ahead as ISO → 201, secret cs…, expires_on YYYY-MM-DD', async () => {
    expires = new Date(Date.now() + 30 * 864e5)
    created = await stack.managementToken().create({ token: { name: 'ci', description: 'for CI', scope: [all, branchScope()], expires_on: expires.toISOString(), is_email_notification_enabled: true } })
    const res = owner.wire.last()
    assert.equal(res.status, 201)
    assert.equal(res.data.notice, 'Management Token created successfully.')
    assert.match(created.uid, /^blt/)
    assert.match(created.token, TOKEN)
    assert.match(created.expires_on, /^\d{4}-\d{2}-\d{2}$/)
    assert.equal(created.expires_on, expires.toISOString().slice(0, 10))
    assert.equal('type' in created, false) // no management-token sample has one
    assert.equal(created.name, 'ci')
    assert.equal(created.description, 'for CI')
    assert.equal(created.is_email_notification_enabled, true)
    assert.deepEqual(created.scope.map((s) => s.module), ['$all', 'branch'])
    assert.deepEqual(created.scope[0].acl, { read: true, write: true })
    for (const entry of created.scope) assert.equal('_metadata' in entry, false) // nor scope _metadata
  })

  it('fetch and list never show the secret token', async () => {
    const t = await stack.managementToken(created.uid).fetch()
    assert.equal(t.uid, created.uid)
    assert.equal(t.name, 'ci')
    assert.equal(t.expires_on, created.expires_on)
    assert.equal('type' in t, false)
    assert.equal('token' in t, false)
    assert.equal('token' in owner.wire.last().data.token, false)
    const list = await stack.managementToken().query().find()
    assert.equal(list.items.length, 1)
    assert.equal(list.items[0].uid, created.uid)
    assert.equal('token' in list.items[0], false)
    for (const item of owner.wire.last().data.tokens) assert.equal('token' in item, false)
  })

  it('is used through stack({api_key, management_token}): role().fetchAll() lists the system roles', async () => {
    const tokenStack = sg.tokenStack(created.token, 'management_token')
    const roles = await tokenStack.role().fetchAll()
    for (const name of SYSTEM) assert.ok(roles.items.some((r) => r.name === name), name)
    assert.ok(roles.items.length >= 3)
  })

  it('is used through client({authorization}).stack({api_key}): role().fetchAll() lists the system roles', async () => {
    const roles = await sg.tokenStack(created.token, 'authorization').role().fetchAll()
    for (const name of SYSTEM) assert.ok(roles.items.some((r) => r.name === name), name)
  })

  it('with $all write it can create and delete a role', async () => {
    const tokenStack = sg.tokenStack(created.token)
    const role = await tokenStack.role().create({ role: { name: 'made by a token', rules: [branchScope()] } })
    assert.equal(role.name, 'made by a token')
    assert.equal((await tokenStack.role(role.uid).delete()).notice, 'The role deleted successfully.')
  })

  it('cannot manage management tokens itself: 403 / 316', async () => {
    const e = await refused(() => sg.tokenStack(created.token).managementToken().query().find())
    assert.equal(e.status, 403)
    assert.equal(e.errorCode, 316)
  })

  it('a read-only role scope reads roles but may not write them: 403 / 316', async () => {
    const ro = await stack.managementToken().create({ token: { name: 'roles read', scope: [{ module: 'role', acl: { read: true } }, branchScope()] } })
    assert.equal(ro.expires_on, null)
    const tokenStack = sg.tokenStack(ro.token)
    assert.equal((await tokenStack.role().fetchAll()).items.length, 3)
    const e = await refused(() => tokenStack.role().create({ role: { name: 'nope', rules: [branchScope()] } }))
    assert.equal(e.status, 403)
    assert.equal(e.errorCode, 316)
    await stack.managementToken(ro.uid).delete()
  })

  it('update: fetch, change name, update() → new name, no secret, same expiry and scope', async () => {
    const t = await stack.managementToken(created.uid).fetch()
    t.name = 'ci (renamed)'
    const u = await t.update()
    const res = owner.wire.last()
    assert.equal(res.status, 200)
    assert.equal(res.data.notice, 'Management Token updated successfully.')
    assert.equal(u.name, 'ci (renamed)')
    assert.equal('token' in res.data.token, false)
    assert.equal(u.expires_on, created.expires_on)
    assert.deepEqual(u.scope, created.scope)
    assert.equal((await stack.managementToken(created.uid).fetch()).name, 'ci (renamed)')
    // The secret still works after an update.
    assert.equal((await sg.tokenStack(created.token).role().fetchAll()).items.length, 3)
  })

  it('refuses a duplicate name: 422, errors.name', async () => {
    const e = await refused(() => stack.managementToken().create({ token: { name: 'ci (renamed)', scope: [all, branchScope()] } }))
    assert.equal(e.status, 422)
    assert.equal(e.errorCode, 141)
    assert.deepEqual(e.errors.name, ['is not unique.'])
  })

  it('delete: notice, and the deleted token is refused on its next use: 401 / 105', async () => {
    const res = await stack.managementToken(created.uid).delete()
    assert.equal(res.notice, 'Management Token deleted successfully.')
    for (const how of ['management_token', 'authorization']) {
      const e = await refused(() => sg.tokenStack(created.token, how).role().fetchAll())
      assert.equal(e.status, 401, how)
      assert.equal(e.errorCode, 105, how)
    }
    const e = await refused(() => stack.managementToken(created.uid).fetch())
    assert.equal(e.status, 422)
    assert.equal(e.errorCode, 141)
  })

  it('refuses an expires_on in the past (2020-01-01) at create: 422', async () => {
    const e = await refused(() => stack.managementToken().create({ token: { name: 'old', scope: [all, branchScope()], expires_on: '2020-01-01' } }))
    assert.equal(e.status, 422)
    assert.equal(e.errorCode, 141)
    assert.ok('expires_on' in e.errors)
  })

  it('expires_on is the last UTC date it works: yesterday (UTC) refused at create (422); today accepted, the token works and says when it stops', async () => {
    const day = 864e5
    const today = new Date().toISOString().slice(0, 10)
    const yesterday = new Date(Date.now() - day).toISOString().slice(0, 10)
    const e = await refused(() => stack.managementToken().create({ token: { name: 'yesterday', scope: [all, branchScope()], expires_on: yesterday } }))
    assert.equal(e.status, 422)
    assert.ok('expires_on' in e.errors)
    const t = await stack.managementToken().create({ token: { name: 'today', scope: [all, branchScope()], expires_on: today } })
    assert.equal(t.expires_on, today)
    assert.equal((await sg.tokenStack(t.token).role().fetchAll()).items.length, 3)
    const r = await sg.raw('GET', '/v3/roles', { authorization: t.token })
    assert.equal(r.status, 200)
    assert.equal(r.headers.get('x-stackgate-token-expires'), new Date(Date.parse(today + 'T00:00:00Z') + day).toISOString().replace('.000Z', 'Z'))
    await stack.managementToken(t.uid).delete()
  })

  it('refuses a scope without branch: 422, errors["scope.branch_or_alias"]', async () => {
    const e = await refused(() => stack.managementToken().create({ token: { name: 'nb', scope: [{ module: 'content_type', acl: { read: true, write: true } }] } }))
    assert.equal(e.status, 422)
    assert.equal(e.errorCode, 141)
    assert.deepEqual(e.errors['scope.branch_or_alias'], ['is a required field.'])
  })

  it('refuses a Developer and a Content Manager: 403 / 316; an Admin may', async () => {
    for (const who of ['developer', 'cm']) {
      const s = (await sg.login(who)).stack
      let e = await refused(() => s.managementToken().create({ token: { name: who, scope: [all, branchScope()] } }))
      assert.equal(e.status, 403, who)
      assert.equal(e.errorCode, 316, who)
      e = await refused(() => s.managementToken().query().find())
      assert.equal(e.status, 403, who)
      assert.equal(e.errorCode, 316, who)
    }
    const admin = (await sg.login('admin')).stack
    const t = await admin.managementToken().create({ token: { name: 'by admin', scope: [all, branchScope()] } })
    assert.match(t.token, TOKEN)
    await admin.managementToken(t.uid).delete()
  })

  it('refuses an unknown token and a Bearer value: 401 / 105', async () => {
    for (const secret of ['cs0123456789abcdef01234567', 'Bearer cs0123456789abcdef01234567']) {
      const e = await refused(() => sg.tokenStack(secret, 'authorization').role().fetchAll())
      assert.equal(e.status, 401, secret)
      assert.equal(e.errorCode, 105, secret)
    }
  })

  it('branch scope: a token for branch dev is refused on main (403 / 901) and works with stack({branch_uid:"dev"}); roles are stack-wide', async () => {
    await stack.branch().create({ branch: { uid: 'dev', source: 'main' } })
    const t = await stack.managementToken().create({ token: { name: 'dev only', scope: [all, branchScope('dev')] } })
    const e = await refused(() => sg.tokenStack(t.token).branch('main').fetch())
    assert.equal(e.status, 403)
    assert.equal(e.errorCode, 901)
    assert.equal((await sg.tokenStack(t.token, 'management_token', { branch_uid: 'dev' }).branch('dev').fetch()).uid, 'dev')
    // Roles are the stack's, not a branch's: reached on main and on dev.
    assert.equal((await sg.tokenStack(t.token).role().fetchAll()).items.length, 3)
    assert.equal((await sg.tokenStack(t.token, 'management_token', { branch_uid: 'dev' }).role().fetchAll()).items.length, 3)
    await stack.managementToken(t.uid).delete()
  })

  it('the limit of 10 per stack holds under 15 concurrent creates: 422, errors.token', async () => {
    const c = sg.client({ maxRequests: 15 })
    await c.login({ email: 'owner@example.com', password: 'owner-password-1' })
    const s = c.stack({ api_key: sg.apiKey })
    const before = (await s.managementToken().query().find()).items.length
    const results = await Promise.allSettled(Array.from({ length: 15 }, (_, i) =>
      s.managementToken().create({ token: { name: `bulk ${i}`, scope: [all, branchScope()] } })))
    const ok = results.filter((r) => r.status === 'fulfilled').length
    assert.equal(ok, 10 - before)
    for (const r of results.filter((x) => x.status === 'rejected')) {
      assert.equal(r.reason.status, 422)
      assert.ok('token' in r.reason.errors, JSON.stringify(r.reason.errors))
    }
    assert.equal((await s.managementToken().query().find()).items.length, 10)
  })
})
