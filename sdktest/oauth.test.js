// OAuth with the official SDK, unchanged: client.oauth() → authorize() →
// consent (POST /manifests/{app}/authorize, as the SDK's own tests mint
// codes) → handleRedirect() → the CMA through the Bearer token (its bodies
// now form-encoded) → a scope it lacks refused → refreshAccessToken() →
// logout() → the token refused. Plus a machine app with client_credentials.
'use strict'
const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { start, refused, scope, USERS } = require('./harness')

const SCOPES = 'cm.roles.management:read cm.roles.management:write cm.stack.delivery-tokens:read cm.stack.delivery-tokens:write user:read'

describe('OAuth (official SDK)', () => {
  let sg, app
  before(async () => {
    sg = await start()
    // The CLI's built-in app, registered as the README says.
    app = JSON.parse(sg.stackgate('app', 'add', '--name', 'Contentstack CLI', '--redirect-uri', 'http://localhost:8184',
      '--app-uid', '6400aa06db64de001a31c8a9', '--client-id', 'Ie0FEfTzlfAHL4xM', '--scopes', SCOPES))
  })
  after(async () => { await sg?.stop() })

  it('authorize, consent, handleRedirect, use, a scope it lacks, refresh, logout', async () => {
    const client = sg.client({ uiBaseUrl: sg.base, developerHubBaseUrl: sg.base })
    const oauth = client.oauth({ appId: app.app_uid, clientId: app.client_id, redirectUri: 'http://localhost:8184' })
    const authURL = new URL(await oauth.authorize())
    assert.equal(authURL.origin, sg.base)
    assert.equal(authURL.hash, `#!/apps/${app.app_uid}/authorize`)
    assert.equal(authURL.searchParams.get('client_id'), app.client_id)
    assert.equal(authURL.searchParams.get('code_challenge_method'), 'S256')

    // The user consents (what the consent page's Authorize button does).
    const login = await sg.raw('POST', '/v3/user-session', {}, { user: USERS.developer })
    const consent = await sg.raw('POST', `/manifests/${app.app_uid}/authorize`, { authtoken: login.body.user.authtoken, organization_uid: login.body.user.org_uid }, {
      client_id: app.client_id,
      redirect_uri: 'http://localhost:8184',
      code_challenge: authURL.searchParams.get('code_challenge'),
      code_challenge_method: 'S256',
      response_type: 'code'
    })
    assert.equal(consent.status, 200, JSON.stringify(consent.body))
    assert.match(consent.body.data.redirect_url, /^http:\/\/localhost:8184\/?\?code=[0-9a-f]{64}&location=NA$/)

    await oauth.handleRedirect(consent.body.data.redirect_url)
    const first = oauth.getAccessToken()
    assert.match(first, /^[0-9a-f]{64}$/)
    assert.match(oauth.getRefreshToken(), /^[0-9a-f]{64}$/)
    assert.equal(oauth.getUserUID(), sg.users.developer.user_uid)

    const stack = client.stack({ api_key: sg.apiKey })
    const roles = await stack.role().fetchAll()
    assert.deepEqual(roles.items.map((r) => r.name).sort(), ['Admin', 'Content Manager', 'Developer'])
    // Writes: the SDK now sends form-encoded bodies (qs brackets), which the
    // CMA reads as their JSON.
    const dt = await stack.deliveryToken().create({ token: { name: 'oauth dt', description: 'made through OAuth', scope: scope() } })
    assert.equal(dt.name, 'oauth dt')
    assert.equal(dt.scope.length, 2)
    const role = await stack.role().create({
      role: {
        name: 'oauth role',
        description: 'rules in brackets',
        rules: [
          { module: 'branch', branches: ['main'], acl: { read: true } },
          { module: 'content_type', content_types: ['$all'], acl: { read: true, sub_acl: { read: true, create: false } } },
          { module: 'environment', environments: ['production'], acl: { read: true } }
        ]
      }
    })
    const back = await stack.role(role.uid).fetch({ include_rules: true })
    const ct = back.rules.find((r) => r.module === 'content_type')
    assert.deepEqual(ct.acl, { read: true, sub_acl: { read: true, create: false } })
    assert.ok((await stack.deliveryToken().query().find()).items.some((t) => t.name === 'oauth dt'))

    // The app was not given environments: refused whatever the role allows.
    const noScope = await refused(() => stack.environment().query().find())
    assert.equal(noScope.status, 403)
    assert.equal(noScope.errorCode, 316)

    const refreshed = await oauth.refreshAccessToken()
    assert.ok(refreshed.refresh_token)
    const second = oauth.getAccessToken()
    assert.notEqual(second, first)
    assert.equal((await stack.role().fetchAll()).items.length, 4)
    // The previous access token is not revoked by the refresh.
    assert.equal((await sg.raw('GET', '/v3/roles', { authorization: 'Bearer ' + first })).status, 200)

    assert.equal(await oauth.logout(), 'Logged out successfully')
    for (const tok of [first, second]) {
      const res = await sg.raw('GET', '/v3/roles', { authorization: 'Bearer ' + tok })
      assert.equal(res.status, 401)
      assert.equal(res.body.error_code, 105)
    }
    // Through the SDK too: a client holding the revoked token is refused 401, not 294/161.
    const stale = sg.client({ authorization: 'Bearer ' + second }).stack({ api_key: sg.apiKey })
    const e = await refused(() => stale.role().fetchAll())
    assert.equal(e.status, 401)
    assert.equal(e.errorCode, 105)
  })

  it('a machine app: client_credentials, its scopes on its stack only', async () => {
    const robot = JSON.parse(sg.stackgate('app', 'add', '--name', 'Robot', '--machine', '--stack', sg.apiKey, '--scopes', 'cm.roles.management:read'))
    assert.match(robot.client_secret, /^[0-9a-f]{64}$/)
    const res = await fetch(sg.base + '/apps-api/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: robot.client_id, client_secret: robot.client_secret })
    })
    const tok = await res.json()
    assert.equal(res.status, 200, JSON.stringify(tok))
    assert.equal(tok.authorization_type, 'app')
    assert.equal(tok.stack_api_key, sg.apiKey)
    assert.ok(tok.refresh_token)
    const stack = sg.tokenStack('Bearer ' + tok.access_token, 'authorization')
    assert.equal((await stack.role().fetchAll()).items.length >= 3, true)
    const e = await refused(() => stack.deliveryToken().query().find())
    assert.equal(e.status, 403)
    // Removing the app ends its tokens. `app remove` is another process on
    // the server's SQLite file, whose writes the server notices within 200 ms
    // (PRAGMA data_version polling); through the server's own store, or on
    // PostgreSQL, it is at once (the Go and e2e tests).
    sg.stackgate('app', 'remove', '--app-uid', robot.app_uid)
    let status
    for (let i = 0; i < 60 && status !== 401; i++) {
      status = (await sg.raw('GET', '/v3/roles', { authorization: 'Bearer ' + tok.access_token })).status
      if (status !== 401) await new Promise((resolve) => setTimeout(resolve, 50))
    }
    assert.equal(status, 401)
    const gone = await refused(() => stack.role().fetchAll())
    assert.equal(gone.status, 401)
  })
})
