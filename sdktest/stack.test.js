'use strict'
const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { start, refused } = require('./harness')

describe('stack, environments, locales, branches and aliases', () => {
  let sg, stack, client
  before(async () => {
    sg = await start()
    ;({ stack, client } = await sg.login('owner'))
  })
  after(() => sg.stop())

  it('fetches the stack, its settings and its members', async () => {
    assert.equal((await stack.fetch()).api_key, sg.apiKey)
    assert.ok(await stack.settings())
    const users = await stack.users()
    assert.deepEqual(users.map((u) => u.email).sort(), ['admin@example.com', 'cm@example.com', 'dev@example.com', 'owner@example.com'])
  })

  it("gets all stacks: client.stack().query().find() lists the user's, no api_key sent", async () => {
    const all = await client.stack().query().find()
    assert.deepEqual(all.items.map((st) => st.api_key), [sg.apiKey])
    assert.equal(all.items[0].name, (await stack.fetch()).name)
    const none = await client.stack().query({ query: { name: 'no such stack' } }).find()
    assert.deepEqual(none.items, [])
  })

  it('manages environments', async () => {
    assert.deepEqual((await stack.environment().query().find()).items.map((e) => e.name), ['production'])
    const e = await stack.environment().create({ environment: { name: 'staging', urls: [{ locale: 'en-us', url: 'https://staging.example.com' }] } })
    assert.equal(e.urls[0].url, 'https://staging.example.com')
    const fetched = await stack.environment('staging').fetch()
    fetched.name = 'stage'
    assert.equal((await fetched.update()).name, 'stage')
    assert.equal((await stack.environment('stage').delete()).notice, 'Environment deleted successfully.')
  })

  it('manages locales; the master locale has no fallback', async () => {
    const master = await stack.locale().query({ query: { fallback_locale: null } }).find()
    assert.deepEqual(master.items.map((l) => l.code), ['en-us'])
    const fr = await stack.locale().create({ locale: { code: 'fr-fr', name: 'French' } })
    assert.equal(fr.fallback_locale, 'en-us')
    const l = await stack.locale('fr-fr').fetch()
    l.name = 'Français'
    assert.equal((await l.update()).name, 'Français')
    await stack.locale('fr-fr').delete()
    const e = await refused(() => stack.locale('en-us').delete())
    assert.equal(e.status, 422)
  })

  it('manages branches and aliases; main stays', async () => {
    assert.equal((await stack.branch().create({ branch: { uid: 'dev', source: 'main' } })).uid, 'dev')
    assert.deepEqual((await stack.branch().query().find()).items.map((b) => b.uid).sort(), ['dev', 'main'])
    const aliased = await stack.branchAlias('deploy').createOrUpdate('dev')
    assert.equal(aliased.uid, 'dev')
    assert.equal((await stack.branchAlias().fetchAll()).items.length, 1)
    let e = await refused(() => stack.branch('dev').delete())
    assert.equal(e.status, 422) // an alias points at it
    await stack.branchAlias('deploy').delete()
    await stack.branch('dev').delete()
    e = await refused(() => stack.branch('main').delete())
    assert.equal(e.status, 422)
  })

  it('assigns roles to members', async () => {
    const roles = (await stack.role().fetchAll()).items
    const cm = roles.find((r) => r.name === 'Content Manager')
    const dev = sg.users.developer.user_uid
    await stack.updateUsersRoles({ [dev]: [cm.uid] })
    const devStack = (await sg.login('developer')).stack
    const e = await refused(() => devStack.environment().create({ environment: { name: 'nope' } }))
    assert.equal(e.status, 403)
    assert.equal(e.errorCode, 316)
  })

  it('shares by invitation: one reply for every address, the invitee joins by accepting', async () => {
    const admin = (await stack.role().fetchAll()).items.find((r) => r.name === 'Admin')
    const replies = []
    for (const email of ['newcomer@example.com', 'dev@example.com']) {
      replies.push(await stack.share([email], { [email]: [admin.uid] }))
    }
    assert.deepEqual(replies[0], { notice: 'The invitation has been sent successfully.' })
    assert.deepEqual(replies[1], replies[0])
    const e = await refused(() => stack.share(['newcomer@example.com'], { 'newcomer@example.com': ['bltnorole'] }))
    assert.equal(e.status, 422)
    assert.equal(e.errorCode, 141)

    // Not added yet: the developer (a Content Manager since the test above) cannot read management tokens.
    const dev = await sg.login('developer')
    assert.equal((await refused(() => dev.stack.managementToken().query().find())).status, 403)
    const { body } = await sg.raw('GET', '/v3/user/stack_invitations', { authtoken: dev.authtoken })
    assert.equal(body.stack_invitations.length, 1)
    const inv = body.stack_invitations[0]
    assert.equal(inv.stack.name, 'SDK Stack')
    assert.deepEqual(inv.roles.map((r) => r.name), ['Admin'])
    // Someone else's authtoken: as if it did not exist.
    const cm = await sg.login('cm')
    assert.equal((await sg.raw('POST', `/v3/user/stack_invitations/${inv.uid}/accept`, { authtoken: cm.authtoken })).status, 422)
    const accepted = await sg.raw('POST', `/v3/user/stack_invitations/${inv.uid}/accept`, { authtoken: dev.authtoken })
    assert.equal(accepted.status, 200)
    assert.equal(accepted.body.stack.api_key, sg.apiKey)
    assert.ok(Array.isArray((await dev.stack.managementToken().query().find()).items))
  })

  it('unshares: the member leaves at once, an invitation is withdrawn, the owner stays', async () => {
    const cm = await sg.login('cm')
    assert.ok((await cm.stack.role().fetchAll()).items.length > 0)
    const admin = (await sg.login('admin')).stack
    assert.deepEqual(await admin.unShare('cm@example.com'), { notice: 'The stack has been successfully unshared.' })
    // The authtoken of the user who left is refused on the very next request.
    let e = await refused(() => cm.stack.role().fetchAll())
    assert.equal(e.status, 403)
    assert.equal(e.errorCode, 316)
    assert.ok(!(await stack.users()).map((u) => u.email).includes('cm@example.com'))

    // An address only invited: its invitation is withdrawn.
    const dev = (await stack.role().fetchAll()).items.find((r) => r.name === 'Developer')
    await stack.share(['later@example.com'], { 'later@example.com': [dev.uid] })
    assert.deepEqual(await stack.unShare('later@example.com'), { notice: 'The stack has been successfully unshared.' })

    for (const email of ['owner@example.com', 'later@example.com', 'cm@example.com']) {
      e = await refused(() => admin.unShare(email))
      assert.equal(e.status, 422)
      assert.equal(e.errorCode, 141)
      assert.ok(e.errors.email, JSON.stringify(e.errors))
    }
    assert.ok((await stack.users()).map((u) => u.email).includes('owner@example.com'))
  })
})
