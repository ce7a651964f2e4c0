// Runs the suite with node's test runner and ends with "N passed, N failed".
'use strict'
const { run } = require('node:test')
const { spec } = require('node:test/reporters')
const path = require('node:path')
const fs = require('node:fs')

const files = fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).map((f) => path.join(__dirname, f))
let passed = 0
let failed = 0
const stream = run({ files, concurrency: 1, timeout: 120000 })
stream.on('test:pass', (e) => { if (e.details.type !== 'suite') passed++ })
stream.on('test:fail', (e) => { if (e.details.type !== 'suite') failed++ })
const reporter = stream.compose(spec)
reporter.pipe(process.stdout, { end: false })
reporter.on('end', () => {
  // The last line, which CI reads.
  console.log(`${passed} passed, ${failed} failed`)
  process.exitCode = failed > 0 || passed === 0 ? 1 : 0
})
