/**
 * CI that knows the app handled it: `trigger --wait` (acknowledged, refused
 * with the app's answer, out of attempts, no listener, through a relay),
 * `webhooks expect` for events the app itself caused, and a burst with
 * `trigger --count --rate` whose summary matches the app's own count.
 */
import {type Server, createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Sandbox, startSandbox} from '../../src/sandbox/server.js'
import {runCli, tempConfigDir, tempDir} from '../helpers/cli.js'
import {freePort} from '../helpers/server.js'
import {App, Listener, until} from './listen-harness.js'
import {ADMIN_TOKEN, RelayProcess} from './relay-harness.js'

const KEY = 'sk_test_ci_assertions'
let sandbox: Sandbox

beforeAll(async () => {
  sandbox = await startSandbox({port: 0, retryDelaysMs: [100, 200, 400], statementDelayMs: 0})
})
afterAll(() => sandbox.close())

/** A profile of its own per test: its own listener lock, state and spool. */
function profile() {
  const env = {UMMAH_CONFIG_DIR: tempConfigDir(), UMMAH_SECRET_KEY: KEY, UMMAH_API_BASE: sandbox.apiBase}
  return {env, ummah: (args: string[]) => runCli(args, {env})}
}

/** An app that answers every delivery with this status and body. */
async function answering(status: number, body: string): Promise<{server: Server; port: number; count: () => number}> {
  let count = 0
  const server = createServer((request, response) => {
    request.resume()
    request.on('end', () => {
      count++
      response.writeHead(status, {'content-type': 'text/plain'}).end(body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {server, port: (server.address() as AddressInfo).port, count: () => count}
}

/** The purchases the sandbox holds for this key. */
function purchases(): number {
  return Object.keys(sandbox.store.account(KEY).purchases).length
}

describe('trigger --wait', {timeout: 120_000}, () => {
  it('exits 0 with the app’s status and latency when the app answers 2xx; --json reports it all', async () => {
    const {env, ummah} = profile()
    const app = new App()
    await app.start()
    const listener = new Listener(['--forward', `127.0.0.1:${app.port}/webhook`], env)
    app.publicKey = (await listener.ready()).public_key
    const human = await ummah(['trigger', 'purchase.paid', '--wait'])
    expect(human.code, human.stderr).toBe(0)
    expect(human.stdout).toMatch(/^✓ purchase\.paid evt-[\w-]+: the app answered 200 in \d+ ms\n$/)
    const json = await ummah(['trigger', 'purchase.paid', '--wait=20s', '--json'])
    expect(json.code).toBe(0)
    const report = JSON.parse(json.stdout)
    expect(report).toMatchObject({event: 'purchase.paid', ok: true, counts: {caused: 1, delivered: 1, failed: 0, waiting: 0, duplicates: 0}})
    expect(report.events[0].delivery).toMatchObject({outcome: 'acknowledged', status: 200, state: 'delivered'})
    expect(report.events[0].delivery.latency_ms).toBeGreaterThanOrEqual(0)
    // The event it waited for is the one this run caused: the app has it, verified.
    const paid = app.received.filter((event) => event.type === 'purchase.paid')
    expect(paid.map((event) => event.id)).toContain(report.events[0].delivery.id)
    expect(paid.every((event) => event.verified)).toBe(true)
    await listener.stop()
    await app.stop()
  })

  it('exits 1 with the app’s answer when it answers 500', async () => {
    const {env, ummah} = profile()
    const app = await answering(500, 'TypeError: order is undefined\n    at handler (app.js:12)\nthird line')
    // One attempt each: a 500 is retried without end by default, and in order the next event would wait behind it.
    const listener = new Listener(['--forward', `127.0.0.1:${app.port}/webhook`, '--max-attempts', '1'], env)
    await listener.ready()
    const result = await ummah(['trigger', 'purchase.paid', '--wait', '20s'])
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/^✗ purchase\.paid evt-[\w-]+: the app answered 500 \(attempt 1\)\n$/)
    expect(result.stderr).toMatch(/^Error: The app answered 500 to purchase\.paid evt-[\w-]+\. Its answer's first lines follow;/)
    expect(result.stderr).toContain('\n  TypeError: order is undefined\n      at handler (app.js:12)\n  third line\n')
    const json = await ummah(['trigger', 'purchase.paid', '--wait', '--json'])
    expect(json.code).toBe(1)
    const report = JSON.parse(json.stdout)
    expect(report.ok).toBe(false)
    expect(report.error.code).toBe('app_rejected')
    expect(report.events[0].delivery).toMatchObject({
      outcome: 'rejected',
      status: 500,
      answer: 'TypeError: order is undefined\n    at handler (app.js:12)\nthird line',
    })
    await listener.stop()
    app.server.close()
  })

  it('exits 1 when the app is down and the listener runs out of attempts (--max-attempts 2)', async () => {
    const {env, ummah} = profile()
    // Nothing listens there, and no test's listen(0) can be given it (freePort).
    const down = await freePort()
    const listener = new Listener(['--forward', `127.0.0.1:${down}/webhook`, '--max-attempts', '2'], env)
    await listener.ready()
    const result = await ummah(['trigger', 'purchase.created', '--wait', '20s'])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^Error: The app could not be reached for purchase\.created evt-[\w-]+: connection refused after 2 attempts\./)
    await listener.stop()
  })

  it('exits 1 saying where it stopped when nothing is acknowledged in time: the gateway’s delivery log and the listener', async () => {
    const {env, ummah} = profile()
    const app = new App()
    await app.start()
    // The gateway is told a callback that reaches nothing (a tunnel that is down): its deliveries fail, the listener hears nothing.
    const listener = new Listener(['--forward', `127.0.0.1:${app.port}/webhook`, '--public-url', 'http://127.0.0.1:9/down-tunnel'], env)
    await listener.ready()
    const result = await ummah(['trigger', 'purchase.paid', '--wait', '3s', '--json'])
    expect(result.code).toBe(1)
    const report = JSON.parse(result.stdout)
    expect(report.error.code).toBe('not_delivered')
    // The sandbox here retries after 100, 200 and 400 ms: four attempts, all refused, within the 3 s.
    expect(report.events[0]).toMatchObject({
      delivery: null,
      stopped_at: "the gateway's delivery of purchase.paid: failed after 4 attempts (last: ECONNREFUSED); the listener received nothing",
    })
    const text = await ummah(['trigger', 'purchase.paid', '--wait', '3s'])
    expect(text.code).toBe(1)
    expect(text.stderr).toMatch(
      /^Error: No acknowledgement within 3 s: the gateway's delivery of purchase\.paid: failed after 4 attempts \(last: ECONNREFUSED\); the listener received nothing\./,
    )
    expect(app.received).toEqual([])
    await listener.stop()
    await app.stop()
  })

  it('exits 2 before causing anything when the listener is not subscribed to the event', async () => {
    const {env, ummah} = profile()
    const app = new App()
    await app.start()
    const listener = new Listener(['--forward', `127.0.0.1:${app.port}/webhook`, '--events', 'purchase.created'], env)
    await listener.ready()
    const before = purchases()
    const result = await ummah(['trigger', 'purchase.paid', '--wait'])
    expect([result.code, result.stderr]).toEqual([
      2,
      'Error: The listener of profile "default" receives only purchase.created: purchase.paid would never reach it. Restart it with --events including purchase.paid, or without --events.\n',
    ])
    expect(purchases()).toBe(before)
    const expected = await ummah(['webhooks', 'expect', 'purchase.refunded'])
    expect(expected.code).toBe(2)
    await listener.stop()
    await app.stop()
  })

  it('exits 2 naming the command to start a listener when none runs, and creates nothing', async () => {
    const {ummah} = profile()
    const before = purchases()
    const result = await ummah(['trigger', 'purchase.paid', '--wait'])
    expect([result.code, result.stdout, result.stderr]).toEqual([
      2,
      '',
      'Error: No listener is running for profile "default". Start one: ummah webhooks listen --forward localhost:3000/webhook\n',
    ])
    expect(purchases()).toBe(before)
  })

  it('waits through a relay listener too', async () => {
    const {env, ummah} = profile()
    const relay = new RelayProcess(['--port', '0', '--data-dir', tempDir('ummah-relay-')])
    const url = await relay.ready()
    const app = new App()
    await app.start()
    const listener = new Listener(['--forward', `127.0.0.1:${app.port}/webhook`, '--relay', url, '--relay-token', ADMIN_TOKEN], env)
    app.publicKey = (await listener.ready()).public_key
    await until(() => listener.lines.find((line) => line.type === 'relay' && line.state === 'connected'), 'the stream to open')
    const result = await ummah(['trigger', 'purchase.paid', '--wait', '30s', '--json'])
    expect(result.code, result.stderr).toBe(0)
    const report = JSON.parse(result.stdout)
    expect(report.counts).toEqual({caused: 1, delivered: 1, failed: 0, waiting: 0, duplicates: 0})
    expect(app.received.find((event) => event.id === report.events[0].delivery.id)?.verified).toBe(true)
    await listener.stop()
    await relay.stop()
    await app.stop()
  })
})

describe('webhooks expect', {timeout: 120_000}, () => {
  it('passes for a matching event the app caused, and fails in time for one that does not match', async () => {
    const {env, ummah} = profile()
    const app = new App()
    await app.start()
    const listener = new Listener(['--forward', `127.0.0.1:${app.port}/webhook`], env)
    app.publicKey = (await listener.ready()).public_key
    // The app's own code calls the gateway (as an end-to-end test drives it): a purchase of 29.99, paid.
    const headers = {authorization: `Bearer ${KEY}`, 'content-type': 'application/json'}
    const pay = async (price: number) => {
      const created = (await (
        await fetch(`${sandbox.apiBase}/purchases/`, {
          method: 'POST',
          headers,
          body: JSON.stringify({
            brand_id: '409eb80e-3782-4b1d-afa8-b779759266a5',
            client: {email: 'e2e@example.com'},
            purchase: {products: [{name: 'Book', price}]},
          }),
        })
      ).json()) as {id: string}
      await fetch(new URL(`/_sandbox/purchases/${created.id}/pay`, sandbox.apiBase), {method: 'POST', headers, body: '{}'})
      return created.id
    }
    const id = await pay(2999)
    const passed = await ummah([
      'webhooks',
      'expect',
      'purchase.paid',
      '--where',
      '.object.purchase.total_amount == 2999',
      '--within',
      '20s',
      '--json',
    ])
    expect(passed.code, passed.stderr).toBe(0)
    const report = JSON.parse(passed.stdout)
    expect(report).toMatchObject({event: 'purchase.paid', ok: true, counts: {delivered: 1, failed: 0}})
    const delivered = app.received.find((event) => event.id === report.events[0].delivery.id)!
    expect(JSON.parse(delivered.raw.toString()).object.id).toBe(id)

    // Only a 10.00 purchase is paid now: waiting for another 29.99 one fails when --within runs out.
    await pay(1000)
    const started = Date.now()
    const failed = await ummah([
      'webhooks',
      'expect',
      'purchase.paid',
      '--where',
      '.object.purchase.total_amount == 2999',
      '--count',
      '2',
      '--within',
      '3s',
    ])
    expect(failed.code).toBe(1)
    expect(Date.now() - started).toBeLessThan(15_000)
    expect(failed.stderr).toMatch(
      /^Error: 1 of 2 purchase\.paid events not acknowledged within 3 s: no purchase\.paid event matching --where was received\./,
    )
    // A filter that does not compile is a usage error before any wait.
    const bad = await ummah(['webhooks', 'expect', 'purchase.paid', '--where', '.object.(('])
    expect(bad.code).toBe(2)
    await listener.stop()
    await app.stop()
  })
})

describe('trigger --count --rate', {timeout: 180_000}, () => {
  it('200 events at 100/s: every one delivered, and the summary’s counts are the app’s own', async () => {
    const {env, ummah} = profile()
    const app = new App()
    await app.start()
    const listener = new Listener(['--forward', `127.0.0.1:${app.port}/webhook`, '--events', 'purchase.created'], env)
    app.publicKey = (await listener.ready()).public_key
    const started = Date.now()
    const result = await ummah(['trigger', 'purchase.created', '--count', '200', '--rate', '100/s', '--wait', '60s', '--json'])
    expect(result.code, result.stderr).toBe(0)
    // 200 at 100/s take at least ~2 s to start.
    expect(Date.now() - started).toBeGreaterThan(1900)
    const report = JSON.parse(result.stdout)
    const atApp = app.received.filter((event) => event.type === 'purchase.created')
    expect(atApp.every((event) => event.verified)).toBe(true)
    expect(new Set(atApp.map((event) => event.id)).size).toBe(200)
    expect(report.counts).toEqual({caused: 200, delivered: atApp.length, failed: 0, waiting: 0, duplicates: 0})
    expect(report.latency_ms.p50).toBeLessThanOrEqual(report.latency_ms.p95)
    expect(report.latency_ms.p95).toBeLessThanOrEqual(report.latency_ms.p99)
    expect(report.slowest).toHaveLength(5)
    expect(report.slowest[0].latency_ms).toBeGreaterThanOrEqual(report.latency_ms.p99)

    const table = await ummah(['trigger', 'purchase.created', '--count', '5'])
    expect(table.code, table.stderr).toBe(0)
    expect(table.stdout).toMatch(
      /^purchase\.created: 5 caused, 5 delivered, 0 failed, 0 waiting, 0 duplicates\nThe app's latency: p50 \d+ ms, p95 \d+ ms, p99 \d+ ms\nSlowest:\n( {2}evt-[\w-]+ {2}\d+ ms\n){5}$/,
    )
    await listener.stop()
    await app.stop()
  })
})
