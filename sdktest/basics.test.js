// Sessions and credentials: client.login, getUser, logout (spec §1–§3).
'use strict'
const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { start, refused, USERS } = require('./harness')

describe('sessions and credentials', () => {
  let sg
  before(async () => { sg = await start() })
  after(() => sg.stop())

  it('login: notice "Login Successful." and an authtoken', async () => {
    const { login, wire } = await sg.login('owner')
    assert.equal(login.notice, 'Login Successful.')
    assert.equal(wire.last().status, 200)
    assert.equal(typeof login.user.authtoken, 'string')
    assert.ok(login.user.authtoken.length >= 20)
    assert.equal(login.user.email, USERS.owner.email)
  })

  it('login with a wrong password → 422 / 104', async () => {
    const e = await refused(() => sg.client().login({ email: USERS.owner.email, password: 'wrong-password' }))
    assert.equal(e.status, 422)
    assert.equal(e.errorCode, 104)
    assert.equal(e.errorMessage, 'Looks like your email or password is invalid.')
  })

  it('login with an unknown email → 422 / 104, the same answer', async () => {
    const e = await refused(() => sg.client().login({ email: 'nobody@example.com', password: 'owner-password-1' }))
    assert.equal(e.status, 422)
    assert.equal(e.errorCode, 104)
  })

  it('getUser() returns the logged-in user', async () => {
    const { client } = await sg.login('developer')
    const user = await client.getUser()
    assert.equal(user.email, USERS.developer.email)
    assert.equal(user.uid, sg.users.developer.user_uid)
  })

  it('logout() → the old authtoken is refused (401 / 105); another session of the user lives on', async () => {
    const one = await sg.login('admin')
    const two = await sg.login('admin')
    assert.equal((await one.client.getUser()).email, USERS.admin.email)
    const res = await one.client.logout()
    assert.equal(one.wire.last().status, 200)
    assert.equal(typeof res.notice, 'string')
    let e = await refused(() => one.client.getUser())
    assert.equal(e.status, 401)
    assert.equal(e.errorCode, 105)
    // The same authtoken given explicitly is refused too, on a stack call.
    e = await refused(() => sg.client({ authtoken: one.authtoken }).stack({ api_key: sg.apiKey }).role().fetchAll())
    assert.equal(e.status, 401)
    assert.equal(e.errorCode, 105)
    assert.equal((await two.client.getUser()).email, USERS.admin.email)
  })

  it('client({authtoken}) works like a login', async () => {
    const { authtoken } = await sg.login('cm')
    const roles = await sg.client({ authtoken }).stack({ api_key: sg.apiKey }).role().fetchAll()
    assert.equal(roles.items.length, 3)
  })

  it('an unknown api_key → 412 / 109', async () => {
    const { client } = await sg.login('owner')
    const e = await refused(() => client.stack({ api_key: 'bltdoesnotexist' }).role().fetchAll())
    assert.equal(e.status, 412)
    assert.equal(e.errorCode, 109)
    assert.deepEqual(e.errors, { api_key: ['is not valid.'] })
  })

  it('no credential → 401 / 105', async () => {
    const e = await refused(() => sg.client().stack({ api_key: sg.apiKey }).role().fetchAll())
    assert.equal(e.status, 401)
    assert.equal(e.errorCode, 105)
  })
})
