// Fidelity, round two (issue 15): what a client of the official Management
// SDK sees — findOne() and limit=1 return the newest item, query speaks the
// CDA query language, and a stack created with branch_uid (which sends the
// branch header on every call) reaches the stack-wide modules whatever
// branch its token is scoped to, and gets Contentstack's branch codes where
// the branch does decide.
'use strict'
const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { start, refused, scope, branchScope } = require('./harness')

const all = { module: '$all', acl: { read: true, write: true } }

describe('fidelity', () => {
  let sg, owner, stack
  before(async () => {
    sg = await start()
    owner = await sg.login('owner')
    stack = owner.stack
    const b = await sg.raw('POST', '/v3/stacks/branches', { authtoken: owner.authtoken }, { branch: { uid: 'development', source: 'main' } })
    assert.equal(b.status, 201, JSON.stringify(b.body))
  })
  after(() => sg.stop())

  it('findOne() returns the newest: delivery tokens, management tokens, roles, environments', async () => {
    for (const name of ['older', 'newer']) await stack.deliveryToken().create({ token: { name, scope: scope() } })
    let one = await stack.deliveryToken().query().findOne()
    assert.deepEqual(one.items.map((t) => t.name), ['newer'])
    assert.match(owner.wire.last().url, /\/stacks\/delivery_tokens$/)

    for (const name of ['mt older', 'mt newer']) await stack.managementToken().create({ token: { name, scope: [all, branchScope()] } })
    one = await stack.managementToken().query().findOne()
    assert.deepEqual(one.items.map((t) => t.name), ['mt newer'])

    for (const name of ['role older', 'role newer']) await stack.role().create({ role: { name, rules: [branchScope()] } })
    one = await stack.role().query().findOne()
    assert.deepEqual(one.items.map((r) => r.name), ['role newer'])

    for (const name of ['env-older', 'env-newer']) await stack.environment().create({ environment: { name, urls: [] } })
    one = await stack.environment().query().findOne()
    assert.deepEqual(one.items.map((e) => e.name), ['env-newer'])

    // The whole list is newest first too; asc on created_at is oldest first.
    const list = await stack.deliveryToken().query().find()
    assert.deepEqual(list.items.map((t) => t.name), ['newer', 'older'])
    const asc = await stack.deliveryToken().query({ asc: 'created_at' }).find()
    assert.deepEqual(asc.items.map((t) => t.name), ['older', 'newer'])
  })

  it('query({query}) speaks the CDA query language: $regex with $options, dotted paths into arrays, $in, $exists', async () => {
    let found = await stack.deliveryToken().query({ query: { name: { $regex: '^NEW', $options: 'i' } } }).find()
    assert.deepEqual(found.items.map((t) => t.name), ['newer'])
    found = await stack.role().query({ query: { 'rules.module': 'branch', name: { $in: ['role older', 'Admin'] } } }).find()
    assert.deepEqual(found.items.map((r) => r.name), ['role older'])
    found = await stack.role().query({ query: { description: { $exists: true }, 'users.0': { $exists: true } } }).find()
    assert.ok(found.items.every((r) => r.description !== null && r.users.length > 0))
    const e = await refused(() => stack.role().query({ query: { name: { $where: 'x' } } }).find())
    assert.equal(e.status, 400)
    assert.match(e.errorMessage, /^The query parameter query is not valid: unsupported operator/)
  })

  it('a stack created with branch_uid reaches roles, environments and locales with a token scoped to another branch', async () => {
    const mainOnly = await stack.managementToken().create({ token: { name: 'main only', scope: [all, branchScope('main')] } })
    const dev = sg.client().stack({ api_key: sg.apiKey, management_token: mainOnly.token, branch_uid: 'development' })
    const roles = await dev.role().fetchAll()
    assert.ok(roles.items.some((r) => r.name === 'Developer'))
    const envs = await dev.environment().query().find()
    assert.ok(envs.items.some((x) => x.name === 'production'))
    const locales = await dev.locale().query().find()
    assert.ok(locales.items.length >= 1)
    // Branches themselves are the branch's: refused with Contentstack's 901,
    // which names the branch the SDK sent.
    const e = await refused(() => dev.branch('main').fetch())
    assert.equal(e.status, 403)
    assert.equal(e.errorCode, 901)
    assert.equal(e.errorMessage, "Access denied. You have insufficient permissions to perform operation on this branch 'development'.")
  })

  it('a stack created with branch_uid and a token scoped to that branch works on it; an unknown branch_uid is 905', async () => {
    const devOnly = await stack.managementToken().create({ token: { name: 'development only', scope: [all, branchScope('development')] } })
    const dev = sg.client().stack({ api_key: sg.apiKey, management_token: devOnly.token, branch_uid: 'development' })
    const branch = await dev.branch('development').fetch()
    assert.equal(branch.uid, 'development')
    const created = await dev.environment().create({ environment: { name: 'from-development', urls: [] } })
    assert.equal(created.name, 'from-development')
    const nowhere = sg.client().stack({ api_key: sg.apiKey, management_token: devOnly.token, branch_uid: 'nowhere' })
    const e = await refused(() => nowhere.role().fetchAll())
    assert.equal(e.status, 422)
    assert.equal(e.errorCode, 905)
    assert.deepEqual(e.errors, { branch: ['is not valid.'] })
  })

  it('a logged-in developer on a branch_uid stack lists roles, with the system roles\u2019 rules', async () => {
    const developer = await sg.login('developer')
    const dev = developer.client.stack({ api_key: sg.apiKey, branch_uid: 'development' })
    const roles = await dev.role().fetchAll({ include_rules: true })
    const cm = roles.items.find((r) => r.name === 'Content Manager')
    assert.deepEqual(cm.rules.map((r) => r.module), ['locale', 'environment', 'asset'])
  })
})
