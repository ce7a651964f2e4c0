// Roles through stack.role() (spec §5), with the Roles page's five-module
// sample rule set.
'use strict'
const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { start, refused, branchScope } = require('./harness')

const sub = { read: true, create: true, update: true, delete: true, publish: true }
const SYSTEM = ['Admin', 'Content Manager', 'Developer']

describe('roles', () => {
  let sg, dev, stack, role, rules
  before(async () => {
    sg = await start()
    dev = await sg.login('developer')
    stack = dev.stack
  })
  after(() => sg.stop())

  it('fetchAll({include_rules, include_permissions}) lists Admin, Developer, Content Manager', async () => {
    const roles = await stack.role().fetchAll({ include_rules: true, include_permissions: true })
    assert.deepEqual(roles.items.map((r) => r.name).sort(), SYSTEM)
    const developer = roles.items.find((r) => r.name === 'Developer')
    assert.match(developer.uid, /^blt/)
    assert.equal(developer.owner, 'owner@example.com')
    assert.deepEqual(developer.users, [sg.users.developer.user_uid])
    assert.deepEqual(developer.SYS_ACL, {})
    assert.equal(developer.stack.api_key, sg.apiKey)
    for (const r of roles.items) {
      assert.ok(Array.isArray(r.rules), r.name) // system roles render [] (their rights are built in)
      assert.equal(typeof r.permissions, 'object', r.name)
    }
    const plain = await stack.role().fetchAll()
    for (const r of plain.items) assert.equal('rules' in r, false, r.name)
  })

  it('create: the five modules of the Roles page sample → 201, rules echoed', async () => {
    const envs = await sg.raw('GET', '/v3/environments', { authtoken: dev.authtoken })
    const locales = await sg.raw('GET', '/v3/locales', { authtoken: dev.authtoken })
    assert.equal(envs.status, 200)
    assert.equal(locales.status, 200)
    const production = envs.body.environments.find((e) => e.name === 'production')
    const master = locales.body.locales.find((l) => l.fallback_locale === null)
    rules = [
      { module: 'branch', branches: ['main'], acl: { read: true } },
      { module: 'environment', environments: [production.uid], acl: { read: true } },
      { module: 'locale', locales: [master.uid], acl: { read: true } },
      { module: 'taxonomy', taxonomies: ['regions'], terms: ['regions.north_america'], content_types: [{ uid: '$all', acl: { read: true, sub_acl: sub } }], acl: { read: true, sub_acl: sub } },
      { module: 'content_type', content_types: ['marketing_blogs'], acl: { read: true, sub_acl: sub } }
    ]
    role = await stack.role().create({ role: { name: 'Regional Custom Role', description: 'regional', users: [], rules } })
    const res = dev.wire.last()
    assert.equal(res.status, 201)
    assert.equal(res.data.notice, 'The role created successfully.')
    assert.match(role.uid, /^blt/)
    assert.equal(role.name, 'Regional Custom Role')
    assert.equal(role.description, 'regional')
    assert.deepEqual(role.rules, rules)
    assert.equal(res.data.role.api_key, sg.apiKey)
    assert.ok(res.data.role.org_uid)
    assert.equal(role.owner, 'owner@example.com')
    assert.deepEqual(role.users, [])
    assert.deepEqual(role.roles, [])
  })

  it('fetch: role(uid).fetch({include_rules:true}) returns the rules; without it none', async () => {
    const r = await stack.role(role.uid).fetch({ include_rules: true })
    assert.equal(r.uid, role.uid)
    assert.equal(r.name, 'Regional Custom Role')
    assert.deepEqual(r.rules, rules)
    const bare = await stack.role(role.uid).fetch()
    assert.equal('rules' in bare, false)
  })

  it('fetch with include_permissions resolves rules per object', async () => {
    const r = await stack.role(role.uid).fetch({ include_rules: true, include_permissions: true })
    assert.ok(r.permissions && typeof r.permissions === 'object')
    assert.ok(JSON.stringify(r.permissions).includes(rules[1].environments[0]))
  })

  it('list: fetchAll() includes it; limit, skip, include_count and query by name work', async () => {
    const list = await stack.role().fetchAll()
    assert.ok(list.items.some((x) => x.uid === role.uid))
    assert.equal(list.items.length, 4)
    assert.equal((await stack.role().fetchAll({ limit: 2 })).items.length, 2)
    assert.equal((await stack.role().fetchAll({ skip: 1 })).items.length, 3)
    assert.equal((await stack.role().fetchAll({ include_count: true, limit: 1 })).count, 4)
    const byName = await stack.role().query({ query: { name: 'Regional Custom Role' } }).find()
    assert.deepEqual(byName.items.map((x) => x.uid), [role.uid])
  })

  it('update: fetch, push a taxonomy term, role.update() → rules contain the new term', async () => {
    const r = await stack.role(role.uid).fetch({ include_rules: true })
    r.rules.find((x) => x.module === 'taxonomy').terms.push('regions.south_america')
    r.description = 'two regions'
    const u = await r.update()
    const res = dev.wire.last()
    assert.equal(res.status, 200)
    assert.equal(res.data.notice, 'The role updated successfully.')
    assert.equal(u.description, 'two regions')
    assert.deepEqual(u.rules.find((x) => x.module === 'taxonomy').terms, ['regions.north_america', 'regions.south_america'])
    assert.equal(u.rules.length, 5)
    const again = await stack.role(role.uid).fetch({ include_rules: true })
    assert.deepEqual(again.rules.find((x) => x.module === 'taxonomy').terms, ['regions.north_america', 'regions.south_america'])
  })

  it('update from a list item (no rules in it) renames and keeps the rules', async () => {
    const item = (await stack.role().fetchAll()).items.find((x) => x.uid === role.uid)
    item.name = 'Regional Role'
    const u = await item.update()
    assert.equal(u.name, 'Regional Role')
    assert.equal(u.rules.length, 5)
  })

  it('refuses to update or delete a system role: 403 / 316', async () => {
    const admin = (await stack.role().fetchAll({ include_rules: true })).items.find((r) => r.name === 'Admin')
    admin.name = 'Not Admin'
    let e = await refused(() => admin.update())
    assert.equal(e.status, 403)
    assert.equal(e.errorCode, 316)
    assert.equal(e.errorMessage, 'System roles cannot be modified.')
    e = await refused(() => stack.role(admin.uid).delete())
    assert.equal(e.status, 403)
    assert.equal(e.errorCode, 316)
    assert.ok((await stack.role().fetchAll()).items.some((r) => r.name === 'Admin'))
  })

  it('refuses a duplicate name: 422, errors.name', async () => {
    let e = await refused(() => stack.role().create({ role: { name: 'Regional Role', rules: [branchScope()] } }))
    assert.equal(e.status, 422)
    assert.equal(e.errorCode, 141)
    assert.deepEqual(e.errors.name, ['is not unique.'])
    e = await refused(() => stack.role().create({ role: { name: 'Developer', rules: [branchScope()] } }))
    assert.equal(e.status, 422)
    assert.ok('name' in e.errors)
  })

  it('refuses a role without a branch rule: 422, errors["rules.branch"]', async () => {
    const e = await refused(() => stack.role().create({ role: { name: 'No Branch', rules: [{ module: 'content_type', content_types: ['$all'], acl: { read: true } }] } }))
    assert.equal(e.status, 422)
    assert.equal(e.errorCode, 141)
    assert.equal(e.errorMessage, 'Role creation failed. Please try again.')
    assert.deepEqual(e.errors['rules.branch'], ['is a required field.'])
  })

  it('refuses an unknown module, an unknown environment and an unknown uid: 422', async () => {
    let e = await refused(() => stack.role().create({ role: { name: 'Bad', rules: [branchScope(), { module: 'nope', acl: { read: true } }] } }))
    assert.equal(e.status, 422)
    e = await refused(() => stack.role().create({ role: { name: 'Bad', rules: [branchScope(), { module: 'environment', environments: ['bltnope'], acl: { read: true } }] } }))
    assert.equal(e.status, 422)
    e = await refused(() => stack.role('bltdoesnotexist').fetch())
    assert.equal(e.status, 422)
    assert.equal(e.errorCode, 141)
  })

  it('a Content Manager reads roles but may not create one: 403 / 316', async () => {
    const cm = (await sg.login('cm')).stack
    assert.equal((await cm.role().fetchAll()).items.length, 4)
    const e = await refused(() => cm.role().create({ role: { name: 'By CM', rules: [branchScope()] } }))
    assert.equal(e.status, 403)
    assert.equal(e.errorCode, 316)
  })

  it('delete: notice "The role deleted successfully.", then it is gone', async () => {
    const res = await stack.role(role.uid).delete()
    assert.equal(res.notice, 'The role deleted successfully.')
    const e = await refused(() => stack.role(role.uid).fetch())
    assert.equal(e.status, 422)
    assert.equal(e.errorCode, 141)
    assert.deepEqual((await stack.role().fetchAll()).items.map((r) => r.name).sort(), SYSTEM)
  })
})
