'use strict'
const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { start, refused } = require('./harness')

const sub = { read: true, create: true, update: true, delete: true, publish: true }

describe('roles', () => {
  let sg, stack, authtoken, role
  before(async () => {
    sg = await start()
    const s = await sg.login('developer')
    stack = s.stack
    authtoken = s.authtoken
  })
  after(() => sg.stop())

  it('lists the three system roles with rules and permissions', async () => {
    const roles = await stack.role().fetchAll({ include_rules: true, include_permissions: true })
    assert.deepEqual(roles.items.map((r) => r.name).sort(), ['Admin', 'Content Manager', 'Developer'])
  })

  it('creates a role with the five modules of the Roles page sample', async () => {
    const envs = await sg.raw('GET', '/v3/environments', { authtoken })
    const locales = await sg.raw('GET', '/v3/locales', { authtoken })
    role = await stack.role().create({ role: { name: 'Regional Custom Role', description: '', users: [], rules: [
      { module: 'branch', branches: ['main'], acl: { read: true } },
      { module: 'environment', environments: [envs.body.environments[0].uid], acl: { read: true } },
      { module: 'locale', locales: [locales.body.locales[0].uid], acl: { read: true } },
      { module: 'taxonomy', taxonomies: ['regions'], terms: ['regions.north_america'], content_types: [{ uid: '$all', acl: { read: true, sub_acl: sub } }], acl: { read: true, sub_acl: sub } },
      { module: 'content_type', content_types: ['marketing_blogs'], acl: { read: true, sub_acl: sub } }
    ] } })
    assert.match(role.uid, /^blt/)
    assert.equal(role.rules.length, 5)
    assert.deepEqual(role.rules.map((r) => r.module), ['branch', 'environment', 'locale', 'taxonomy', 'content_type'])
    assert.equal(role.rules[3].content_types[0].uid, '$all')
  })

  it('fetches and lists it', async () => {
    const r = await stack.role(role.uid).fetch({ include_rules: true })
    assert.equal(r.name, 'Regional Custom Role')
    assert.equal(r.rules.length, 5)
    const all = await stack.role().fetchAll({ limit: 10 })
    assert.ok(all.items.some((x) => x.uid === role.uid))
  })

  it('updates by fetch, change, update(): adds a taxonomy term', async () => {
    const r = await stack.role(role.uid).fetch({ include_rules: true })
    r.rules.find((x) => x.module === 'taxonomy').terms.push('regions.south_america')
    const u = await r.update()
    assert.deepEqual(u.rules.find((x) => x.module === 'taxonomy').terms, ['regions.north_america', 'regions.south_america'])
  })

  it('refuses to update Admin', async () => {
    const admin = (await stack.role().fetchAll()).items.find((r) => r.name === 'Admin')
    admin.name = 'Not Admin'
    const e = await refused(() => admin.update())
    assert.equal(e.status, 403)
    assert.equal(e.errorCode, 316)
  })

  it('refuses a duplicate name and a role without a branch rule', async () => {
    let e = await refused(() => stack.role().create({ role: { name: 'Regional Custom Role', rules: [{ module: 'branch', branches: ['main'], acl: { read: true } }] } }))
    assert.equal(e.status, 422)
    assert.ok('name' in e.errors)
    e = await refused(() => stack.role().create({ role: { name: 'No Branch', rules: [{ module: 'content_type', content_types: ['$all'], acl: { read: true } }] } }))
    assert.equal(e.status, 422)
    assert.ok('rules.branch' in e.errors)
  })

  it('deletes it', async () => {
    const res = await stack.role(role.uid).delete()
    assert.equal(res.notice, 'The role deleted successfully.')
  })
})

describe('sessions', () => {
  let sg
  before(async () => { sg = await start() })
  after(() => sg.stop())

  it('refuses a wrong password with 422 / 104', async () => {
    const e = await refused(() => sg.client().login({ email: 'owner@example.com', password: 'wrong' }))
    assert.equal(e.status, 422)
    assert.equal(e.errorCode, 104)
  })

  it('gets the user, logs out, and the old authtoken stops working', async () => {
    const { client } = await sg.login('admin')
    assert.equal((await client.getUser()).email, 'admin@example.com')
    await client.logout()
    const e = await refused(() => client.getUser())
    assert.equal(e.status, 401)
    assert.equal(e.errorCode, 105)
  })
})
