import {generateKeyPairSync, sign} from 'node:crypto'
import {appendFileSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {runCli, tempDir} from '../helpers/cli.js'
import {Forwarder, type ForwarderOptions, UNRECORDED_MAX} from '../../src/webhooks/forward.js'
import {type Fixture, runFixture} from '../../src/webhooks/fixtures.js'
import {verifyRsaSha256} from '../../src/schemes/signature.js'
import {Spool, type SpooledEvent} from '../../src/webhooks/spool.js'
import {until} from '../helpers/wait.js'
import {ManualClock} from '../helpers/clock.js'
import {type TestServer, startServer} from '../helpers/server.js'

const pem = (key: ReturnType<typeof generateKeyPairSync>['publicKey']) => key.export({type: 'spki', format: 'pem'}).toString()

describe('RSA-SHA256 signatures', () => {
  const {publicKey, privateKey} = generateKeyPairSync('rsa', {modulusLength: 2048})
  const other = generateKeyPairSync('rsa', {modulusLength: 2048})
  const body = Buffer.from('{"id":"evt-1","type":"purchase.paid"}')
  const signature = sign('sha256', body, privateKey).toString('base64')

  it('valid, or why not', () => {
    expect(verifyRsaSha256(body, signature, pem(publicKey))).toEqual({ok: true})
    expect(verifyRsaSha256(Buffer.from(`${body} `), signature, pem(publicKey))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/body was modified/),
    })
    expect(verifyRsaSha256(body, signature, pem(other.publicKey))).toMatchObject({ok: false, reason: expect.stringMatching(/another key/)})
    expect(verifyRsaSha256(body, 'not base64!', pem(publicKey))).toMatchObject({ok: false, reason: 'X-Signature is not valid base64'})
    expect(verifyRsaSha256(body, undefined, pem(publicKey))).toMatchObject({ok: false, reason: 'no X-Signature header'})
  })

  it('`ummah webhooks verify` exits 0 "valid" or 1 with the reason', async () => {
    const dir = tempDir('ummah-verify-')
    writeFileSync(join(dir, 'body.json'), body)
    writeFileSync(join(dir, 'key.pem'), pem(publicKey))
    const valid = await runCli([
      'webhooks',
      'verify',
      '--payload',
      join(dir, 'body.json'),
      '--signature',
      signature,
      '--public-key',
      `@${join(dir, 'key.pem')}`,
    ])
    expect([valid.code, valid.stdout]).toEqual([0, 'valid\n'])
    const fromStdin = await runCli(['webhooks', 'verify', '--payload', '-', '--signature', signature, '--public-key', pem(publicKey)], {
      input: `${body}\n`,
    })
    expect(fromStdin.code).toBe(1)
    expect(fromStdin.stderr).toMatch(/^Error: invalid: the signature does not match: the body was modified/)
    const badBase64 = await runCli([
      'webhooks',
      'verify',
      '--payload',
      join(dir, 'body.json'),
      '--signature',
      '%%%',
      '--public-key',
      `@${join(dir, 'key.pem')}`,
    ])
    expect(badBase64.code).toBe(1)
    expect(badBase64.stderr).toMatch(/not valid base64/)
  })
})

describe('spool', () => {
  it('keeps events across reopen, drops a torn last line, and compacts delivered ones', async () => {
    const file = join(tempDir('ummah-spool-'), 'p.spool')
    const spool = await Spool.open(file, {keepDone: 1})
    const admitted = await spool.admit({id: 'evt-1', type: 'purchase.paid', headers: {'x-signature': 's'}, body: Buffer.from('{"a":1}')})
    if (admitted.duplicate) throw new Error('evt-1 is new')
    const first = admitted.event
    await admitted.durable
    for (const [id, body] of [
      ['evt-2', Buffer.from([0, 255, 10])],
      ['evt-3', Buffer.from('3')],
    ] as const) {
      const next = await spool.admit({id, type: 'purchase.paid', headers: {}, body})
      if (!next.duplicate) await next.durable
    }
    expect(spool.seen('evt-2')).toBe(true)
    first.attempts = 1
    await spool.markDelivered(first, 200)
    await spool.close()
    appendFileSync(file, '{"k":"e","seq":9,"id":"evt-torn"')
    const reopened = await Spool.open(file, {keepDone: 0})
    expect(reopened.find('evt-torn')).toBeUndefined()
    expect(reopened.pending().map((event) => event.id)).toEqual(['evt-2', 'evt-3'])
    expect(reopened.pending()[0].body).toEqual(Buffer.from([0, 255, 10]))
    expect(reopened.find('evt-1')).toBeUndefined()
    expect(reopened.damaged).toBe(1)
    // evt-1's body is gone, its id is remembered: a replay of it is a duplicate.
    expect((await reopened.admit({id: 'evt-1', type: 'purchase.paid', headers: {}, body: Buffer.from('{"a":1}')})).duplicate).toBe(true)
    await reopened.close()
    expect(
      readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).k),
    ).toEqual(['i', 'e', 'e'])
  })
})

describe('fixtures', () => {
  const fixture = (requests: Fixture['requests']): Fixture => ({requests})
  const echo = async (request: {method: string; path: string; body?: unknown}) => ({id: 'p-1', echoed: request, client: {email: 'a@b.co'}, total: 5})

  it('resolves earlier responses, env and defaults, keeping types for whole references', async () => {
    const responses = await runFixture(
      fixture([
        {name: 'purchase', method: 'post', path: '/purchases/', body: {email: '${env:EMAIL:-x@y.z}'}},
        {
          name: 'next',
          method: 'POST',
          path: '/purchases/${purchase:id}/refund/',
          body: {amount: '${purchase:total}', note: 'for ${purchase:client.email}', brand: '${profile:brand_id}'},
        },
      ]),
      {send: echo, env: {}, profile: {brand_id: 'b-1'}},
    )
    expect((responses.purchase as any).echoed).toEqual({method: 'POST', path: '/purchases/', body: {email: 'x@y.z'}, query: undefined})
    expect((responses.next as any).echoed).toEqual({
      method: 'POST',
      path: '/purchases/p-1/refund/',
      body: {amount: 5, note: 'for a@b.co', brand: 'b-1'},
      query: undefined,
    })
  })

  it('names an unknown reference and what is known', async () => {
    const run = runFixture(
      fixture([
        {name: 'purchase', method: 'POST', path: '/purchases/'},
        {name: 'pay', method: 'POST', path: '/_sandbox/purchases/${purchse:id}/pay'},
      ]),
      {send: echo, env: {}, profile: {}},
    )
    await expect(run).rejects.toThrow('Fixture request 2 (pay): ${purchse:id} refers to no earlier response named "purchse"')
    await expect(
      runFixture(fixture([{name: 'a', method: 'POST', path: '/purchases/', body: {email: '${env:NOPE}'}}]), {send: echo, env: {}, profile: {}}),
    ).rejects.toThrow(/has no value/)
    // The environment never reaches a path: it decides where the key goes.
    await expect(
      runFixture(fixture([{name: 'a', method: 'GET', path: '/${env:HOME}'}]), {send: echo, env: {HOME: '/root'}, profile: {}}),
    ).rejects.toThrow("${env:HOME} cannot be used in a request's path")
  })
})

describe('forwarder backpressure', () => {
  it('room() holds new deliveries while the backlog is full, and lets them go together once it has drained by a step', async () => {
    const spool = await Spool.open(join(tempDir('ummah-room-'), 'p.spool'))
    let release = () => {}
    const gate = new Promise<void>((resolve) => (release = resolve))
    // The first answer waits for the gate: until then one forward is out and the backlog stays where it is.
    const app = await startServer(async (_request, response, index) => {
      if (index === 0) await gate
      response.writeHead(200).end()
    })
    const forwarded = () => app.requests.length
    const forwarder = forwarderTo(app, spool, {maxBacklog: 4})
    for (const id of ['a', 'b', 'c', 'd']) {
      const admitted = await spool.admit({id, type: 't', headers: {}, body: Buffer.from(id)})
      if (!admitted.duplicate) forwarder.enqueue(admitted.event)
    }
    const order: string[] = []
    const held = ['e', 'f'].map((id) => forwarder.room()!.then(() => order.push(id)))
    expect(held.every((item) => item instanceof Promise)).toBe(true)
    forwarder.start() // "a" goes out and waits at the gate: 3 left, under the maximum but not 2 (4 less a step of 2)
    await until(() => forwarded() === 1, 'the first forward at the app')
    await new Promise((resolve) => setImmediate(resolve))
    expect(order).toEqual([])
    // While some are held, a newcomer waits behind them even with the backlog under its maximum.
    const late = forwarder.room()
    expect(late).toBeInstanceOf(Promise)
    void late!.then(() => order.push('g'))
    release() // "b" goes out: 2 left, drained by the step: all held go in, in the order they came
    await until(() => order.length === 3, 'the held deliveries let in')
    expect(order).toEqual(['e', 'f', 'g'])
    await forwarder.stop(1000)
    await spool.close()
    await app.close()
  })

  it('room() holds new deliveries while the backlog is full, and lets them go when stopped', async () => {
    const spool = await Spool.open(join(tempDir('ummah-room-'), 'p.spool'))
    const reports: string[] = []
    const forwarder = new Forwarder({
      target: new URL('http://127.0.0.1:9/'),
      spool,
      timeoutMs: 1000,
      maxAttempts: 0,
      concurrency: 1,
      headers: {},
      report: (line) => reports.push(`${line.kind} ${line.event.id}`),
      maxBacklog: 2,
      minBackoffMs: 60_000,
    })
    for (const id of ['a', 'b', 'c']) {
      const admitted = await spool.admit({id, type: 't', headers: {}, body: Buffer.from(id)})
      if (!admitted.duplicate) forwarder.enqueue(admitted.event)
    }
    let admitted = false
    const full = forwarder.room()
    expect(full).toBeInstanceOf(Promise)
    const room = full!.then(() => (admitted = true))
    // Nothing drains before start(): the promise is still pending after every queued callback ran.
    await new Promise((resolve) => setImmediate(resolve))
    expect(admitted).toBe(false)
    forwarder.start() // takes "a" off the queue (then waits in a long backoff): the backlog drops to 2, still full
    await until(() => reports.includes('retry a'), 'the first attempt of "a" to fail')
    await new Promise((resolve) => setImmediate(resolve))
    expect(admitted).toBe(false)
    await forwarder.stop(100)
    await room
    expect(admitted).toBe(true)
    expect(spool.pending().map((event) => event.id)).toEqual(['a', 'b', 'c'])
    await spool.close()
  })
})

/** A forwarder to the app's /hook: one worker, retrying without limit, reporting nowhere unless `extra` says. */
function forwarderTo(app: TestServer, spool: Spool, extra: Partial<ForwarderOptions> = {}): Forwarder {
  return new Forwarder({
    target: new URL(`${app.origin}/hook`),
    spool,
    timeoutMs: 5000,
    maxAttempts: 0,
    concurrency: 1,
    headers: {},
    report: () => {},
    ...extra,
  })
}

describe("the app's answer, as a forward records it", () => {
  it('keeps the first 64 KiB of a longer answer and reads no further: a 1 MiB answer that never ends is recorded at once', async () => {
    const first = Buffer.alloc(100 * 1024, 'a')
    // Content-Length says 1 MiB; 100 KiB come, and the rest never does.
    const app = await startServer((_request, response) => {
      response.writeHead(200, {'content-length': String(1024 * 1024), 'content-type': 'text/plain'})
      response.write(first)
    })
    const spool = await Spool.open(join(tempDir('ummah-answer-'), 'p.spool'))
    const admitted = await spool.admit({id: 'evt-long-answer', type: 't', headers: {}, body: Buffer.from('{}')})
    if (admitted.duplicate) throw new Error('a fresh spool holds no duplicate')
    // The timeout (30 s) would end a forward that waited for the rest: the test's own 5 s limit fails first.
    const forwarder = forwarderTo(app, spool, {timeoutMs: 30_000})
    forwarder.enqueue(admitted.event)
    forwarder.start()
    await until(() => spool.pending().length === 0, 'the forward to be recorded as delivered')
    expect(admitted.event.answers[0]).toMatchObject({status: 200, truncated: true, bodyBytes: 1024 * 1024, headers: {'content-type': 'text/plain'}})
    expect(admitted.event.answers[0].body).toEqual(first.subarray(0, 64 * 1024))

    // An empty answer records no body; a short one, all of it.
    const short = await startServer((_request, response, index) => void response.writeHead(index === 0 ? 204 : 200).end(index === 0 ? '' : 'ok'))
    const shortSpool = await Spool.open(join(tempDir('ummah-answer-'), 'p.spool'))
    const shortForwarder = forwarderTo(short, shortSpool)
    const events: SpooledEvent[] = []
    for (const id of ['evt-empty', 'evt-short']) {
      const next = await shortSpool.admit({id, type: 't', headers: {}, body: Buffer.from('{}')})
      if (next.duplicate) throw new Error('a fresh spool holds no duplicate')
      events.push(next.event)
      shortForwarder.enqueue(next.event)
    }
    shortForwarder.start()
    await until(() => shortSpool.pending().length === 0, 'both forwards to be recorded')
    expect(events.map((event) => [event.answers[0].status, event.answers[0].body?.toString(), event.answers[0].truncated])).toEqual([
      [204, undefined, undefined],
      [200, 'ok', undefined],
    ])
    await Promise.all([forwarder.stop(1000), shortForwarder.stop(1000)])
    await Promise.all([spool.close(), shortSpool.close(), app.close(), short.close()])
  })
})

describe('forwarder backoff on a moved clock', () => {
  it('retries a 500 only once its backoff has passed on the clock, and stop() cuts a backoff short', async () => {
    const app = await startServer((_request, response, index) => void response.writeHead(index === 0 ? 500 : 200).end())
    const spool = await Spool.open(join(tempDir('ummah-backoff-'), 'p.spool'))
    const clock = new ManualClock()
    const reports: string[] = []
    const forwarder = forwarderTo(app, spool, {
      report: (line) => reports.push(`${line.kind} ${line.status ?? ''}`.trim()),
      // A fixed backoff of one minute: min and max the same, so the wait is between 30 and 60 s on the clock.
      minBackoffMs: 60_000,
      maxBackoffMs: 60_000,
      clock,
    })
    const admitted = await spool.admit({id: 'evt-backoff', type: 't', headers: {}, body: Buffer.from('{}')})
    if (admitted.duplicate) throw new Error('a fresh spool holds no duplicate')
    forwarder.enqueue(admitted.event)
    forwarder.start()
    await until(() => reports.includes('retry 500'), 'the first attempt to be answered 500')
    // Half a minute less a millisecond: still waiting, nothing sent again.
    await clock.advance(29_999)
    expect(app.requests).toHaveLength(1)
    await clock.advance(30_001)
    await until(() => reports.includes('response 200'), 'the retry once the backoff passed')
    expect(app.requests).toHaveLength(2)

    // A second event answered 500 again waits a minute on the clock; stop() does not wait for it.
    const again = await spool.admit({id: 'evt-stopped', type: 't', headers: {}, body: Buffer.from('{}')})
    if (again.duplicate) throw new Error('a fresh event is no duplicate')
    await app.close()
    forwarder.enqueue(again.event)
    await until(() => reports.filter((line) => line.startsWith('retry')).length >= 2, 'a refused connection to be retried')
    // The backoff on the clock would never end; stop() ends it at once, well inside its 10 s grace.
    const stopping = performance.now()
    await forwarder.stop(10_000)
    expect(performance.now() - stopping).toBeLessThan(5000)
    expect(spool.pending().map((event) => event.id)).toEqual(['evt-stopped'])
    await spool.close()
  })
})

describe('delivery records synced while the next forwards go out', () => {
  // Records that reach "disk" only when the test says so, and how many were outstanding when each forward reached the app.
  const held: Array<() => void> = []
  const outstandingAtSend: number[] = []
  let app: TestServer
  beforeAll(async () => {
    app = await startServer((_request, response) => {
      outstandingAtSend.push(held.length)
      response.writeHead(200).end()
    })
  })
  afterAll(() => app.close())

  it(`a worker forwards while records sync, and waits once ${UNRECORDED_MAX} are outstanding`, async () => {
    const spool = {
      markDelivered: (event: SpooledEvent) => {
        event.status = 'delivered'
        return new Promise<void>((resolve) => held.push(resolve))
      },
    } as unknown as Spool
    const forwarder = forwarderTo(app, spool)
    const total = 100
    for (let seq = 1; seq <= total; seq++) {
      const body = Buffer.from(JSON.stringify({id: `evt-${seq}`}))
      forwarder.enqueue({
        seq,
        id: `evt-${seq}`,
        type: 'purchase.paid',
        receivedAt: Date.now(),
        headers: {},
        body,
        status: 'pending',
        attempts: 0,
        answers: [],
      })
    }
    forwarder.start()
    let synced = 0
    while (synced < total) {
      // Blocked with UNRECORDED_MAX + 1 records written: exactly that many forwards reached the app, not one more.
      await until(() => held.length === Math.min(UNRECORDED_MAX + 1, total - synced) || synced + held.length === total, 'the worker at its bound')
      expect(app.requests.length).toBe(synced + held.length)
      // The disk catches up: every outstanding record synced together.
      const batch = held.splice(0)
      synced += batch.length
      for (const resolve of batch) resolve()
    }
    await until(() => app.requests.length === total, 'every event forwarded')
    expect(Math.max(...outstandingAtSend)).toBe(UNRECORDED_MAX)
    await forwarder.stop(1000)
  })
})
