// The audit log through stack.auditLog(): fetchAll() reads GET
// /v3/audit-logs ({"logs": […]}), auditLog(uid).fetch() reads GET
// /v3/audit-logs/{uid} ({"log": {…}}), as the official SDK calls them.
'use strict'
const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { start, refused, scope, USERS } = require('./harness')

describe('audit log', () => {
  let sg, owner, dev, created
  before(async () => {
    sg = await start()
    owner = await sg.login('owner')
    dev = await sg.login('developer')
    created = await owner.stack.deliveryToken().create({ token: { name: 'site', description: 'audited', scope: scope() } })
  })
  after(() => sg.stop())

  it('fetchAll(): the newest entries first, in Contentstack\'s shape, no secret in them', async () => {
    const logs = await dev.stack.auditLog().fetchAll({ include_count: true })
    const res = dev.wire.last()
    assert.equal(res.status, 200)
    assert.ok(Array.isArray(res.data.logs))
    assert.equal(logs.count, res.data.logs.length)
    const e = logs.items.find((l) => l.module === 'delivery_token' && l.event_type === 'create')
    assert.ok(e, 'the delivery token\'s creation is an entry')
    assert.match(e.uid, /^blt/)
    assert.equal(e.metadata.uid, created.uid)
    assert.equal(e.metadata.title, 'site')
    assert.equal(e.stack, owner.stack.api_key)
    assert.match(e.created_at, /^\d{4}-\d{2}-\d{2}T/)
    assert.equal(typeof e.request_id, 'string')
    assert.equal(typeof e.remote_addr, 'string')
    assert.equal(e.request.token.name, 'site')
    assert.equal(e.response.token.uid, created.uid)
    assert.equal('token' in e.response.token, false)
    const raw = JSON.stringify(res.data)
    assert.equal(raw.includes(created.token), false, 'the token value is not in the log')
    for (const u of Object.values(USERS)) assert.equal(raw.includes(u.password), false, 'no password in the log')
    assert.equal(raw.includes(owner.authtoken), false, 'no authtoken in the log')
    assert.ok(logs.items.some((l) => l.module === 'user_session' && l.event_type === 'login'), 'logins are entries')
  })

  it('auditLog(uid).fetch(): {"log": …}', async () => {
    const all = await owner.stack.auditLog().fetchAll()
    const one = await owner.stack.auditLog(all.items[0].uid).fetch()
    assert.equal(one.log.uid, all.items[0].uid)
    assert.equal(one.log.module, all.items[0].module)
  })

  it('a Content Manager may not read it: 403 / 316', async () => {
    const cm = await sg.login('cm')
    const e = await refused(() => cm.stack.auditLog().fetchAll())
    assert.equal(e.status, 403)
    assert.equal(e.errorCode, 316)
  })
})
