/**
 * The relay's doors, against a real relay server (embedded store) and real
 * WebSocket clients: who may stream what, what ingress takes, retention,
 * and an entry the relay holds that the gateway never signed.
 */
import {readFileSync} from 'node:fs'
import {request as httpsRequest} from 'node:https'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import WebSocket from 'ws'

import {EmbeddedStore} from '../../src/relay/embedded-store.js'
import {decodeEntry} from '../../src/relay/protocol.js'
import {type Relay, type RelayLogLine, startRelay} from '../../src/relay/server.js'
import type {Clock} from '../../src/shared/clock.js'
import {ManualClock} from '../helpers/clock.js'
import {type Sandbox, startSandbox} from '../../src/sandbox/server.js'
import {formatListenLine} from '../../src/cli/listen-output.js'
import {createStyle} from '../../src/cli/output.js'
import {ROOT, tempConfigDir, tempDir} from '../helpers/cli.js'
import {App, Listener, until} from '../e2e/listen-harness.js'

const ADMIN = 'admin-token-for-relay-tests-0123'

async function relayWith(
  options: {retentionMs?: number; maxBodyBytes?: number; clock?: Clock; log?: (line: RelayLogLine) => void} = {},
): Promise<{relay: Relay; store: EmbeddedStore}> {
  const store = await EmbeddedStore.open(tempDir('ummah-relay-'))
  const relay = await startRelay({
    host: '127.0.0.1',
    port: 0,
    store,
    adminToken: ADMIN,
    retentionMs: options.retentionMs ?? 72 * 3600 * 1000,
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
    clock: options.clock,
    log: options.log,
  })
  return {relay, store}
}

async function api(relay: Relay, method: string, path: string, body?: unknown, token: string | undefined = ADMIN) {
  const response = await fetch(`${relay.url}${path}`, {
    method,
    headers: {...(token ? {authorization: `Bearer ${token}`} : {}), 'content-type': 'application/json'},
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return {status: response.status, body: (await response.json()) as any}
}

/** A raw stream client: the HTTP status it was refused with, or its hello, entries, durable notices (in order with them) and close code. */
function stream(relay: Relay, channel: string, token: string | undefined, after = '0', query = '') {
  const socket = new WebSocket(`${relay.url.replace('http', 'ws')}/v1/channels/${channel}/stream?after=${after}${query}`, {
    headers: token ? {authorization: `Bearer ${token}`} : {},
  })
  const state = {
    refused: 0,
    hello: undefined as any,
    entries: [] as Array<{cursor: string; body: string; seq?: number; tentative?: true}>,
    frames: [] as Array<{durable?: number; seq?: number; tentative?: true}>,
    closed: undefined as number | undefined,
    socket,
  }
  socket.on('unexpected-response', (_request, response) => {
    state.refused = response.statusCode ?? -1
    response.resume()
  })
  socket.on('error', () => {})
  socket.on('message', (data, binary) => {
    if (!binary) {
      const message = JSON.parse(data.toString())
      if (message.type === 'durable') state.frames.push({durable: message.seq})
      else state.hello = message
      return
    }
    const entry = decodeEntry(data as Buffer)
    state.entries.push({cursor: entry.cursor, body: entry.body.toString(), seq: entry.seq, tentative: entry.tentative})
    state.frames.push({seq: entry.seq, tentative: entry.tentative})
    socket.send(JSON.stringify({type: 'ack', cursor: entry.cursor}))
  })
  socket.on('close', (code) => (state.closed = code))
  return state
}

const post = (url: string, body: string | Buffer, headers: Record<string, string> = {}) =>
  fetch(url, {method: 'POST', body, headers: {'content-type': 'application/json', ...headers}})

describe('relay: who may do what', () => {
  it("401 without a token or with an unknown one, 403 with another channel's, 404 for a wrong ingress secret or channel, 413 over --max-body", async () => {
    const {relay} = await relayWith({maxBodyBytes: 1000})
    const alpha = (await api(relay, 'POST', '/v1/channels', {name: 'alpha'})).body
    const beta = (await api(relay, 'POST', '/v1/channels', {name: 'beta'})).body
    expect(alpha.ingress_url).toMatch(new RegExp(`^${relay.url}/in/alpha/[0-9a-f]{32}$`))
    expect((await api(relay, 'GET', '/v1/channels', undefined, '')).status).toBe(401)
    expect((await api(relay, 'GET', '/v1/channels', undefined, 'urt_not-a-token')).status).toBe(401)
    // A client token reads its own channel and nothing else; channel management is the admin's.
    expect((await api(relay, 'GET', '/v1/channels/alpha', undefined, alpha.token.token)).status).toBe(200)
    expect((await api(relay, 'GET', '/v1/channels/beta', undefined, alpha.token.token)).status).toBe(403)
    expect((await api(relay, 'POST', '/v1/channels', {name: 'gamma'}, alpha.token.token)).status).toBe(403)
    expect((await api(relay, 'POST', '/v1/channels', {name: 'Bad Name'})).status).toBe(400)
    expect((await api(relay, 'POST', '/v1/channels', {name: 'alpha'})).status).toBe(409)

    const none = stream(relay, 'alpha', undefined)
    const unknown = stream(relay, 'alpha', 'urt_unknown')
    const other = stream(relay, 'alpha', beta.token.token)
    const missing = stream(relay, 'nope', ADMIN)
    await until(() => none.refused && unknown.refused && other.refused && missing.refused, 'four refusals', 5000)
    expect([none.refused, unknown.refused, other.refused, missing.refused]).toEqual([401, 401, 403, 404])

    const wrongSecret = alpha.ingress_url.replace(/[0-9a-f]{32}$/, '0'.repeat(32))
    expect((await post(wrongSecret, '{}')).status).toBe(404)
    expect((await post(alpha.ingress_url.replace('/alpha/', '/beta/'), '{}')).status).toBe(404)
    expect((await post(`${relay.url}/in/alpha`, '{}')).status).toBe(404)
    expect((await post(alpha.ingress_url, 'x'.repeat(1001))).status).toBe(413)
    expect((await post(alpha.ingress_url, 'x'.repeat(1000))).status).toBe(200)
    // Nothing refused was stored: the entries are the 1000-byte one, then a marker posted after it.
    expect((await post(alpha.ingress_url, 'marker')).status).toBe(200)
    const reader = stream(relay, 'alpha', alpha.token.token)
    await until(() => reader.entries.length === 2, 'the stored entries', 5000)
    expect(reader.entries.map((entry) => entry.body.length)).toEqual([1000, 'marker'.length])
    reader.socket.close()
    await relay.close()
  })

  it("one channel's entries never reach another channel's client; a revoked token's stream closes; a deleted channel's too", async () => {
    const {relay} = await relayWith()
    const alpha = (await api(relay, 'POST', '/v1/channels', {name: 'alpha'})).body
    const beta = (await api(relay, 'POST', '/v1/channels', {name: 'beta'})).body
    const second = (await api(relay, 'POST', '/v1/channels/alpha/tokens')).body
    const a = stream(relay, 'alpha', alpha.token.token)
    const a2 = stream(relay, 'alpha', second.token)
    const b = stream(relay, 'beta', beta.token.token)
    await until(() => a.hello && a2.hello && b.hello, 'three streams', 5000)
    for (let index = 0; index < 5; index++) expect((await post(alpha.ingress_url, `{"id":"a${index}"}`)).status).toBe(200)
    expect((await post(beta.ingress_url, '{"id":"b0"}')).status).toBe(200)
    // Markers posted last: once each stream has its marker, anything misrouted would have come before it.
    expect((await post(alpha.ingress_url, '{"id":"a-end"}')).status).toBe(200)
    expect((await post(beta.ingress_url, '{"id":"b-end"}')).status).toBe(200)
    const ended = (client: {entries: Array<{body: string}>}, marker: string) => client.entries.some((entry) => entry.body === marker)
    await until(() => ended(a, '{"id":"a-end"}') && ended(a2, '{"id":"a-end"}') && ended(b, '{"id":"b-end"}'), 'the markers', 5000)
    expect(a.entries.map((entry) => entry.body)).toEqual([
      '{"id":"a0"}',
      '{"id":"a1"}',
      '{"id":"a2"}',
      '{"id":"a3"}',
      '{"id":"a4"}',
      '{"id":"a-end"}',
    ])
    expect(a2.entries).toEqual(a.entries)
    expect(b.entries.map((entry) => entry.body)).toEqual(['{"id":"b0"}', '{"id":"b-end"}'])

    expect((await api(relay, 'DELETE', `/v1/channels/alpha/tokens/${second.id}`)).status).toBe(200)
    await until(() => a2.closed, 'the revoked stream to close', 5000)
    expect(a2.closed).toBe(4401)
    expect(a.closed).toBeUndefined()
    // The revoked token opens nothing any more.
    const again = stream(relay, 'alpha', second.token)
    await until(() => again.refused, 'a refusal', 5000)
    expect(again.refused).toBe(401)

    expect((await api(relay, 'DELETE', '/v1/channels/alpha')).status).toBe(200)
    await until(() => a.closed, "the deleted channel's stream to close", 5000)
    expect(a.closed).toBe(4404)
    expect((await post(alpha.ingress_url, '{}')).status).toBe(404)
    b.socket.close()
    await relay.close()
  })

  it('streams an entry while it is written to a client that asks (tentative=1), then says its number is durable; others get stored entries only', async () => {
    const {relay} = await relayWith()
    const channel = (await api(relay, 'POST', '/v1/channels', {name: 'early'})).body
    const early = stream(relay, 'early', ADMIN, '0', '&tentative=1')
    const plain = stream(relay, 'early', ADMIN)
    await until(() => early.hello && plain.hello, 'both streams', 5000)
    for (let n = 1; n <= 20; n++) expect((await post(channel.ingress_url, JSON.stringify({n}))).status).toBe(200)
    // Each tentative entry is followed, later on the stream, by a notice covering its number.
    const uncovered = () =>
      early.frames.filter((frame, at) => frame.tentative && !early.frames.slice(at + 1).some((later) => (later.durable ?? 0) >= frame.seq!))
    await until(() => early.entries.length === 20 && plain.entries.length === 20 && uncovered().length === 0, 'every entry, covered', 5000)
    const bodies = Array.from({length: 20}, (_, index) => JSON.stringify({n: index + 1}))
    expect(early.entries.map((entry) => entry.body)).toEqual(bodies)
    expect(plain.entries.map((entry) => entry.body)).toEqual(bodies)
    // Sent one at a time to an idle stream, each went out before its write came back.
    expect(early.entries.filter((entry) => entry.tentative).length).toBe(20)
    expect(plain.entries.filter((entry) => entry.tentative)).toEqual([])
    expect(plain.frames.filter((frame) => frame.durable !== undefined)).toEqual([])
    early.socket.close()
    plain.socket.close()
    await relay.close()
  })

  it('keeps entries for --retention, then trims them within a quarter of it (a moved clock, no waiting)', async () => {
    const clock = new ManualClock(Date.now())
    const logged: RelayLogLine[] = []
    const {relay} = await relayWith({retentionMs: 1200, clock, log: (line) => logged.push(line)})
    const channel = (await api(relay, 'POST', '/v1/channels', {name: 'short'})).body
    expect((await post(channel.ingress_url, '{"id":"old"}')).status).toBe(200)
    const early = stream(relay, 'short', ADMIN)
    await until(() => early.entries.length === 1, 'the entry while kept', 5000)
    early.socket.close()
    // Just short of the retention: kept (a pass now, awaited, trims nothing either).
    await clock.advance(1199)
    await relay.retention.trimAll()
    expect(logged.filter((line) => line.type === 'trimmed')).toEqual([])
    // Trimmed by the timer within a quarter of the retention (300 ms) after it passes.
    await clock.advance(301)
    await until(() => logged.find((line) => line.type === 'trimmed'), 'the timer to trim', 5000)
    expect(logged.filter((line) => line.type === 'trimmed')).toEqual([{type: 'trimmed', channel: 'short', entries: 1}])
    expect((await post(channel.ingress_url, '{"id":"new"}')).status).toBe(200)
    const late = stream(relay, 'short', ADMIN)
    await until(() => late.entries.length === 1, 'the fresh entry', 5000)
    // The hello counts what the channel holds: the fresh entry alone.
    expect(late.hello.waiting).toBe(1)
    expect(late.entries.map((entry) => entry.body)).toEqual(['{"id":"new"}'])
    late.socket.close()
    await relay.close()
  })
})

describe('relay: TLS and what listen says about it', () => {
  it('serves https itself with --tls-cert/--tls-key: ingress URLs are https, the certificate is checked', async () => {
    const cert = readFileSync(join(ROOT, 'test', 'fixtures', 'tls', 'test-only.crt'))
    const key = readFileSync(join(ROOT, 'test', 'fixtures', 'tls', 'test-only.key'))
    const store = await EmbeddedStore.open(tempDir('ummah-relay-'))
    const relay = await startRelay({
      host: '127.0.0.1',
      port: 0,
      store,
      adminToken: ADMIN,
      retentionMs: 60_000,
      maxBodyBytes: 1024,
      tls: {cert, key},
      publicUrl: 'https://api.ummah.test:8430',
    })
    expect(relay.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    const port = Number(new URL(relay.url).port)
    const get = (ca?: Buffer) =>
      new Promise<number>((resolve, reject) => {
        const request = httpsRequest({host: '127.0.0.1', port, path: '/healthz', servername: 'api.ummah.test', ca}, (response) => {
          response.resume()
          resolve(response.statusCode ?? 0)
        })
        request.on('error', reject)
        request.end()
      })
    expect(await get(cert)).toBe(200)
    await expect(get()).rejects.toThrow(/self-signed|unable to verify/)
    await relay.close()
  })

  it('prints reconnects on one line each: disconnected with the wait, resumed with what is waiting', async () => {
    const style = await createStyle(false)
    const at = new Date('2026-12-02T10:00:00Z')
    expect(
      formatListenLine(
        {type: 'relay', state: 'disconnected', relay: 'https://relay.example.com', channel: 'me', error: 'closed 1006', retry_in_s: 4},
        style,
        at,
      ),
    ).toBe('10:00:00  relay: disconnected (closed 1006), retrying in 4 s at https://relay.example.com')
    expect(
      formatListenLine({type: 'relay', state: 'connected', relay: 'https://relay.example.com', channel: 'me', waiting: 37, resumed: true}, style, at),
    ).toBe('10:00:00  relay: resumed at https://relay.example.com, 37 events waiting')
    expect(
      formatListenLine({type: 'relay', state: 'connected', relay: 'https://relay.example.com', channel: 'me', waiting: 0, resumed: false}, style, at),
    ).toBe('10:00:00  relay: connected to https://relay.example.com (channel me)')
  })
})

describe('relay: not trusted by the listener', () => {
  let sandbox: Sandbox
  beforeAll(async () => {
    sandbox = await startSandbox({port: 0, retryDelaysMs: [100, 200], statementDelayMs: 0})
  })
  afterAll(() => sandbox.close())

  it(
    'an entry injected into the store with a bad signature is refused by listen and never reaches the app; genuine ones still do',
    {timeout: 60_000},
    async () => {
      const {relay, store} = await relayWith()
      const key = `sk_test_inject_${Math.random().toString(36).slice(2, 8)}`
      const app = new App()
      await app.start()
      const listener = new Listener(['--forward', `127.0.0.1:${app.port}/`, '--relay', relay.url, '--relay-token', ADMIN], {
        UMMAH_CONFIG_DIR: tempConfigDir(),
        UMMAH_SECRET_KEY: key,
        UMMAH_API_BASE: sandbox.apiBase,
      })
      const ready = await listener.ready()
      app.publicKey = ready.public_key
      await until(() => listener.lines.some((line) => line.type === 'relay' && line.state === 'connected'), 'the stream')

      const forged = JSON.stringify({id: 'evt_forged', type: 'purchase.paid', created_on: Math.floor(Date.now() / 1000)})
      await store.append(ready.channel, {
        receivedAt: Date.now(),
        headers: {'content-type': 'application/json', 'x-signature': Buffer.from('not a signature').toString('base64')},
        body: Buffer.from(forged),
      })
      await store.append(ready.channel, {
        receivedAt: Date.now(),
        headers: {'content-type': 'application/json'},
        body: Buffer.from(JSON.stringify({id: 'evt_unsigned', type: 'purchase.paid'})),
      })
      const response = await fetch(`${sandbox.apiBase}/purchases/`, {
        method: 'POST',
        headers: {authorization: `Bearer ${key}`, 'content-type': 'application/json'},
        body: JSON.stringify({
          brand_id: '409eb80e-3782-4b1d-afa8-b779759266a5',
          client: {email: 'inject@example.com'},
          purchase: {products: [{name: 'Real', price: 100}], currency: 'USD'},
        }),
      })
      expect(response.status).toBe(201)
      await until(() => app.received.length === 1, 'the genuine event')
      // The forged entries came first in the channel, so their refusals are already out.
      expect(app.received.map((item) => item.type)).toEqual(['purchase.created'])
      const refused = listener.lines.filter((line) => line.type === 'error' && line.stage === 'receive')
      expect(refused.map((line) => [line.id, line.status])).toEqual([
        ['evt_forged', 403],
        ['evt_unsigned', 403],
      ])
      expect(await listener.stop()).toBe(0)
      expect(listener.lines.at(-1)).toMatchObject({type: 'summary', received: 1, delivered: 1, rejected: 2})
      await app.stop()
      await relay.close()
    },
  )
})
