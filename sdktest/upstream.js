// A content upstream: a small HTTP server that plays the Content Delivery
// API, the preview service or the Content Management API's content routes
// (content types, entries, assets, publish) behind stackgate's proxy
// listeners. It answers with Contentstack-shaped JSON and records every
// request it received — method, raw request-target, headers as sent (raw
// names and order) and body (bytes, and as text) — so tests assert on what reached it.
//
// Also here: a TLS terminator for the preview listener (the Delivery SDK
// reaches the Live Preview host over https only), which passes requests on
// as received.
'use strict'
const http = require('node:http')
const https = require('node:https')
const fs = require('node:fs')
const path = require('node:path')

const now = '2026-01-01T00:00:00.000Z'

function entry (uid, contentType, extra = {}) {
  return {
    uid,
    title: `Entry ${uid}`,
    url: `/${contentType}/${uid}`,
    locale: 'en-us',
    tags: [],
    ACL: {},
    _version: 1,
    _in_progress: false,
    created_at: now,
    updated_at: now,
    created_by: 'bltowner',
    updated_by: 'bltowner',
    publish_details: { environment: 'bltproduction', locale: 'en-us', time: now, user: 'bltowner' },
    ...extra
  }
}

function contentType (uid) {
  return {
    uid,
    title: uid[0].toUpperCase() + uid.slice(1),
    description: '',
    schema: [
      { data_type: 'text', display_name: 'Title', uid: 'title', mandatory: true, unique: true },
      { data_type: 'text', display_name: 'URL', uid: 'url', field_metadata: { _default: true } }
    ],
    options: { is_page: true, singleton: false, title: 'title', url_pattern: '/:title' },
    _version: 1,
    created_at: now,
    updated_at: now
  }
}

function asset (uid) {
  return {
    uid,
    title: `${uid}.png`,
    filename: `${uid}.png`,
    content_type: 'image/png',
    file_size: '1024',
    url: `https://images.example.com/v3/assets/stack/${uid}/${uid}.png`,
    tags: [],
    _version: 1,
    created_at: now,
    updated_at: now,
    publish_details: { environment: 'bltproduction', locale: 'en-us', time: now, user: 'bltowner' }
  }
}

// reply returns [status, body] for a request the upstream received. Paths
// are read with or without /v3 (the Delivery SDK drops it on the preview
// host).
function reply (method, url, body) {
  const p = url.split('?')[0].replace(/^\/v3(?=\/)/, '')
  let m
  if (method === 'GET' && p === '/content_types') return [200, { content_types: [contentType('blog'), contentType('page')], count: 2 }]
  if ((m = p.match(/^\/content_types\/([^/]+)$/))) {
    if (method === 'GET') return [200, { content_type: contentType(m[1]) }]
    if (method === 'DELETE') return [200, { notice: 'Content Type deleted successfully.' }]
  }
  if ((m = p.match(/^\/content_types\/([^/]+)\/entries$/))) {
    if (method === 'GET') return [200, { entries: [entry('blt0000000000000001', m[1]), entry('blt0000000000000002', m[1])], count: 2 }]
    if (method === 'POST') {
      let sent = {}
      try { sent = JSON.parse(body).entry || {} } catch (_) {}
      return [201, { notice: 'Entry created successfully.', entry: entry('blt00000000000000ff', m[1], { ...sent, publish_details: [] }) }]
    }
  }
  if ((m = p.match(/^\/content_types\/([^/]+)\/entries\/([^/]+)$/))) {
    if (method === 'GET') return [200, { entry: entry(m[2], m[1]) }]
    if (method === 'DELETE') return [200, { notice: 'Entry deleted successfully.' }]
  }
  if (method === 'POST' && /^\/content_types\/[^/]+\/entries\/[^/]+\/(un)?publish$/.test(p)) {
    return [200, { notice: 'The requested action has been performed.', job_id: 'job-1' }]
  }
  if (method === 'POST' && /^\/bulk\/(un)?publish$/.test(p)) {
    return [200, { notice: 'Your bulk publish request is in progress. Please check publish queue for more details.', job_id: 'job-2' }]
  }
  if (method === 'GET' && p === '/stacks/sync') return [200, { items: [], skip: 0, limit: 100, total_count: 0, sync_token: 'blt0000sync' }]
  if (method === 'POST' && p === '/assets') return [201, { notice: 'Asset created successfully.', asset: asset('bltasset00000000ff') }]
  if (method === 'GET' && p === '/assets') return [200, { assets: [asset('bltasset0000000001')], count: 1 }]
  if (method === 'GET' && (m = p.match(/^\/assets\/([^/]+)$/))) return [200, { asset: asset(m[1]) }]
  return [404, { error_message: 'The requested resource was not found.', error_code: 404, errors: {} }]
}

// contentUpstream starts an upstream on 127.0.0.1 and returns its URL, the
// requests it received (seen), and helpers.
async function contentUpstream (name) {
  const seen = []
  const server = http.createServer((req, res) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      const bytes = Buffer.concat(chunks)
      const body = bytes.toString('utf8')
      const headers = {}
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const k = req.rawHeaders[i].toLowerCase()
        ;(headers[k] = headers[k] || []).push(req.rawHeaders[i + 1])
      }
      const rec = { method: req.method, url: req.url, headers, rawHeaders: req.rawHeaders, body, bytes }
      // header(name) is a header's one value ('' when absent); it fails a
      // test that expects one value but the upstream got several.
      rec.header = (k) => {
        const v = headers[k.toLowerCase()] || []
        if (v.length > 1) throw new Error(`${name} upstream got ${v.length} ${k} headers: ${JSON.stringify(v)}`)
        return v.length ? v[0] : ''
      }
      seen.push(rec)
      const [status, out] = reply(req.method, req.url, body)
      const json = JSON.stringify(out)
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json), 'x-upstream': name })
      res.end(json)
    })
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${server.address().port}`
  return {
    name,
    url,
    seen,
    last: () => seen[seen.length - 1],
    // since(n) is what arrived after the first n requests.
    since: (n) => seen.slice(n),
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve) })
  }
}

const certFile = path.join(__dirname, 'testdata', 'preview-cert.pem')
const keyFile = path.join(__dirname, 'testdata', 'preview-key.pem')
const cert = fs.readFileSync(certFile)

// tlsTerminator listens with https on 127.0.0.1 and passes every request
// on, as received (request-target, raw headers, body), to the http server
// at port; responses come back as the server sent them.
async function tlsTerminator (port) {
  const server = https.createServer({ cert, key: fs.readFileSync(keyFile) }, (req, res) => {
    const up = http.request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.rawHeaders }, (r) => {
      res.writeHead(r.statusCode, r.rawHeaders)
      r.pipe(res)
    })
    up.on('error', (e) => { res.writeHead(502, { 'content-type': 'text/plain' }); res.end('terminator: ' + e.message) })
    req.pipe(up)
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    host: `127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve) })
  }
}

// trustingAgent is an https agent that trusts the terminator's certificate,
// for the Delivery SDK's httpsAgent option.
const trustingAgent = () => new https.Agent({ ca: cert, keepAlive: true })

module.exports = { contentUpstream, tlsTerminator, trustingAgent }
