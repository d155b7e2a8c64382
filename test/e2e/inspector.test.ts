/**
 * The inspector `webhooks listen` serves, at the HTTP level: bound to
 * loopback only, refusing another Host (DNS rebinding), another site's
 * Origin and requests without the run's token; found by `webhooks inspect`;
 * and `events resend --edit`, which has the sandbox sign an edited event.
 */
import {chmodSync, readFileSync, writeFileSync} from 'node:fs'
import {request} from 'node:http'
import {type AddressInfo, createServer} from 'node:net'
import {join} from 'node:path'
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'

import {Inspector} from '../../src/inspector/server.js'
import {type Sandbox, startSandbox} from '../../src/sandbox/server.js'
import {killTracked, runCli, tempConfigDir, tempDir} from '../helpers/cli.js'
import {App, Listener, until} from './listen-harness.js'

const KEY = 'sk_test_inspector_http'
const CONFIG = tempConfigDir()
let sandbox: Sandbox

const env = () => ({UMMAH_CONFIG_DIR: CONFIG, UMMAH_SECRET_KEY: KEY, UMMAH_API_BASE: sandbox.apiBase})
const ummah = (args: string[], extra: Record<string, string> = {}) => runCli(args, {env: {...env(), ...extra}})

beforeAll(async () => {
  sandbox = await startSandbox({port: 0, retryDelaysMs: [100, 200, 400], statementDelayMs: 0})
})
afterAll(() => sandbox.close())
// The tests share one profile: a listener a failed test left running would hold its lock and fail the next ones too.
afterEach(() => killTracked())

/** One raw HTTP request, with whatever Host and Origin a hostile page or a rebinding name would send. */
function raw(
  port: number,
  path: string,
  headers: Record<string, string>,
  method = 'GET',
): Promise<{status: number; headers: Record<string, unknown>; body: string}> {
  return new Promise((resolve, reject) => {
    const sent = request({host: '127.0.0.1', port, path, method, headers, setHost: false}, (response) => {
      let body = ''
      response.on('data', (chunk: Buffer) => (body += chunk.toString()))
      response.on('end', () => resolve({status: response.statusCode!, headers: response.headers, body}))
    })
    sent.on('error', reject)
    sent.end(method === 'POST' ? '{}' : undefined)
  })
}

/** Local addresses listening on this TCP port, from the kernel's own tables (hex, as /proc/net/tcp writes them). */
function listeningAddresses(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0')
  const found: string[] = []
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/)
      // 0A: LISTEN.
      if (local?.endsWith(`:${hexPort}`) && state === '0A') found.push(local.split(':')[0])
    }
  }
  return found
}

describe('the inspector over HTTP', {timeout: 120_000}, () => {
  it('listens on 127.0.0.1 only and refuses a foreign Host, a foreign Origin and a request without the token', async () => {
    const app = new App()
    await app.start()
    const listener = new Listener(['--forward', `127.0.0.1:${app.port}/webhook`], env())
    const ready = await listener.ready()
    const url = new URL(ready.inspector)
    const token = new URLSearchParams(url.hash.slice(1)).get('token')!
    const port = Number(url.port)
    expect(url.hostname).toBe('127.0.0.1')
    expect(token).toMatch(/^[\w-]{32}$/)
    // 127.0.0.1 (0100007F) and nothing else: no 0.0.0.0, no ::, no other interface.
    expect(listeningAddresses(port)).toEqual(['0100007F'])

    const own = {host: `127.0.0.1:${port}`}
    const page = await raw(port, '/', own)
    expect(page.status).toBe(200)
    expect(page.headers['content-security-policy']).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    )
    expect(page.body).not.toContain(token)
    expect((await raw(port, '/api/events', {...own, 'x-inspector-token': token})).status).toBe(200)
    expect((await raw(port, '/api/events', {host: `localhost:${port}`, 'x-inspector-token': token})).status).toBe(200)

    // DNS rebinding: a name of the attacker's that resolves to 127.0.0.1 arrives with its own Host.
    for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1.nip.io:${port}`, `127.0.0.1:${port + 1}`]) {
      expect((await raw(port, '/', {host})).status, host).toBe(403)
      expect((await raw(port, '/api/events', {host, 'x-inspector-token': token})).status, host).toBe(403)
    }
    // Another site's page, even one that learnt the token, is refused by its Origin.
    for (const origin of ['http://evil.example', `http://127.0.0.1:${port + 1}`, 'null']) {
      expect((await raw(port, '/api/events', {...own, origin, 'x-inspector-token': token})).status, origin).toBe(403)
    }
    expect((await raw(port, '/api/events', {...own, origin: `http://127.0.0.1:${port}`, 'x-inspector-token': token})).status).toBe(200)
    expect((await raw(port, '/api/events', {...own, 'sec-fetch-site': 'cross-site', 'x-inspector-token': token})).status).toBe(403)

    // No token, or a wrong one: nothing is read, and a replay sends nothing.
    await ummah(['trigger', 'purchase.created'])
    await until(() => app.received.length === 1, 'one event at the app')
    const rows = JSON.parse((await raw(port, '/api/events', {...own, 'x-inspector-token': token})).body).events as Array<{seq: number}>
    expect(rows).toHaveLength(1)
    expect((await raw(port, '/api/events', own)).status).toBe(403)
    // One character off: a fixed 'x' would be the token itself one run in 64 (32 base64url characters).
    const wrong = `${token.slice(0, -1)}${token.endsWith('x') ? 'y' : 'x'}`
    expect(wrong).not.toBe(token)
    expect((await raw(port, `/api/events/${rows[0].seq}`, {...own, 'x-inspector-token': wrong})).status).toBe(403)
    expect((await raw(port, `/api/events/${rows[0].seq}/replay`, own, 'POST')).status).toBe(403)
    expect((await raw(port, `/api/events/${rows[0].seq}/replay?token=${token.slice(1)}`, own, 'POST')).status).toBe(403)
    expect(app.received).toHaveLength(1)
    const replayed = await raw(port, `/api/events/${rows[0].seq}/replay`, {...own, 'x-inspector-token': token}, 'POST')
    expect(replayed.status).toBe(200)
    expect(app.received).toHaveLength(2)
    expect(app.received[1].raw.equals(app.received[0].raw)).toBe(true)

    // `webhooks inspect` finds this listener's URL; once it stops, there is none.
    const printed = await ummah(['webhooks', 'inspect', '--print-url'])
    expect([printed.code, printed.stdout]).toEqual([0, `${ready.inspector}\n`])
    expect(JSON.parse((await ummah(['webhooks', 'inspect', '--json'])).stdout)).toEqual({url: ready.inspector})
    await listener.stop()
    const none = await ummah(['webhooks', 'inspect', '--print-url'])
    expect([none.code, none.stderr]).toEqual([
      2,
      'Error: No listener is running for profile "default". Start one: ummah webhooks listen --forward localhost:3000/webhook\n',
    ])
    await app.stop()
  })

  it('--no-inspect serves nothing; --inspect-port on a taken port is a usage error; the default takes the next free port', async () => {
    const app = new App()
    await app.start()
    const listener = new Listener(['--forward', `127.0.0.1:${app.port}/webhook`, '--no-inspect'], env())
    expect((await listener.ready()).inspector).toBeUndefined()
    const without = await ummah(['webhooks', 'inspect'])
    expect(without.code).toBe(2)
    expect(without.stderr).toMatch(
      /^Error: The listener of profile "default" \(pid \d+\) runs without the inspector\. Restart it without --no-inspect\.\n$/,
    )
    await listener.stop()

    const taken = createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    const port = (taken.address() as AddressInfo).port
    const refused = await ummah(['webhooks', 'listen', '--forward', `127.0.0.1:${app.port}`, '--inspect-port', String(port)])
    expect([refused.code, refused.stderr]).toEqual([
      2,
      `Error: Port ${port} is already in use. Pick a free one with --inspect-port, or run without the inspector: --no-inspect.\n`,
    ])
    // As from 4040: the first port taken, the next free one is used.
    const inspector = new Inspector({port, scan: true})
    const url = new URL(await inspector.start())
    expect(Number(url.port)).toBeGreaterThan(port)
    expect(Number(url.port)).toBeLessThan(port + 100)
    await inspector.close()
    await new Promise((resolve) => taken.close(resolve))
    await app.stop()
  })

  it('events resend --edit: the sandbox signs the edit with the webhook key, and the app verifies it', async () => {
    const app = new App()
    await app.start()
    const listener = new Listener(['--forward', `127.0.0.1:${app.port}/webhook`], env())
    app.publicKey = (await listener.ready()).public_key
    await ummah(['trigger', 'purchase.created'])
    await until(() => app.received.length === 1, 'the created event')
    const original = app.received[0]
    // An editor that changes the event's type, as a developer would in $EDITOR.
    const editor = join(tempDir('ummah-editor-'), 'edit.sh')
    writeFileSync(editor, `#!/bin/sh\nsed -i 's/"purchase.created"/"purchase.paid"/' "$1"\n`)
    chmodSync(editor, 0o755)
    const sent = await ummah(['webhooks', 'events', 'resend', original.id, '--edit', '--json'], {EDITOR: editor})
    expect(sent.code, sent.stderr).toBe(0)
    expect(JSON.parse(sent.stdout).delivery).toMatchObject({status: 'delivered', response_code: 200})
    await until(() => app.received.length === 2, 'the edited event')
    const edited = app.received[1]
    expect(edited).toMatchObject({type: 'purchase.paid', verified: true})
    expect(edited.id).not.toBe(original.id)
    expect(JSON.parse(edited.raw.toString()).object).toEqual(JSON.parse(original.raw.toString()).object)

    const failing = join(tempDir('ummah-editor-'), 'fail.sh')
    writeFileSync(failing, '#!/bin/sh\nexit 3\n')
    chmodSync(failing, 0o755)
    const quit = await ummah(['webhooks', 'events', 'resend', original.id, '--edit'], {EDITOR: failing})
    expect([quit.code, quit.stderr]).toEqual([
      2,
      `Error: The editor (${failing}) exited with 3: nothing sent. Save and quit normally to send the edit.\n`,
    ])
    expect(app.received).toHaveLength(2)
    await listener.stop()
    await app.stop()
  })
})
