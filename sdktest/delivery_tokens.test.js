// Delivery and preview tokens through stack.deliveryToken() (spec §4).
'use strict'
const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { start, refused, scope, environmentScope, branchScope, TOKEN } = require('./harness')

describe('delivery and preview tokens', () => {
  let sg, dev, stack, created, withPreview
  before(async () => {
    sg = await start()
    dev = await sg.login('developer')
    stack = dev.stack
  })
  after(() => sg.stop())

  it('create: 201, cs token, type delivery, environment expanded (deploy_content, servers), scope _metadata.uid', async () => {
    created = await stack.deliveryToken().create({ token: { name: 'site', description: 'the site', scope: scope() } })
    const res = dev.wire.last()
    assert.equal(res.status, 201)
    assert.equal(res.data.notice, 'Delivery Token created successfully.')
    assert.match(created.uid, /^blt/)
    assert.match(created.token, TOKEN)
    assert.equal(created.type, 'delivery')
    assert.equal(created.name, 'site')
    assert.equal(created.description, 'the site')
    const env = created.scope[0].environments[0]
    assert.equal(env.name, 'production')
    assert.match(env.uid, /^blt/)
    assert.deepEqual(env.ACL, [])
    assert.deepEqual(env.tags, [])
    assert.equal(env.deploy_content, false)
    assert.deepEqual(env.servers, [])
    assert.deepEqual(created.scope[1].branches, ['main'])
    assert.equal(created.scope.length, 2)
    for (const entry of created.scope) assert.match(entry._metadata.uid, /^cs/)
    assert.notEqual(created.scope[0]._metadata.uid, created.scope[1]._metadata.uid)
    assert.equal(created.preview_token, undefined)
  })

  it('create with {create_with_preview_token:true}: preview_token beside the token', async () => {
    withPreview = await stack.deliveryToken().create({ token: { name: 'preview', scope: scope() } }, { create_with_preview_token: true })
    assert.equal(dev.wire.last().status, 201)
    assert.match(withPreview.token, TOKEN)
    assert.match(withPreview.preview_token, TOKEN)
    assert.notEqual(withPreview.preview_token, withPreview.token)
  })

  it('fetch: deliveryToken(uid).fetch() returns the same token', async () => {
    const t = await stack.deliveryToken(created.uid).fetch()
    assert.equal(dev.wire.last().status, 200)
    assert.equal(t.uid, created.uid)
    assert.equal(t.name, 'site')
    assert.equal(t.token, created.token)
    assert.equal(t.type, 'delivery')
    assert.equal(t.scope[0].environments[0].name, 'production')
    assert.deepEqual(t.scope.map((s) => s._metadata.uid), created.scope.map((s) => s._metadata.uid))
    const p = await stack.deliveryToken(withPreview.uid).fetch()
    assert.equal(p.preview_token, withPreview.preview_token)
  })

  it('list: query({limit:1}).find() has one item, query().find() has both', async () => {
    const one = await stack.deliveryToken().query({ limit: 1 }).find()
    assert.equal(one.items.length, 1)
    const all = await stack.deliveryToken().query().find()
    assert.deepEqual(all.items.map((t) => t.name).sort(), ['preview', 'site'])
    assert.equal(all.items.find((t) => t.name === 'site').token, created.token)
    assert.equal(all.items.find((t) => t.name === 'preview').preview_token, withPreview.preview_token)
    for (const t of all.items) assert.equal(t.type, 'delivery')
  })

  it('list: include_count, asc/desc, skip, query by name, findOne(), count()', async () => {
    const counted = await stack.deliveryToken().query({ include_count: true }).find()
    assert.equal(counted.count, 2)
    assert.deepEqual((await stack.deliveryToken().query({ asc: 'name' }).find()).items.map((t) => t.name), ['preview', 'site'])
    assert.deepEqual((await stack.deliveryToken().query({ desc: 'name' }).find()).items.map((t) => t.name), ['site', 'preview'])
    assert.deepEqual((await stack.deliveryToken().query({ asc: 'name', skip: 1 }).find()).items.map((t) => t.name), ['site'])
    assert.deepEqual((await stack.deliveryToken().query({ query: { name: 'preview' } }).find()).items.map((t) => t.uid), [withPreview.uid])
    assert.equal((await stack.deliveryToken().query().findOne()).items.length, 1)
    assert.equal((await stack.deliveryToken().query().count()).count, 2)
  })

  it('update: fetch, change name and description, token.update(): same token value, stable _metadata.uid', async () => {
    const t = await stack.deliveryToken(created.uid).fetch()
    t.name = 'site (renamed)'
    t.description = 'changed'
    const u = await t.update()
    const res = dev.wire.last()
    assert.equal(res.method, 'PUT')
    assert.equal(res.status, 200)
    assert.equal(res.data.notice, 'Delivery Token updated successfully.')
    assert.equal(u.uid, created.uid)
    assert.equal(u.name, 'site (renamed)')
    assert.equal(u.description, 'changed')
    assert.equal(u.token, created.token)
    assert.equal(u.scope[0].environments[0].name, 'production')
    assert.deepEqual(u.scope.map((s) => s._metadata.uid), created.scope.map((s) => s._metadata.uid))
    const again = await stack.deliveryToken(created.uid).fetch()
    assert.equal(again.name, 'site (renamed)')
  })

  it('update: read-only fields sent back (token, type, uid, preview_token) change nothing', async () => {
    const t = await stack.deliveryToken(created.uid).fetch()
    t.token = 'cs000000000000000000000000'
    t.type = 'management'
    t.preview_token = 'csffffffffffffffffffffffff'
    const u = await t.update()
    assert.equal(u.token, created.token)
    assert.equal(u.type, 'delivery')
    assert.equal(u.preview_token, undefined)
  })

  it('update: environments can be changed to another environment by name', async () => {
    await stack.environment().create({ environment: { name: 'staging', urls: [{ locale: 'en-us', url: 'https://staging.example.com' }] } })
    const t = await stack.deliveryToken(created.uid).fetch()
    t.scope[0].environments = ['staging']
    const u = await t.update()
    assert.deepEqual(u.scope[0].environments.map((e) => e.name), ['staging'])
    assert.equal(u.scope[0].environments[0].urls[0].url, 'https://staging.example.com')
    assert.equal(u.scope[0]._metadata.uid, created.scope[0]._metadata.uid)
  })

  it('preview token: previewToken().create() then .delete()', async () => {
    const first = await stack.deliveryToken(created.uid).previewToken().create()
    let res = dev.wire.last()
    assert.equal(res.status, 201)
    assert.equal(res.data.notice, 'Preview token created successfully.')
    assert.match(first.preview_token, TOKEN)
    assert.equal(first.token, created.token)
    assert.match(first.token, TOKEN)
    const fetched = await stack.deliveryToken(created.uid).fetch()
    assert.equal(fetched.preview_token, first.preview_token)
    const second = await stack.deliveryToken(created.uid).previewToken().create()
    assert.match(second.preview_token, TOKEN)
    assert.notEqual(second.preview_token, first.preview_token)
    const del = await stack.deliveryToken(created.uid).previewToken().delete()
    assert.ok(del.notice.includes('Preview token deleted'), del.notice)
    assert.equal(del.notice, 'Preview token deleted successfully.')
    res = dev.wire.last()
    assert.equal(res.status, 200)
    assert.equal((await stack.deliveryToken(created.uid).fetch()).preview_token, undefined)
  })

  it('preview token: deleting one that does not exist, or on an unknown token → 422', async () => {
    let e = await refused(() => stack.deliveryToken(created.uid).previewToken().delete())
    assert.equal(e.status, 422)
    assert.equal(e.errorCode, 141)
    e = await refused(() => stack.deliveryToken('bltdoesnotexist').previewToken().create())
    assert.equal(e.status, 422)
    assert.equal(e.errorCode, 141)
  })

  it('refuses a scope without branch: 422 / 141, errors["scope.branch_or_alias"]', async () => {
    const e = await refused(() => stack.deliveryToken().create({ token: { name: 'x', scope: [environmentScope()] } }))
    assert.equal(e.status, 422)
    assert.equal(e.errorCode, 141)
    assert.equal(e.errorMessage, 'Delivery Token creation failed. Please try again.')
    assert.deepEqual(e.errors['scope.branch_or_alias'], ['is a required field.'])
  })

  it('refuses an unknown environment, an unknown branch and a missing name: 422 / 141', async () => {
    let e = await refused(() => stack.deliveryToken().create({ token: { name: 'y', scope: [environmentScope('nope'), branchScope()] } }))
    assert.equal(e.status, 422)
    assert.equal(e.errorCode, 141)
    assert.ok(Object.keys(e.errors).length > 0)
    e = await refused(() => stack.deliveryToken().create({ token: { name: 'y', scope: [environmentScope(), branchScope('nope')] } }))
    assert.equal(e.status, 422)
    assert.equal(e.errorCode, 141)
    e = await refused(() => stack.deliveryToken().create({ token: { scope: scope() } }))
    assert.equal(e.status, 422)
    assert.ok('name' in e.errors)
  })

  it('refuses a duplicate name: 422, errors.name', async () => {
    let e = await refused(() => stack.deliveryToken().create({ token: { name: 'preview', scope: scope() } }))
    assert.equal(e.status, 422)
    assert.equal(e.errorCode, 141)
    assert.deepEqual(e.errors.name, ['is not unique.'])
    const t = await stack.deliveryToken(created.uid).fetch()
    t.name = 'preview'
    e = await refused(() => t.update())
    assert.equal(e.status, 422)
    assert.deepEqual(e.errors.name, ['is not unique.'])
  })

  it('refuses an unknown uid: fetch → 422 / 141', async () => {
    const e = await refused(() => stack.deliveryToken('bltdoesnotexist').fetch())
    assert.equal(e.status, 422)
    assert.equal(e.errorCode, 141)
    assert.equal(e.errorMessage, "The requested object doesn't exist.")
  })

  it('refuses a Content Manager: 403 / 316', async () => {
    const cm = (await sg.login('cm')).stack
    let e = await refused(() => cm.deliveryToken().query().find())
    assert.equal(e.status, 403)
    assert.equal(e.errorCode, 316)
    e = await refused(() => cm.deliveryToken().create({ token: { name: 'cm', scope: scope() } }))
    assert.equal(e.status, 403)
    assert.equal(e.errorCode, 316)
  })

  it('refuses a management token, even one with $all write: 403 / 316', async () => {
    const owner = (await sg.login('owner')).stack
    const mt = await owner.managementToken().create({ token: { name: 'all', scope: [{ module: '$all', acl: { read: true, write: true } }, branchScope()] } })
    for (const how of ['management_token', 'authorization']) {
      let e = await refused(() => sg.tokenStack(mt.token, how).deliveryToken().query().find())
      assert.equal(e.status, 403, how)
      assert.equal(e.errorCode, 316, how)
      e = await refused(() => sg.tokenStack(mt.token, how).deliveryToken().create({ token: { name: 'via-mt', scope: scope() } }))
      assert.equal(e.status, 403, how)
      assert.equal(e.errorCode, 316, how)
    }
  })

  it('delete: token.delete() → notice, and the token (with its preview token) is gone', async () => {
    const t = await stack.deliveryToken(withPreview.uid).fetch()
    const res = await t.delete()
    assert.equal(res.notice, 'Delivery Token deleted successfully.')
    assert.equal(dev.wire.last().status, 200)
    const e = await refused(() => stack.deliveryToken(withPreview.uid).fetch())
    assert.equal(e.status, 422)
    assert.equal(e.errorCode, 141)
    assert.deepEqual((await stack.deliveryToken().query().find()).items.map((x) => x.uid), [created.uid])
  })

  it('delete with {force:true}; a second delete → 422', async () => {
    const res = await stack.deliveryToken(created.uid).delete({ force: true })
    assert.equal(res.notice, 'Delivery Token deleted successfully.')
    const e = await refused(() => stack.deliveryToken(created.uid).delete())
    assert.equal(e.status, 422)
    assert.equal(e.errorCode, 141)
  })

  it('concurrent creates with one name: exactly one wins, the rest 422 errors.name', async () => {
    const c = sg.client({ maxRequests: 12 })
    await c.login({ email: 'dev@example.com', password: 'dev-password-1' })
    const s = c.stack({ api_key: sg.apiKey })
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => s.deliveryToken().create({ token: { name: 'race', scope: scope() } })))
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1)
    for (const r of results.filter((x) => x.status === 'rejected')) {
      assert.equal(r.reason.status, 422)
      assert.deepEqual(r.reason.errors.name, ['is not unique.'])
    }
    assert.equal((await stack.deliveryToken().query({ query: { name: 'race' } }).find()).items.length, 1)
  })
})
