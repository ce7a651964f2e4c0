// The official @contentstack/management SDK through stackgate's main
// listener with --cma-upstream (spec §7, issue 10): every /v3 route
// stackgate does not serve itself (content types, entries, assets, publish)
// is decided for the authtoken or management token and, allowed, forwarded
// to the content upstream (upstream.js) with the gate's X-Stackgate-*
// headers and the original bytes; refused, it is answered by stackgate in
// the Contentstack error shape and never reaches the upstream.
'use strict'
const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { start, refused, branchScope } = require('./harness')

const sub = { read: true, create: true, update: true, delete: true, publish: true }

describe('@contentstack/management through --cma-upstream', () => {
  let sg, up, owner, full, readOnly, publisher
  // reached runs fn and returns what the CMA upstream received meanwhile.
  const reached = async (fn) => {
    const n = up.seen.length
    const value = await fn()
    return { value, got: up.since(n) }
  }
  // refusedHere runs fn, which stackgate must refuse (the SDK error comes
  // back) without anything reaching the upstream.
  const refusedHere = async (fn) => {
    const n = up.seen.length
    const e = await refused(fn)
    assert.deepEqual(up.since(n).map((r) => `${r.method} ${r.url}`), [], 'the upstream must not be reached')
    return e
  }
  // gateHeaders checks the headers the gate set on a forwarded request.
  const gateHeaders = (r, principal) => {
    assert.equal(r.header('x-stackgate-stack'), sg.apiKey)
    assert.equal(r.header('x-stackgate-principal'), principal)
    assert.equal(r.header('x-stackgate-branch'), 'main')
  }

  before(async () => {
    sg = await start({ proxies: true })
    up = sg.upstreams.cma
    owner = await sg.login('owner')
    await owner.stack.environment().create({ environment: { name: 'staging' } })
    const all = await owner.stack.managementToken().create({ token: { name: 'all', scope: [{ module: '$all', acl: { read: true, write: true } }, branchScope()] } })
    const ro = await owner.stack.managementToken().create({ token: { name: 'read only', scope: [{ module: '$all', acl: { read: true } }, branchScope()] } })
    full = { secret: all.token, uid: all.uid }
    readOnly = { secret: ro.token, uid: ro.uid }
    // A custom role that may do everything with entries, but publish only
    // on staging; the Content Manager gets it instead of their system role.
    const role = await owner.stack.role().create({
      role: {
        name: 'Staging publisher',
        rules: [branchScope(), { module: 'content_type', content_types: ['$all'], acl: { read: true, sub_acl: sub } },
          { module: 'environment', environments: ['staging'], acl: { read: true } }]
      }
    })
    await owner.stack.updateUsersRoles({ [sg.users.cm.user_uid]: [role.uid] })
    publisher = await sg.login('cm')
  })
  after(() => sg.stop())

  it('logged in: contentType().query().find() reaches the upstream with the gate headers; its answer reaches the SDK', async () => {
    const { value, got } = await reached(() => owner.stack.contentType().query().find())
    assert.deepEqual(value.items.map((ct) => ct.uid), ['blog', 'page'])
    assert.equal(typeof value.items[0].entry, 'function') // the SDK built its ContentType objects
    assert.equal(got.length, 1)
    const r = got[0]
    assert.equal(r.method, 'GET')
    assert.match(r.url, /^\/v3\/content_types(\?|$)/)
    assert.equal(r.header('authtoken'), owner.authtoken) // the credential goes on as sent
    assert.equal(r.header('api_key'), sg.apiKey)
    gateHeaders(r, 'user:' + sg.users.owner.user_uid)
  })

  it("logged in: contentType('blog').entry().query().find() and asset().query().find() reach the upstream", async () => {
    let { value, got } = await reached(() => owner.stack.contentType('blog').entry().query().find())
    assert.deepEqual(value.items.map((e) => e.uid), ['blt0000000000000001', 'blt0000000000000002'])
    assert.equal(got.length, 1)
    assert.match(got[0].url, /^\/v3\/content_types\/blog\/entries(\?|$)/)
    ;({ value, got } = await reached(() => owner.stack.asset().query().find()))
    assert.deepEqual(value.items.map((a) => a.uid), ['bltasset0000000001'])
    assert.match(got[0].url, /^\/v3\/assets(\?|$)/)
  })

  it('routes stackgate serves itself (roles, environments) are not forwarded', async () => {
    const { value, got } = await reached(async () => [await owner.stack.role().fetchAll(), await owner.stack.environment().query().find()])
    assert.ok(value[0].items.some((r) => r.name === 'Staging publisher'))
    assert.deepEqual(value[1].items.map((e) => e.name).sort(), ['production', 'staging'])
    assert.deepEqual(got, [])
  })

  it('create an entry: POST reaches the upstream with the very bytes the SDK sent; 201 and the entry come back', async () => {
    const { value, got } = await reached(() => owner.stack.contentType('blog').entry().create({ entry: { title: 'Hello — ünïcode', url: '/hello', tags: ['a', 'b'] } }))
    assert.equal(value.uid, 'blt00000000000000ff')
    assert.equal(value.title, 'Hello — ünïcode')
    assert.equal(owner.wire.last().status, 201)
    assert.equal(owner.wire.last().data.notice, 'Entry created successfully.')
    assert.equal(got.length, 1)
    assert.equal(got[0].method, 'POST')
    assert.match(got[0].url, /^\/v3\/content_types\/blog\/entries(\?|$)/)
    assert.equal(got[0].body, owner.wire.last().sent)
    assert.deepEqual(JSON.parse(got[0].body), { entry: { title: 'Hello — ünïcode', url: '/hello', tags: ['a', 'b'] } })
    assert.equal(got[0].header('content-length'), String(Buffer.byteLength(got[0].body)))
  })

  it('publish with environments and locales in its body (owner): read by the proxy, then forwarded unchanged', async () => {
    const entry = owner.stack.contentType('blog').entry('blt0000000000000001')
    const { value, got } = await reached(() => entry.publish({ publishDetails: { environments: ['production', 'staging'], locales: ['en-us'] }, locale: 'en-us' }))
    assert.equal(value.notice, 'The requested action has been performed.')
    assert.equal(got.length, 1)
    assert.equal(got[0].url, '/v3/content_types/blog/entries/blt0000000000000001/publish')
    assert.equal(got[0].body, owner.wire.last().sent)
    assert.deepEqual(JSON.parse(got[0].body), { entry: { environments: ['production', 'staging'], locales: ['en-us'] }, locale: 'en-us' })
  })

  it('a role limited to staging publishes to staging: allowed, the same bytes reach the upstream', async () => {
    const entry = publisher.stack.contentType('blog').entry('blt0000000000000001')
    const { value, got } = await reached(() => entry.publish({ publishDetails: { environments: ['staging'], locales: ['en-us'] }, locale: 'en-us' }))
    assert.equal(value.notice, 'The requested action has been performed.')
    assert.equal(got.length, 1)
    assert.equal(got[0].body, publisher.wire.last().sent)
    gateHeaders(got[0], 'user:' + sg.users.cm.user_uid)
  })

  it('a role limited to staging publishing to production (environment in the body only): 403 / 316, never upstream', async () => {
    const entry = publisher.stack.contentType('blog').entry('blt0000000000000001')
    for (const environments of [['production'], ['staging', 'production']]) {
      const e = await refusedHere(() => entry.publish({ publishDetails: { environments, locales: ['en-us'] }, locale: 'en-us' }))
      assert.equal(e.status, 403, environments.join())
      assert.equal(e.errorCode, 316)
      assert.equal(e.errorMessage, "You don't have the permission to do this operation.")
      assert.equal(typeof e.errors, 'object') // the Contentstack shape, as the SDK read it
    }
    const e = await refusedHere(() => entry.unpublish({ publishDetails: { environments: ['production'], locales: ['en-us'] }, locale: 'en-us' }))
    assert.equal(e.status, 403)
  })

  it('a role limited to staging: bulkOperation().publish() decided on the environments of its body', async () => {
    const details = (environments) => ({ details: { entries: [{ uid: 'blt0000000000000001', content_type: 'blog', locale: 'en-us' }], locales: ['en-us'], environments } })
    const { value, got } = await reached(() => publisher.stack.bulkOperation().publish(details(['staging'])))
    assert.match(value.notice, /bulk publish/)
    assert.equal(got.length, 1)
    assert.equal(got[0].url, '/v3/bulk/publish')
    assert.equal(got[0].body, publisher.wire.last().sent)
    const e = await refusedHere(() => publisher.stack.bulkOperation().publish(details(['production'])))
    assert.equal(e.status, 403)
    assert.equal(e.errorCode, 316)
  })

  it('asset().create() uploads a 2 MiB file as multipart: streamed to the upstream, every byte intact', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sg-asset-')), 'photo.bin')
    const content = crypto.randomBytes(2 << 20)
    fs.writeFileSync(file, content)
    const { value, got } = await reached(() => owner.stack.asset().create({ upload: file, title: 'photo' }))
    fs.rmSync(path.dirname(file), { recursive: true, force: true })
    assert.equal(value.uid, 'bltasset00000000ff')
    assert.equal(got.length, 1)
    assert.equal(got[0].method, 'POST')
    assert.equal(got[0].url, '/v3/assets')
    assert.match(got[0].header('content-type'), /^multipart\/form-data; boundary=/)
    assert.ok(got[0].bytes.includes(content), 'the file reached the upstream unchanged')
    if (got[0].header('content-length')) assert.equal(Number(got[0].header('content-length')), got[0].bytes.length)
  })

  it('a role without content-type write (the staging publisher) may not create or delete a content type: 403 / 316, never upstream', async () => {
    for (const call of [() => publisher.stack.contentType().create({ content_type: { title: 'New', uid: 'new', schema: [] } }),
      () => publisher.stack.contentType('blog').delete()]) {
      const e = await refusedHere(call)
      assert.equal(e.status, 403)
      assert.equal(e.errorCode, 316)
    }
  })

  it('a management token ($all write), both ways the SDK sends it: reads, creates and publishes reach the upstream', async () => {
    for (const how of ['management_token', 'authorization']) {
      const stack = sg.tokenStack(full.secret, how)
      let { value, got } = await reached(() => stack.contentType().query().find())
      assert.equal(value.items.length, 2, how)
      assert.equal(got.length, 1, how)
      assert.equal(got[0].header('authorization'), full.secret, how) // the SDK sends both as authorization
      gateHeaders(got[0], 'management_token:' + full.uid)
      ;({ value, got } = await reached(() => stack.contentType('blog').entry().create({ entry: { title: 'by a token' } })))
      assert.equal(value.title, 'by a token', how)
      assert.equal(got.length, 1, how)
      ;({ value, got } = await reached(() => stack.contentType('blog').entry('blt0000000000000002').publish({ publishDetails: { environments: ['production'], locales: ['en-us'] } })))
      assert.equal(value.notice, 'The requested action has been performed.', how)
      assert.equal(got.length, 1, how)
    }
  })

  it('a read-only management token reads content types and entries, but deleting a content type, creating or publishing is 403 / 316, never upstream', async () => {
    for (const how of ['management_token', 'authorization']) {
      const stack = sg.tokenStack(readOnly.secret, how)
      const { value, got } = await reached(() => stack.contentType('blog').entry().query().find())
      assert.equal(value.items.length, 2, how)
      assert.equal(got.length, 1, how)
      for (const call of [() => stack.contentType('blog').delete(),
        () => stack.contentType('blog').entry().create({ entry: { title: 'nope' } }),
        () => stack.contentType('blog').entry('blt0000000000000001').publish({ publishDetails: { environments: ['production'], locales: ['en-us'] } })]) {
        const e = await refusedHere(call)
        assert.equal(e.status, 403, how)
        assert.equal(e.errorCode, 316, how)
      }
    }
  })

  it('X-Stackgate-* headers a client sends are replaced by the gate\'s, never passed on', async () => {
    const c = sg.client({ authtoken: publisher.authtoken, headers: { 'X-Stackgate-Principal': 'user:' + sg.users.owner.user_uid, 'X-Stackgate-Stack': 'bltother', 'X-Stackgate-Admin': 'true' } })
    const { got } = await reached(() => c.stack({ api_key: sg.apiKey }).contentType().query().find())
    assert.equal(got.length, 1)
    gateHeaders(got[0], 'user:' + sg.users.cm.user_uid)
    assert.equal(got[0].header('x-stackgate-admin'), '')
  })

  it('X_Stackgate_* spellings a client sends ("_" for "-": one variable to CGI-style upstreams) are refused 400, never upstream', async () => {
    const spoof = { X_Stackgate_Principal: 'user:' + sg.users.owner.user_uid, 'X-Stackgate_Stack': 'bltother', X_STACKGATE_BRANCH: 'dev' }
    const c = sg.client({ authtoken: publisher.authtoken, headers: spoof })
    const e = await refusedHere(() => c.stack({ api_key: sg.apiKey }).contentType().query().find())
    assert.equal(e.status, 400)
  })

  it('no credential → 401 / 105; an unknown api_key → 412 / 109; neither reaches the upstream', async () => {
    let e = await refusedHere(() => sg.client().stack({ api_key: sg.apiKey }).contentType().query().find())
    assert.equal(e.status, 401)
    assert.equal(e.errorCode, 105)
    e = await refusedHere(() => owner.client.stack({ api_key: 'bltdoesnotexist' }).contentType().query().find())
    assert.equal(e.status, 412)
    assert.equal(e.errorCode, 109)
  })

  it('a deleted management token, and a logged-out session, are refused at once (401 / 105), never upstream', async () => {
    const t = await owner.stack.managementToken().create({ token: { name: 'short-lived', scope: [{ module: '$all', acl: { read: true } }, branchScope()] } })
    const stack = sg.tokenStack(t.token)
    assert.equal((await stack.contentType().query().find()).items.length, 2)
    await owner.stack.managementToken(t.uid).delete()
    let e = await refusedHere(() => stack.contentType().query().find())
    assert.equal(e.status, 401)
    assert.equal(e.errorCode, 105)
    const session = await sg.login('developer')
    assert.equal((await session.stack.contentType('blog').fetch()).uid, 'blog')
    await session.client.logout()
    e = await refusedHere(() => sg.client({ authtoken: session.authtoken }).stack({ api_key: sg.apiKey }).contentType('blog').fetch())
    assert.equal(e.status, 401)
    assert.equal(e.errorCode, 105)
  })
})
