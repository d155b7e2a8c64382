#!/usr/bin/env node
// The main job, offline, in one go: a sandbox gateway, `ummah webhooks listen`
// forwarding to a small app that verifies signatures (examples/webhook-app.mjs),
// `ummah trigger purchase.paid`, and the verified events arriving.
// Run from the repository: `npm run demo` (after `npm ci`).
import {spawn} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = join(root, 'bin', 'run.js')
// Its own configuration, removed at the end; the sandbox keeps nothing (--ephemeral), so your own sandbox state is left alone.
const configDir = mkdtempSync(join(tmpdir(), 'ummah-demo-'))
const env = {...process.env, UMMAH_CONFIG_DIR: configDir, UMMAH_SECRET_KEY: 'sk_test_demo'}
const children = []

function start(label, args, extraEnv = {}) {
  const child = spawn(process.execPath, args, {env: {...env, ...extraEnv}})
  children.push(child)
  const lines = []
  let buffer = ''
  const waiters = []
  child.stdout.on('data', (chunk) => {
    buffer += chunk
    let newline
    while ((newline = buffer.indexOf('\n')) !== -1) {
      const line = buffer.slice(0, newline)
      buffer = buffer.slice(newline + 1)
      lines.push(line)
      console.log(`${label.padEnd(7)}| ${line}`)
      for (const waiter of [...waiters]) waiter()
    }
  })
  child.stderr.on('data', (chunk) => process.stderr.write(`${label.padEnd(7)}| ${chunk}`))
  const waitFor = (pattern, timeoutMs = 20_000) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${label}: no line matching ${pattern} after ${timeoutMs} ms`)), timeoutMs)
      const check = () => {
        const found = lines.map((line) => pattern.exec(line)).find(Boolean)
        if (found) {
          clearTimeout(timer)
          waiters.splice(waiters.indexOf(check), 1)
          resolve(found)
        }
      }
      waiters.push(check)
      check()
    })
  return {child, waitFor}
}

/** A port nothing listens on now, for the app (the listener is told it before the app starts). */
function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const {port} = server.address()
      server.close(() => resolve(port))
    })
  })
}

function run(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {env, stdio: ['ignore', 'inherit', 'inherit']})
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ummah ${args.join(' ')} exited ${code}`))))
  })
}

try {
  const sandbox = start('sandbox', [bin, 'sandbox', 'start', '--port', '0', '--ephemeral'])
  const [, apiBase] = await sandbox.waitFor(/Sandbox listening on (\S+)/)
  env.UMMAH_API_BASE = apiBase

  // The listener first: it makes the listener webhook (the same one, and key, on every run) and keeps what
  // arrives until the app is up. The app is then configured once with that key, as `--print-public-key` prints it.
  const appPort = await freePort()
  const relay = start('listen', [bin, 'webhooks', 'listen', '--forward', `localhost:${appPort}/webhook`])
  await relay.waitFor(/^Ready!/)
  const publicKey = await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'webhooks', 'listen', '--print-public-key'], {env})
    let out = ''
    child.stdout.on('data', (chunk) => (out += chunk))
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error('could not read the public key'))))
  })
  const app = start('app', [join(root, 'examples', 'webhook-app.mjs'), String(appPort)], {UMMAH_WEBHOOK_PUBLIC_KEY: publicKey})
  await app.waitFor(/App listening on http:\/\/127\.0\.0\.1:\d+\/webhook/)

  await run(['trigger', 'purchase.paid'])
  await app.waitFor(/^VERIFIED purchase\.paid /)
  console.log('\nThe app verified purchase.paid with the key `webhooks listen` printed. Done.')
} catch (error) {
  console.error(`demo failed: ${error.message}`)
  process.exitCode = 1
} finally {
  // Listener first, so it can unsubscribe its webhook while the sandbox still runs.
  for (const child of children.reverse()) {
    if (child.exitCode !== null) continue
    const exited = new Promise((resolve) => child.on('exit', resolve))
    child.kill('SIGTERM')
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 8000))])
  }
  rmSync(configDir, {recursive: true, force: true})
}
