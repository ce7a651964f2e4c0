// The official Delivery SDK (@contentstack/delivery-sdk) through stackgate's
// proxy listeners (spec §7, issue 10): --cda-addr with delivery tokens, and
// --preview-addr with Live Preview, where the SDK sends both access_token
// and preview_token, drops /v3 from paths on the preview host and adds the
// live_preview header. Allowed reads reach the content upstream
// (upstream.js) as the SDK sent them, plus the gate's X-Stackgate-*
// headers; refused ones are answered by stackgate and never reach it.
'use strict'
const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { QueryOperation } = require('@contentstack/delivery-sdk')
const { start, scope, environmentScope, branchScope } = require('./harness')

const E1 = 'blt0000000000000001'

// sdkRefused runs fn, which must fail with an HTTP error from the Delivery
// SDK (an APIError: status, error_code, error_message).
async function sdkRefused (fn) {
  let value
  try {
    value = await fn()
  } catch (e) {
    if (!e.status) throw e
    return e
  }
  throw new Error('expected the call to be refused, it succeeded: ' + JSON.stringify(value).slice(0, 300))
}

// sent is what a request carried as the SDK made it: its headers, less
// those of the hop (host, connection) and those a proxy adds.
const sent = (r) => Object.fromEntries(Object.entries(r.headers)
  .filter(([k]) => !['host', 'connection'].includes(k) && !k.startsWith('x-forwarded-') && !k.startsWith('x-stackgate-'))
  .sort(([a], [b]) => a.localeCompare(b)))

describe('@contentstack/delivery-sdk through --cda-addr and --preview-addr (Live Preview)', () => {
  let sg, cda, preview, owner, prod, staging
  // reached runs fn and returns what each upstream received meanwhile.
  const reached = async (fn) => {
    const n = [cda.seen.length, preview.seen.length]
    const value = await fn()
    return { value, cda: cda.since(n[0]), preview: preview.since(n[1]) }
  }
  // refusedHere runs fn, which stackgate must refuse, with nothing reaching
  // either upstream.
  const refusedHere = async (fn) => {
    const n = [cda.seen.length, preview.seen.length]
    const e = await sdkRefused(fn)
    assert.deepEqual([...cda.since(n[0]), ...preview.since(n[1])].map((r) => `${r.method} ${r.url}`), [], 'no upstream may be reached')
    return e
  }
  const gateHeaders = (r, principal, environment) => {
    assert.equal(r.header('x-stackgate-stack'), sg.apiKey)
    assert.equal(r.header('x-stackgate-principal'), principal)
    assert.equal(r.header('x-stackgate-branch'), 'main')
    assert.equal(r.header('x-stackgate-environment'), environment)
  }

  before(async () => {
    sg = await start({ proxies: true })
    cda = sg.upstreams.cda
    preview = sg.upstreams.preview
    owner = await sg.login('owner')
    await owner.stack.environment().create({ environment: { name: 'staging' } })
    prod = await owner.stack.deliveryToken().create({ token: { name: 'site', scope: scope() } }, { create_with_preview_token: true })
    staging = await owner.stack.deliveryToken().create({ token: { name: 'staging site', scope: [environmentScope('staging'), branchScope()] } }, { create_with_preview_token: true })
  })
  after(() => sg.stop())

  it("CDA: contentType('blog').entry().find() in the token's environment reaches the upstream with the gate headers", async () => {
    const stack = sg.deliveryStack({ token: prod.token, environment: 'production' })
    const { value, cda: got } = await reached(() => stack.contentType('blog').entry().find())
    assert.deepEqual(value.entries.map((e) => e.uid), [E1, 'blt0000000000000002'])
    assert.equal(got.length, 1)
    assert.equal(got[0].method, 'GET')
    assert.equal(got[0].url, '/v3/content_types/blog/entries?environment=production')
    assert.equal(got[0].header('access_token'), prod.token)
    assert.equal(got[0].header('api_key'), sg.apiKey)
    gateHeaders(got[0], 'delivery_token:' + prod.uid, 'production')
  })

  it('CDA: a query, an entry, assets and content types; each request reaches the upstream exactly as the SDK sent it straight there', async () => {
    const direct = sg.deliveryStack({ token: prod.token, environment: 'production', port: Number(new URL(cda.url).port) })
    const gated = sg.deliveryStack({ token: prod.token, environment: 'production' })
    const calls = [
      (s) => s.contentType('blog').entry().query().where('title', QueryOperation.EQUALS, 'Entry ' + E1).includeCount().limit(5).find(),
      (s) => s.contentType('blog').entry().locale('en-us').includeReference('author').only(['title', 'url']).find(),
      (s) => s.contentType('blog').entry(E1).fetch(),
      (s) => s.asset().find(),
      (s) => s.asset('bltasset0000000001').fetch(),
      (s) => s.contentType().find(),
      (s) => s.contentType('blog').fetch()
    ]
    for (const call of calls) {
      const straight = await reached(() => call(direct))
      const through = await reached(() => call(gated))
      assert.equal(straight.cda.length, 1)
      assert.equal(through.cda.length, 1)
      const [a, b] = [straight.cda[0], through.cda[0]]
      assert.equal(b.method, a.method)
      assert.equal(b.url, a.url) // the request-target, byte for byte
      assert.deepEqual(sent(b), sent(a)) // every header the SDK set, unchanged
      assert.deepEqual(through.value, straight.value) // and the answer, unchanged
      gateHeaders(b, 'delivery_token:' + prod.uid, 'production')
    }
  })

  it('CDA: X-Stackgate-* headers the client sends as the gate spells them are replaced', async () => {
    const spoof = { 'X-Stackgate-Principal': 'user:someone', 'X-Stackgate-Environment': 'staging' }
    const stack = sg.deliveryStack({ token: prod.token, environment: 'production', headers: spoof })
    const { cda: got } = await reached(() => stack.contentType('blog').entry().find())
    assert.equal(got.length, 1)
    gateHeaders(got[0], 'delivery_token:' + prod.uid, 'production')
    const names = Object.keys(got[0].headers).filter((k) => k.replace(/_/g, '-').startsWith('x-stackgate-'))
    assert.deepEqual(names.sort(), ['x-stackgate-branch', 'x-stackgate-environment', 'x-stackgate-principal', 'x-stackgate-stack'])
  })

  it('CDA: another spelling of a gate header ("_" for "-", one variable to CGI-style upstreams) is refused 400, never upstream', async () => {
    const stack = sg.deliveryStack({ token: prod.token, environment: 'production', headers: { X_Stackgate_Environment: 'staging', 'x_stackgate-stack': 'bltother' } })
    const e = await refusedHere(() => stack.contentType('blog').entry().find())
    assert.equal(e.status, 400)
  })

  it('CDA: stack.sync({init: true}) is allowed for the environment', async () => {
    const stack = sg.deliveryStack({ token: prod.token, environment: 'production' })
    const { value, cda: got } = await reached(() => stack.sync({ init: true }))
    assert.equal(value.sync_token, 'blt0000sync')
    assert.match(got[0].url, /^\/v3\/stacks\/sync\?/)
    assert.match(got[0].url, /environment=production/)
  })

  it('CDA: another environment is refused 403 / 316 and never reaches the upstream; its own token reads it', async () => {
    const e = await refusedHere(() => sg.deliveryStack({ token: prod.token, environment: 'staging' }).contentType('blog').entry().find())
    assert.equal(e.status, 403)
    assert.equal(e.error_code, 316)
    assert.equal(e.error_message, "You don't have the permission to do this operation.")
    const { cda: got } = await reached(() => sg.deliveryStack({ token: staging.token, environment: 'staging' }).contentType('blog').entry(E1).fetch())
    assert.equal(got.length, 1)
    gateHeaders(got[0], 'delivery_token:' + staging.uid, 'staging')
  })

  it('CDA: a preview token as the delivery token is refused (401 / 105), never upstream; so is an unknown token and an unknown api_key', async () => {
    let e = await refusedHere(() => sg.deliveryStack({ token: prod.preview_token, environment: 'production' }).contentType('blog').entry().find())
    assert.equal(e.status, 401)
    assert.equal(e.error_code, 105)
    e = await refusedHere(() => sg.deliveryStack({ token: 'cs000000000000000000000000', environment: 'production' }).asset().find())
    assert.equal(e.status, 401)
    e = await refusedHere(() => sg.deliveryStack({ token: prod.token, environment: 'production', apiKey: 'bltdoesnotexist' }).asset().find())
    assert.equal(e.status, 412)
    assert.equal(e.error_code, 109)
  })

  it('CDA: a branch the token does not reach is refused before the upstream', async () => {
    await owner.stack.branch().create({ branch: { uid: 'dev', source: 'main' } })
    const e = await refusedHere(() => sg.deliveryStack({ token: prod.token, environment: 'production', branch: 'dev' }).contentType('blog').entry().find())
    assert.equal(e.status, 403)
  })

  it('Live Preview, before a preview hash: the SDK sends access_token and preview_token to the CDA; the delivery token decides', async () => {
    const stack = sg.deliveryStack({ token: prod.token, environment: 'production', previewToken: prod.preview_token })
    const { value, cda: got, preview: pv } = await reached(() => stack.contentType('blog').entry().find())
    assert.equal(value.entries.length, 2)
    assert.equal(pv.length, 0)
    assert.equal(got.length, 1)
    assert.equal(got[0].header('access_token'), prod.token)
    assert.equal(got[0].header('preview_token'), prod.preview_token) // passed on, not counted
    gateHeaders(got[0], 'delivery_token:' + prod.uid, 'production')
  })

  it('Live Preview, with a hash: requests go to the preview listener without /v3, live_preview passes through, the preview token decides', async () => {
    const stack = sg.deliveryStack({ token: prod.token, environment: 'production', previewToken: prod.preview_token })
    stack.livePreviewQuery({ live_preview: 'hash-7f3a', contentTypeUid: 'blog', entryUid: E1 })
    let { value, cda: got, preview: pv } = await reached(() => stack.contentType('blog').entry(E1).fetch())
    assert.equal(value.uid, E1)
    assert.equal(got.length, 0)
    assert.equal(pv.length, 1)
    assert.equal(pv[0].url, `/content_types/blog/entries/${E1}?environment=production`) // no /v3, as the SDK sent it
    assert.equal(pv[0].header('live_preview'), 'hash-7f3a')
    assert.equal(pv[0].header('preview_token'), prod.preview_token)
    assert.equal(pv[0].header('access_token'), prod.token)
    assert.match(pv[0].header('x-stackgate-principal'), /^preview_token:/)
    assert.equal(pv[0].header('x-stackgate-environment'), 'production')
    ;({ value, preview: pv } = await reached(() => stack.contentType('blog').entry().query().where('url', QueryOperation.EQUALS, '/blog').find()))
    assert.equal(value.entries.length, 2)
    assert.equal(pv.length, 1)
    assert.match(pv[0].url, /^\/content_types\/blog\/entries\?/)
  })

  it('preview listener: /v3 paths are served too; a delivery token alone is refused there', async () => {
    const h = { api_key: sg.apiKey, preview_token: prod.preview_token }
    const { value, preview: pv } = await reached(() => sg.get(sg.previewBase, '/v3/content_types/blog/entries?environment=production', h))
    assert.equal(value.status, 200)
    assert.equal(pv[0].url, '/v3/content_types/blog/entries?environment=production')
    const n = preview.seen.length
    const r = await sg.get(sg.previewBase, '/content_types/blog/entries?environment=production', { api_key: sg.apiKey, access_token: prod.token })
    assert.equal(r.status, 401)
    assert.equal(r.body.error_code, 105)
    assert.equal(preview.seen.length, n)
  })

  it('Live Preview with the delivery token given as preview token, or in another environment: refused on the preview listener, never upstream', async () => {
    let stack = sg.deliveryStack({ token: prod.token, environment: 'production', previewToken: prod.token })
    stack.livePreviewQuery({ live_preview: 'hash-1', contentTypeUid: 'blog', entryUid: E1 })
    let e = await refusedHere(() => stack.contentType('blog').entry(E1).fetch())
    assert.equal(e.status, 401)
    stack = sg.deliveryStack({ token: prod.token, environment: 'staging', previewToken: prod.preview_token })
    stack.livePreviewQuery({ live_preview: 'hash-2', contentTypeUid: 'blog', entryUid: E1 })
    e = await refusedHere(() => stack.contentType('blog').entry(E1).fetch())
    assert.equal(e.status, 403)
    assert.equal(e.error_code, 316)
  })

  it('a revoked token is refused at once: preview token deleted, then the delivery token deleted', async () => {
    const t = await owner.stack.deliveryToken().create({ token: { name: 'revoked soon', scope: scope() } }, { create_with_preview_token: true })
    const live = sg.deliveryStack({ token: t.token, environment: 'production', previewToken: t.preview_token })
    live.livePreviewQuery({ live_preview: 'hash-3', contentTypeUid: 'blog', entryUid: E1 })
    const plain = sg.deliveryStack({ token: t.token, environment: 'production' })
    assert.equal((await live.contentType('blog').entry(E1).fetch()).uid, E1)
    assert.equal((await plain.contentType('blog').entry(E1).fetch()).uid, E1)
    await owner.stack.deliveryToken(t.uid).previewToken().delete()
    let e = await refusedHere(() => live.contentType('blog').entry(E1).fetch())
    assert.equal(e.status, 401)
    assert.equal((await plain.contentType('blog').entry(E1).fetch()).uid, E1) // the delivery token lives on
    await owner.stack.deliveryToken(t.uid).delete()
    e = await refusedHere(() => plain.contentType('blog').entry(E1).fetch())
    assert.equal(e.status, 401)
    assert.equal(e.error_code, 105)
  })

  it('a token moved to another environment is refused at once in the old one', async () => {
    const t = await owner.stack.deliveryToken().create({ token: { name: 'moving', scope: scope() } })
    const stack = sg.deliveryStack({ token: t.token, environment: 'production' })
    assert.equal((await stack.asset().find()).assets.length, 1)
    const fetched = await owner.stack.deliveryToken(t.uid).fetch()
    fetched.scope[0].environments = ['staging']
    await fetched.update()
    const e = await refusedHere(() => stack.asset().find())
    assert.equal(e.status, 403)
    assert.equal((await sg.deliveryStack({ token: t.token, environment: 'staging' }).asset().find()).assets.length, 1)
  })
})
