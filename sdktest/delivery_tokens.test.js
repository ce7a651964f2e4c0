'use strict'
const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { start, refused, scope } = require('./harness')

const TOKEN = /^cs[0-9a-f]{24}$/

describe('delivery and preview tokens', () => {
  let sg, stack, created, withPreview
  before(async () => {
    sg = await start()
    stack = (await sg.login('developer')).stack
  })
  after(() => sg.stop())

  it('creates a delivery token with the environment expanded', async () => {
    created = await stack.deliveryToken().create({ token: { name: 'site', description: 'the site', scope: scope() } })
    assert.match(created.token, TOKEN)
    assert.equal(created.type, 'delivery')
    assert.equal(created.name, 'site')
    assert.equal(created.scope[0].environments[0].name, 'production')
    assert.match(created.scope[0].environments[0].uid, /^blt/)
    for (const entry of created.scope) assert.match(entry._metadata.uid, /^cs/)
    assert.equal(created.preview_token, undefined)
  })

  it('creates one with a preview token', async () => {
    withPreview = await stack.deliveryToken().create({ token: { name: 'preview', scope: scope() } }, { create_with_preview_token: true })
    assert.match(withPreview.preview_token, TOKEN)
    assert.notEqual(withPreview.preview_token, withPreview.token)
  })

  it('fetches one', async () => {
    const t = await stack.deliveryToken(created.uid).fetch()
    assert.equal(t.uid, created.uid)
    assert.equal(t.token, created.token)
  })

  it('lists with limit, and all', async () => {
    const one = await stack.deliveryToken().query({ limit: 1 }).find()
    assert.equal(one.items.length, 1)
    const all = await stack.deliveryToken().query().find()
    assert.deepEqual(all.items.map((t) => t.name).sort(), ['preview', 'site'])
    assert.match(all.items.find((t) => t.name === 'preview').preview_token, TOKEN)
  })

  it('updates by fetch, change, update(): same value, stable metadata', async () => {
    const t = await stack.deliveryToken(created.uid).fetch()
    t.name = 'site (renamed)'
    t.description = 'changed'
    const u = await t.update()
    assert.equal(u.name, 'site (renamed)')
    assert.equal(u.description, 'changed')
    assert.equal(u.token, created.token)
    assert.deepEqual(u.scope.map((s) => s._metadata.uid), created.scope.map((s) => s._metadata.uid))
  })

  it('creates, replaces and deletes a preview token', async () => {
    const first = await stack.deliveryToken(created.uid).previewToken().create()
    assert.match(first.preview_token, TOKEN)
    const second = await stack.deliveryToken(created.uid).previewToken().create()
    assert.notEqual(second.preview_token, first.preview_token)
    const res = await stack.deliveryToken(created.uid).previewToken().delete()
    assert.match(res.notice.toLowerCase(), /preview token deleted/)
    const t = await stack.deliveryToken(created.uid).fetch()
    assert.equal(t.preview_token, undefined)
  })

  it('refuses a scope without branch', async () => {
    const e = await refused(() => stack.deliveryToken().create({ token: { name: 'x', scope: [scope()[0]] } }))
    assert.equal(e.status, 422)
    assert.equal(e.errorCode, 141)
    assert.ok('scope.branch_or_alias' in e.errors)
  })

  it('refuses an unknown environment', async () => {
    const e = await refused(() => stack.deliveryToken().create({ token: { name: 'y', scope: [{ module: 'environment', environments: ['nope'], acl: { read: true } }, scope()[1]] } }))
    assert.equal(e.status, 422)
    assert.ok('scope.environments' in e.errors)
  })

  it('refuses a duplicate name', async () => {
    const e = await refused(() => stack.deliveryToken().create({ token: { name: 'preview', scope: scope() } }))
    assert.equal(e.status, 422)
    assert.ok('name' in e.errors)
  })

  it('refuses an unknown uid', async () => {
    const e = await refused(() => stack.deliveryToken('bltdoesnotexist').fetch())
    assert.equal(e.status, 422)
    assert.equal(e.errorCode, 141)
  })

  it('refuses a Content Manager and a management token', async () => {
    const cm = (await sg.login('cm')).stack
    let e = await refused(() => cm.deliveryToken().query().find())
    assert.equal(e.status, 403)
    assert.equal(e.errorCode, 316)
    const owner = (await sg.login('owner')).stack
    const mt = await owner.managementToken().create({ token: { name: 'all', scope: [{ module: '$all', acl: { read: true, write: true } }, scope()[1]] } })
    e = await refused(() => sg.client().stack({ api_key: sg.apiKey, management_token: mt.token }).deliveryToken().query().find())
    assert.equal(e.status, 403)
    assert.equal(e.errorCode, 316)
  })

  it('deletes, with the preview token', async () => {
    const res = await stack.deliveryToken(withPreview.uid).delete()
    assert.equal(res.notice, 'Delivery Token deleted successfully.')
    const e = await refused(() => stack.deliveryToken(withPreview.uid).fetch())
    assert.equal(e.status, 422)
  })
})
