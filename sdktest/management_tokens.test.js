'use strict'
const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { start, refused } = require('./harness')

const branch = { module: 'branch', branches: ['main'], acl: { read: true } }

describe('management tokens', () => {
  let sg, stack, created
  before(async () => {
    sg = await start()
    stack = (await sg.login('owner')).stack
  })
  after(() => sg.stop())

  it('creates one with $all, a branch and an expiry 30 days ahead; the secret only now', async () => {
    const expires = new Date(Date.now() + 30 * 864e5)
    created = await stack.managementToken().create({ token: { name: 'ci', description: 'for CI', scope: [{ module: '$all', acl: { read: true, write: true } }, branch], expires_on: expires.toISOString(), is_email_notification_enabled: true } })
    assert.match(created.token, /^cs[0-9a-f]{24}$/)
    assert.equal(created.expires_on, expires.toISOString().slice(0, 10))
    assert.equal(created.type, 'management')
  })

  it('never shows the secret in fetch or list', async () => {
    const t = await stack.managementToken(created.uid).fetch()
    assert.equal(t.name, 'ci')
    assert.equal(t.token, undefined)
    const all = await stack.managementToken().query().find()
    assert.equal(all.items.length, 1)
    assert.equal(all.items[0].token, undefined)
  })

  it('is used through stack({api_key, management_token})', async () => {
    const roles = await sg.client().stack({ api_key: sg.apiKey, management_token: created.token }).role().fetchAll()
    assert.deepEqual(roles.items.map((r) => r.name).sort(), ['Admin', 'Content Manager', 'Developer'])
  })

  it('is used through client({authorization})', async () => {
    const roles = await sg.client({ authorization: created.token }).stack({ api_key: sg.apiKey }).role().fetchAll()
    assert.equal(roles.items.length, 3)
  })

  it('updates by fetch, change, update()', async () => {
    const t = await stack.managementToken(created.uid).fetch()
    t.name = 'ci (renamed)'
    const u = await t.update()
    assert.equal(u.name, 'ci (renamed)')
    assert.equal(u.token, undefined)
  })

  it('is refused on its next use after delete', async () => {
    const res = await stack.managementToken(created.uid).delete()
    assert.equal(res.notice, 'Management Token deleted successfully.')
    const e = await refused(() => sg.client().stack({ api_key: sg.apiKey, management_token: created.token }).role().fetchAll())
    assert.equal(e.status, 401)
    assert.equal(e.errorCode, 105)
  })

  it('refuses an expiry in the past', async () => {
    const e = await refused(() => stack.managementToken().create({ token: { name: 'old', scope: [{ module: '$all', acl: { read: true, write: true } }, branch], expires_on: '2020-01-01' } }))
    assert.equal(e.status, 422)
    assert.ok('expires_on' in e.errors)
  })

  it('refuses a scope without branch', async () => {
    const e = await refused(() => stack.managementToken().create({ token: { name: 'nb', scope: [{ module: 'content_type', acl: { read: true, write: true } }] } }))
    assert.equal(e.status, 422)
    assert.ok('scope.branch_or_alias' in e.errors)
  })

  it('refuses a Developer', async () => {
    const dev = (await sg.login('developer')).stack
    const e = await refused(() => dev.managementToken().create({ token: { name: 'dev', scope: [{ module: '$all', acl: { read: true } }, branch] } }))
    assert.equal(e.status, 403)
    assert.equal(e.errorCode, 316)
  })
})
