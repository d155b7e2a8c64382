/**
 * `ummah relay --redis redis+sentinel://…`: one master, one replica and three
 * sentinels on loopback, two relay instances (ingress on A, the stream from
 * B). The master is kill -9'd while deliveries flow; the sentinels promote
 * the replica; both relays say so and follow it. Every delivery the gateway
 * was answered 200 for was confirmed by a replica (WAIT 1), so it is on the
 * new master and reaches the app once, in the stream's order.
 */
import {createClient} from '@redis/client'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Sandbox, startSandbox} from '../../src/sandbox/server.js'
import {accountId} from '../../src/sandbox/store.js'
import {tempConfigDir} from '../helpers/cli.js'
import {type SentinelSet, startSentinelSet} from '../helpers/redis.js'
import {App, Listener, createPurchases, until} from './listen-harness.js'
import {RelayProcess, admin} from './relay-harness.js'

/** Event ids in the channel's stream on the Redis at `port`, in stream order. */
async function streamOrder(port: number, channel: string): Promise<string[]> {
  const client = createClient({socket: {host: '127.0.0.1', port}, RESP: 2})
  await client.connect()
  try {
    const entries = await client.sendCommand<Array<[string, string[]]>>(['XRANGE', `ummah:relay:stream:${channel}`, '-', '+'])
    return entries.map(([, fields]) => (JSON.parse(fields[fields.indexOf('b') + 1]) as {id: string}).id)
  } finally {
    client.destroy()
  }
}

const firstOccurrences = (ids: string[]) => [...new Set(ids)]

let sandbox: Sandbox
let set: SentinelSet
beforeAll(async () => {
  // The gateway keeps retrying through a failover (~2 s) and the time without a replica after it (503s).
  const retries = [250, 500, 1000, 1000, 2000, 2000, 2000, 2000, 2000, 2000, 2000]
  ;[sandbox, set] = await Promise.all([startSandbox({port: 0, retryDelaysMs: retries, statementDelayMs: 0}), startSentinelSet()])
}, 60_000)
afterAll(async () => {
  await sandbox.close()
  await set.stop()
})

describe('ummah relay on Redis Sentinel', {timeout: 180_000}, () => {
  it('the master kill -9ed mid-stream: the replica promoted, every delivery answered 200 reaches the app once and in order', async () => {
    const [master, replica] = set.nodes
    const relayArgs = ['--port', '0', '--redis', set.url, '--redis-wait-timeout', '500ms']
    const a = new RelayProcess(relayArgs)
    const aUrl = await a.ready()
    const ready = a.lines.find((line) => line.type === 'ready')!
    expect(ready.store).toBe(`redis sentinel ummah via ${set.url.slice('redis+sentinel://'.length, set.url.lastIndexOf('/'))}`)
    // In sync, fsync always, one replica asked for and there: nothing to warn of.
    expect(ready.warning).toBeUndefined()
    const b = new RelayProcess([...relayArgs, '--public-url', aUrl])
    const bUrl = await b.ready()

    const created = await admin(bUrl, 'POST', '/v1/channels', {name: 'team-sentinel'})
    expect(created.status).toBe(201)
    const key = `sk_test_sentinel_${Math.random().toString(36).slice(2, 8)}`
    const app = new App()
    await app.start()
    const listener = new Listener(
      ['--forward', `127.0.0.1:${app.port}/`, '--relay', `${bUrl},${aUrl}`, '--relay-token', created.body.token.token, '--channel', 'team-sentinel'],
      {UMMAH_CONFIG_DIR: tempConfigDir(), UMMAH_SECRET_KEY: key, UMMAH_API_BASE: sandbox.apiBase},
    )
    app.publicKey = (await listener.ready()).public_key
    const deliveries = () => (sandbox.store.state.accounts[accountId(key)]?.deliveries ?? []).filter((delivery) => delivery.webhook_id)
    const acknowledged = () =>
      new Set(
        deliveries()
          .filter((delivery) => delivery.response_code === 200)
          .map((delivery) => delivery.event_id),
      )

    // Deliveries under way: 30 purchases, the master killed once some events reached the app, 30 more during the failover,
    // 20 once the old master is back as the new one's replica.
    await createPurchases(sandbox.apiBase, key, 30)
    await until(() => app.received.length >= 5, 'some events through the first master')
    await master.stop()
    await createPurchases(sandbox.apiBase, key, 30)

    // Both relays follow the sentinels to the replica and say so.
    const failedOver = (relay: RelayProcess) => relay.lines.find((line) => line.type === 'store' && line.event === 'failed-over')
    await until(() => failedOver(a) && failedOver(b), 'both relays to say the store failed over', 30_000)
    expect(failedOver(a)).toMatchObject({master: `127.0.0.1:${replica.port}`})
    expect(failedOver(b)).toMatchObject({master: `127.0.0.1:${replica.port}`})
    expect(await set.masterPort()).toBe(replica.port)

    // The new master has no replica: nothing is acknowledged (503, "0 of 1 … confirmed") until the old one is back as its replica.
    await until(
      () => a.lines.some((line) => line.type === 'ingress-failed' && /0 of 1 Redis replica confirmed/.test(line.error)),
      'a 503 for want of a replica',
    )
    await master.restart()
    await set.inSync(replica.port)
    // And 20 more on the new master with its replica.
    await createPurchases(sandbox.apiBase, key, 20)

    await until(() => acknowledged().size === 80, 'all eighty deliveries answered 200', 90_000)
    await until(() => app.received.length >= 80, 'all eighty at the app', 60_000)
    await listener.stop()

    const received = app.received.map((item) => item.id)
    // Once each: the spool knows every id it took, whichever entry of a retried delivery came first.
    expect(new Set(received).size).toBe(received.length)
    expect(new Set(received)).toEqual(acknowledged())
    expect(app.received.every((item) => item.verified)).toBe(true)
    // Nothing acknowledged was lost in the failover: every event answered 200 is on the promoted master.
    const stream = await streamOrder(replica.port, 'team-sentinel')
    for (const id of acknowledged()) expect(stream).toContain(id)
    // The kill really fell among deliveries: some were refused or unanswered, and retried.
    const retried = new Set(
      deliveries()
        .filter((delivery) => delivery.response_code !== 200)
        .map((delivery) => delivery.event_id),
    )
    expect(retried.size).toBeGreaterThan(0)
    // In the stream's order. An entry the old master took and lost (answered 503, so retried) may have been read before the
    // failover: it reaches the app where it was read, and its retry is not forwarded again. Every other event keeps its place.
    const steady = (ids: string[]) => ids.filter((id) => !retried.has(id))
    expect(steady(received)).toEqual(steady(firstOccurrences(stream)))
    // The first master's and the promoted one's: the order holds across the failover.
    expect(steady(received).length).toBeGreaterThanOrEqual(40)

    await app.stop()
    await Promise.all([a.stop(), b.stop()])
  })
})
