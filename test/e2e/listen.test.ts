/**
 * `webhooks listen` end to end: the sandbox delivers, the real binary relays,
 * and a local app verifies every forward with the public key listen printed.
 */
import {generateKeyPairSync, sign} from 'node:crypto'
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'

import {type Sandbox, startSandbox} from '../../src/sandbox/server.js'
import {killTracked, runCli, tempConfigDir} from '../helpers/cli.js'
import {freePort} from '../helpers/server.js'
import {App, Listener, until} from './listen-harness.js'
import {WEBHOOK_EVENTS} from '../../src/api/endpoints.js'

const KEY = 'sk_test_listen_e2e'
const CONFIG = tempConfigDir()
let sandbox: Sandbox

const env = () => ({UMMAH_CONFIG_DIR: CONFIG, UMMAH_SECRET_KEY: KEY, UMMAH_API_BASE: sandbox.apiBase})
const listen = (args: string[]) => new Listener(args, env())

const ummah = (args: string[]) => runCli(args, {env: {UMMAH_CONFIG_DIR: CONFIG, UMMAH_SECRET_KEY: KEY, UMMAH_API_BASE: sandbox.apiBase}})

async function trigger(event: string): Promise<void> {
  const result = await ummah(['trigger', event])
  expect(result.code, result.stderr).toBe(0)
}

/** Every event the gateway has sent to the listener's webhook so far (its delivery log), by id. */
function sentEventIds(): string[] {
  const ids = new Set<string>()
  for (const account of Object.values(sandbox.store.state.accounts))
    for (const delivery of account.deliveries) if (delivery.webhook_id) ids.add(delivery.event_id)
  return [...ids]
}

beforeAll(async () => {
  sandbox = await startSandbox({port: 0, retryDelaysMs: [100, 200, 400, 800], statementDelayMs: 0})
})
afterAll(() => sandbox.close())
// Every test's listener shares this file's profile: one a failed test leaves running would hold its lock against the next ones.
afterEach(() => killTracked())

describe('webhooks listen', {timeout: 120_000}, () => {
  it('relays every event type once, verified, with identical bytes; same key next run; unsubscribed after a clean exit', async () => {
    const app = new App()
    await app.start()
    // PORT/PATH: always this machine (WHATWG URL alone would read `PORT/webhook` as an IPv4 address).
    const listener = listen(['--forward', `${app.port}/webhook`])
    const ready = await listener.ready()
    app.publicKey = ready.public_key
    expect(ready.forward).toBe(`http://localhost:${app.port}/webhook`)

    // Every documented event type, from the one list: purchase.created comes with each of the others.
    const events = WEBHOOK_EVENTS.filter((event) => event !== 'purchase.created')
    for (const event of events) await trigger(event)
    const expected = [...WEBHOOK_EVENTS]
    await until(() => expected.every((type) => app.received.some((item) => item.type === type)), 'every event type at the app')
    // The app can have an event before the sandbox has recorded its delivery (listen forwards while it writes, and the
    // sandbox records once answered): wait until both sides agree, not until the counts merely reach each other.
    await until(() => {
      const sent = sentEventIds()
      const received = new Set(app.received.map((item) => item.id))
      return sent.length > 0 && sent.length === received.size && sent.every((id) => received.has(id))
    }, 'every sent event at the app, and every event at the app sent')

    const ids = app.received.map((item) => item.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(new Set(ids)).toEqual(new Set(sentEventIds()))
    for (const item of app.received) {
      expect(item.verified, item.type).toBe(true)
      // The sandbox sends compact JSON.stringify output: any re-serialisation or change would also break the signature.
      expect(item.raw.toString('utf8')).toBe(JSON.stringify(JSON.parse(item.raw.toString('utf8'))))
      expect(item.headers['content-type']).toBe('application/json')
    }

    expect(await listener.stop('SIGTERM')).toBe(0)
    const summary = listener.lines.at(-1)!
    expect(summary).toEqual({type: 'summary', received: ids.length, delivered: ids.length, failed: 0, pending: 0, rejected: 0, duplicates: 0})

    const webhook = JSON.parse((await ummah(['webhooks', 'retrieve', ready.webhook_id, '--json'])).stdout)
    expect(webhook).toMatchObject({events: [], all_events: false})

    const again = listen(['--forward', `localhost:${app.port}/webhook`])
    const second = await again.ready()
    expect(second.public_key).toBe(ready.public_key)
    expect(second.webhook_id).toBe(ready.webhook_id)
    const printed = await ummah(['webhooks', 'listen', '--print-public-key'])
    expect(printed.stdout.trim()).toBe(ready.public_key.trim())
    await again.stop()
    await app.stop()
  })

  it('the app down for a while: everything arrives once it is back, in order, once', async () => {
    const app = new App()
    // Down until started on it below (freePort: no other test's listen(0) is given it meanwhile).
    const port = await freePort()
    const listener = listen(['--forward', `127.0.0.1:${port}/webhook`])
    app.publicKey = (await listener.ready()).public_key
    for (let index = 0; index < 3; index++) await trigger('purchase.paid')
    await until(() => listener.lines.filter((line) => line.type === 'event').length === 6, 'six events spooled')
    await until(() => listener.lines.some((line) => line.type === 'retry' && line.error === 'connection refused'), 'a refused forward, retried')

    await app.start(port)
    await until(() => app.received.length === 6, 'six events at the app')
    const arrival = listener.lines.filter((line) => line.type === 'event').map((line) => line.id)
    expect(app.received.map((item) => item.id)).toEqual(arrival)
    expect(app.received.every((item) => item.verified)).toBe(true)
    await listener.stop()
    await app.stop()
  })

  it('kill -9 with events pending loses nothing: the next run delivers them first', async () => {
    const app = new App()
    const port = await freePort()
    const first = listen(['--forward', `127.0.0.1:${port}/webhook`])
    app.publicKey = (await first.ready()).public_key
    await trigger('purchase.refunded')
    await until(() => first.lines.filter((line) => line.type === 'event').length === 3, 'three events spooled')
    const spooled = first.lines.filter((line) => line.type === 'event').map((line) => line.id)
    await first.stop('SIGKILL')

    const listed = JSON.parse((await ummah(['webhooks', 'events', 'list', '--json'])).stdout) as Array<{id: string; status: string}>
    for (const id of spooled) expect(listed.find((row) => row.id === id)?.status).toBe('pending')

    app.answer = '{"handled":true}'
    await app.start(port)
    const second = listen(['--forward', `127.0.0.1:${port}/webhook`])
    expect((await second.ready()).pending).toBe(3)
    await until(() => app.received.length === 3, 'the three pending events')
    expect(app.received.map((item) => item.id)).toEqual(spooled)
    await second.stop()
    expect(second.lines.at(-1)).toMatchObject({type: 'summary', delivered: 3, pending: 0})

    // One event whole: the exact bytes and headers the app received, its state and the app's answer.
    const received = app.received[1]
    const shown = await ummah(['webhooks', 'events', 'show', received.id, '--json'])
    expect(shown.code, shown.stderr).toBe(0)
    const detail = JSON.parse(shown.stdout)
    expect(Buffer.from(detail.body_base64, 'base64').equals(received.raw)).toBe(true)
    expect(detail).toMatchObject({
      id: received.id,
      type: received.type,
      status: 'delivered',
      response_status: 200,
      body: received.raw.toString('utf8'),
      body_bytes: received.raw.length,
    })
    expect(detail.headers['x-signature']).toBe(received.signature)
    // The app's answers: the refused forwards of the first run (each with the retry that followed), then its 200 and body.
    const answers = detail.answers as Array<Record<string, any>>
    expect(answers.length).toBeGreaterThanOrEqual(1)
    expect(answers.at(-1)).toMatchObject({status: 200, body: '{"handled":true}', replay: false, error: null, truncated: false})
    expect(answers.at(-1)!.headers['x-app']).toBe('test-app')
    for (const refused of answers.slice(0, -1)) expect(refused).toMatchObject({status: null, error: 'connection refused'})
    expect(answers.map((answer) => answer.attempt)).toEqual(answers.map((_, index) => detail.attempts - answers.length + index + 1))
    const rows = JSON.parse((await ummah(['webhooks', 'events', 'list', '--json'])).stdout) as Array<Record<string, any>>
    expect(rows.find((row) => row.id === received.id)!.answers).toEqual(answers)
    const human = await ummah(['webhooks', 'events', 'show', received.id])
    expect(human.stdout).toContain(
      JSON.stringify(JSON.parse(received.raw.toString('utf8')), null, 2)
        .split('\n')[1]
        .trim(),
    )
    expect(human.stdout).toContain(received.signature)
    const missing = await ummah(['webhooks', 'events', 'show', 'evt_not_spooled'])
    expect([missing.code, missing.stderr]).toEqual([4, 'Error: No event evt_not_spooled in the listener spool. See `ummah webhooks events list`.\n'])

    const resent = await ummah(['webhooks', 'events', 'resend', spooled[0], '--json'])
    expect(resent.code, resent.stderr).toBe(0)
    expect(JSON.parse(resent.stdout)).toMatchObject({id: spooled[0], status: 200})
    expect(app.received.at(-1)).toMatchObject({id: spooled[0], verified: true})
    expect(app.received).toHaveLength(4)
    const replayed = JSON.parse((await ummah(['webhooks', 'events', 'show', spooled[0], '--json'])).stdout)
    expect(replayed.answers.at(-1)).toMatchObject({replay: true, status: 200, body: '{"handled":true}', attempt: replayed.attempts})
    await app.stop()
  })

  it('a tampered or oversized delivery is refused and never forwarded; a gateway retry of a forwarded event is forwarded once', async () => {
    const app = new App()
    await app.start()
    const listener = listen(['--forward', `127.0.0.1:${app.port}/webhook`])
    const ready = await listener.ready()
    app.publicKey = ready.public_key
    await trigger('purchase.created')
    await until(() => app.received.length === 1, 'the created event')
    const original = app.received[0]

    const post = (body: Buffer, signature: string) =>
      fetch(ready.url, {method: 'POST', headers: {'content-type': 'application/json', 'x-signature': signature}, body})
    const tampered = Buffer.from(original.raw.toString('utf8').replace('"created"', '"paid"'))
    expect((await post(tampered, original.signature)).status).toBe(403)
    const {privateKey} = generateKeyPairSync('rsa', {modulusLength: 2048})
    const forged = Buffer.from(JSON.stringify({id: 'evt-forged', type: 'purchase.paid', object: {}}))
    expect((await post(forged, sign('sha256', forged, privateKey).toString('base64'))).status).toBe(403)

    expect((await post(Buffer.alloc(1_048_577, 32), original.signature)).status).toBe(413)

    expect((await post(original.raw, original.signature)).status).toBe(200)
    await until(() => listener.lines.some((line) => line.type === 'event' && line.duplicate), 'the duplicate reported')
    expect(listener.lines.filter((line) => line.type === 'error' && line.status === 403)).toHaveLength(2)
    expect(listener.lines.filter((line) => line.type === 'error' && line.status === 413)).toHaveLength(1)
    // stop() waits for forwards under way: after it, the app has everything that was ever forwarded.
    await listener.stop()
    expect(app.received).toHaveLength(1)
    expect(listener.lines.at(-1)).toMatchObject({type: 'summary', received: 1, delivered: 1, rejected: 3, duplicates: 1})
    await app.stop()
  })
})

describe('webhooks listen with partner schemes', {timeout: 120_000}, () => {
  it('verifies Basic from the sender and forwards with an OAuth2 bearer from the app; a wrong password is refused', async () => {
    const {OAuth2Issuer} = await import('../../src/schemes/oauth2.js')
    const issuer = new OAuth2Issuer({clientId: 'ummah', clientSecret: 'hook-secret', ttlSeconds: 60})
    const seen: Array<{authorization?: string; raw: Buffer; ok: boolean}> = []
    const app = createServer((request, response) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', () => {
        const raw = Buffer.concat(chunks)
        if (request.url === '/oauth/token') {
          const {status, body} = issuer.tokenResponse(request.headers.authorization, raw.toString())
          response.writeHead(status, {'content-type': 'application/json'}).end(JSON.stringify(body))
          return
        }
        const ok = issuer.verify({headers: {authorization: request.headers.authorization}, body: raw}).ok
        seen.push({authorization: request.headers.authorization, raw, ok})
        response.writeHead(ok ? 200 : 401).end()
      })
    })
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve))
    const port = (app.address() as AddressInfo).port
    const listener = listen([
      '--forward',
      `127.0.0.1:${port}/webhook`,
      '--verify-scheme',
      'basic',
      '--username',
      'hooks',
      '--password',
      's3cret',
      '--forward-auth',
      `oauth2:http://127.0.0.1:${port}/oauth/token,ummah,hook-secret`,
    ])
    const ready = await listener.ready()
    const body = Buffer.from('{"id":"evt-partner-1","type":"payment.completed","amount":"200.00"}')
    const send = (password: string) =>
      fetch(ready.url, {
        method: 'POST',
        headers: {'content-type': 'application/json', authorization: `Basic ${Buffer.from(`hooks:${password}`).toString('base64')}`},
        body,
      })
    expect((await send('wrong')).status).toBe(403)
    expect((await send('s3cret')).status).toBe(200)
    await until(() => seen.length === 1, 'the forward')
    expect(seen[0].ok).toBe(true)
    expect(seen[0].authorization).toMatch(/^Bearer [0-9a-f]{40}$/)
    expect(seen[0].raw.equals(body)).toBe(true)
    await listener.stop()
    expect(listener.lines.at(-1)).toMatchObject({type: 'summary', received: 1, delivered: 1, rejected: 1})
    await new Promise((resolve) => app.close(resolve))
  })

  it('verifies sha1-password signatures and adds a header the app expects', async () => {
    const {sha1PasswordSignature} = await import('../../src/schemes/sha1-password.js')
    const app = new App()
    await app.start()
    const listener = listen([
      '--forward',
      `127.0.0.1:${app.port}/webhook`,
      '--verify-scheme',
      'sha1-password',
      '--secret',
      'pw-1',
      '--forward-auth',
      'header:x-api-key:k1',
    ])
    const ready = await listener.ready()
    const body = Buffer.from('{"id":"evt-numi-1","type":"withdrawal","status":"rejected"}')
    const post = (signature: string) =>
      fetch(ready.url, {method: 'POST', headers: {'content-type': 'application/json', 'x-signature': signature}, body})
    expect((await post(sha1PasswordSignature(body, 'pw-2'))).status).toBe(403)
    expect((await post(sha1PasswordSignature(body, 'pw-1'))).status).toBe(200)
    await until(() => app.received.length === 1, 'the forward')
    expect(app.received[0].headers['x-api-key']).toBe('k1')
    expect(app.received[0].signature).toBe(sha1PasswordSignature(body, 'pw-1'))
    expect(app.received[0].raw.equals(body)).toBe(true)
    await listener.stop()
    await app.stop()
  })
})

describe('--verify-scheme umm-services verifies the sender', {timeout: 60_000}, () => {
  const umm = {
    client_key: 'CLI42',
    product: 'retail_payments',
    payment_channel: 'online',
    idempotent_request_key: 'k1',
    timestamp: '2020-09-18T17:31:34.000-05:30',
  }
  const body = Buffer.from('{"id":"evt-umm-1","event_type":"moneymovementservices.payment.status_updated","data":{}}')
  const basic = (password: string) => `Basic ${Buffer.from(`hooks:${password}`).toString('base64')}`

  it('Basic: no credentials, a wrong password or another client_key are 403; the right ones 200', async () => {
    const app = new App()
    await app.start()
    const listener = listen([
      '--forward',
      `127.0.0.1:${app.port}/webhook`,
      '--verify-scheme',
      'umm-services',
      '--username',
      'hooks',
      '--password',
      's3cret',
      '--client-key',
      'CLI42',
    ])
    const ready = await listener.ready()
    const post = (headers: Record<string, string>) =>
      fetch(ready.url, {method: 'POST', headers: {'content-type': 'application/json', ...headers}, body}).then((response) => response.status)
    expect(await post({...umm, client_key: 'MADEUP1'})).toBe(403)
    expect(await post({...umm, authorization: basic('wrong')})).toBe(403)
    expect(await post({...umm, client_key: 'OTHER7', authorization: basic('s3cret')})).toBe(403)
    expect(await post({...umm, authorization: basic('s3cret')})).toBe(200)
    await until(() => app.received.length === 1, 'the one genuine delivery')
    await listener.stop()
    expect(listener.lines.at(-1)).toMatchObject({type: 'summary', received: 1, rejected: 3})
    await app.stop()
  })

  it('API-key headers: a wrong key header is 403', async () => {
    const app = new App()
    await app.start()
    const listener = listen(['--forward', `127.0.0.1:${app.port}/webhook`, '--verify-scheme', 'umm-services', '--verify-header', 'x-api-key:k-right'])
    const ready = await listener.ready()
    const post = (key: string) =>
      fetch(ready.url, {method: 'POST', headers: {'content-type': 'application/json', ...umm, 'x-api-key': key}, body}).then(
        (response) => response.status,
      )
    expect(await post('k-wrong')).toBe(403)
    expect(await post('k-right')).toBe(200)
    await listener.stop()
    await app.stop()
  })

  it('without credentials it refuses to start (exit 2), calling nothing verified', async () => {
    const result = await ummah(['webhooks', 'listen', '--forward', '3000', '--verify-scheme', 'umm-services'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(
      "--verify-scheme umm-services needs the sender's credentials: --username and --password, --verify-header, or --client-id and --client-secret",
    )
  })
})

describe('the sandbox delivering with each partner scheme through listen --verify-scheme', {timeout: 120_000}, () => {
  const cases: Array<[string, string[], (readyUrl: string) => Record<string, unknown>]> = [
    ['basic', ['--username', 'hooks', '--password', 's3cret'], () => ({scheme: 'basic', username: 'hooks', password: 's3cret'})],
    ['sha1-password', ['--secret', 'pw'], () => ({scheme: 'sha1-password', secret: 'pw'})],
    [
      'api-key-headers',
      ['--verify-header', 'test_header1:value1', '--verify-header', 'test_header2:value2'],
      () => ({scheme: 'api-key-headers', headers: {test_header1: 'value1', test_header2: 'value2'}}),
    ],
    [
      'umm-services',
      ['--username', 'hooks', '--password', 's3cret', '--client-key', 'CLI42'],
      () => ({scheme: 'umm-services', client_key: 'CLI42', username: 'hooks', password: 's3cret'}),
    ],
    [
      'oauth2',
      ['--client-id', 'gw', '--client-secret', 'gw-secret'],
      (url) => ({scheme: 'oauth2', token_url: `${url}oauth/token`, client_id: 'gw', client_secret: 'gw-secret'}),
    ],
  ]

  it.each(cases)('%s', async (scheme, flags, auth) => {
    const app = new App()
    await app.start()
    const listener = listen(['--forward', `127.0.0.1:${app.port}/webhook`, '--verify-scheme', scheme, ...flags])
    const ready = await listener.ready()
    const patched = await fetch(`${sandbox.apiBase}/webhooks/${ready.webhook_id}/`, {
      method: 'PATCH',
      headers: {authorization: `Bearer ${KEY}`, 'content-type': 'application/json'},
      body: JSON.stringify({sandbox_delivery: {auth: auth(ready.url)}}),
    })
    expect(patched.status).toBe(200)
    await trigger('purchase.created')
    await until(() => app.received.length === 1, `the ${scheme} delivery at the app`)
    expect(app.received[0].type).toBe('purchase.created')
    expect(listener.lines.filter((line) => line.type === 'error')).toEqual([])
    await listener.stop()
    expect(listener.lines.at(-1)).toMatchObject({type: 'summary', received: 1, delivered: 1, rejected: 0})
    await app.stop()
  })
})
