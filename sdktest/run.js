// `npm test`: builds stackgate once (unless STACKGATE_BIN is set), runs every
// *.test.js with node's test runner and the spec reporter, and ends with the
// line CI reads: "N passed, N failed". Exits non-zero on any failure.
'use strict'
const { run } = require('node:test')
const { spec } = require('node:test/reporters')
const { execFileSync } = require('node:child_process')
const path = require('node:path')
const fs = require('node:fs')
const os = require('node:os')

if (!process.env.STACKGATE_BIN) {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'stackgate-sdktest-bin-')), 'stackgate')
  execFileSync('go', ['build', '-o', out, './cmd/stackgate'], { cwd: path.resolve(__dirname, '..'), stdio: ['ignore', 'inherit', 'inherit'] })
  process.env.STACKGATE_BIN = out // inherited by the test processes
}

const only = process.argv.slice(2)
const files = fs.readdirSync(__dirname)
  .filter((f) => f.endsWith('.test.js') && (only.length === 0 || only.some((o) => f.includes(o))))
  .sort()
  .map((f) => path.join(__dirname, f))

let passed = 0
let failed = 0
// Each file starts its own server on its own port and database, so files
// run side by side.
// 180 s a file: console.test.js drives a browser through every page (about
// 70 s on a busy 2-core machine).
const stream = run({ files, concurrency: os.availableParallelism ? Math.min(4, os.availableParallelism()) : 2, timeout: 180000 })
stream.on('test:pass', (e) => { if (e.details.type !== 'suite' && !e.skip && !e.todo) passed++ })
// A suite's own failure counts only when it is not just its tests failing
// (an after() hook that throws, say), so that no failure goes unreported.
stream.on('test:fail', (e) => {
  const why = e.details.error && e.details.error.failureType
  if (e.details.type !== 'suite' || why !== 'subtestsFailed') failed++
})
const reporter = stream.compose(spec)
reporter.pipe(process.stdout, { end: false })
reporter.on('end', () => {
  process.stdout.write(`${passed} passed, ${failed} failed\n`) // the last line
  process.exitCode = failed > 0 || passed === 0 ? 1 : 0
})
