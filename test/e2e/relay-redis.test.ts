/**
 * `ummah relay --redis`: two relay instances on one real redis-server. The
 * gateway posts to one, `listen --relay B,A` streams from the other; B is
 * kill -9'd mid-stream, the listener resumes on A from its cursor: nothing
 * lost, nothing forwarded twice (the spool knows every id it took).
 */
import {createClient} from '@redis/client'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Sandbox, startSandbox} from '../../src/sandbox/server.js'
import {accountId} from '../../src/sandbox/store.js'
import {tempConfigDir} from '../helpers/cli.js'
import {type RedisServer, startRedis} from '../helpers/redis.js'
import {App, Listener, until} from './listen-harness.js'
import {RelayProcess, admin} from './relay-harness.js'

/** Event ids in the channel's Redis Stream, in stream order (read straight from Redis, not through the relay). */
async function streamOrder(url: string, channel: string): Promise<string[]> {
  const client = createClient({url, RESP: 2})
  await client.connect()
  try {
    const entries = await client.sendCommand<Array<[string, string[]]>>(['XRANGE', `ummah:relay:stream:${channel}`, '-', '+'])
    return entries.map(([, fields]) => {
      const body = fields.find((_, index) => index % 2 === 1 && fields[index - 1] === 'b')
      return (JSON.parse(body ?? '{}') as {id: string}).id
    })
  } finally {
    await client.close()
  }
}

let sandbox: Sandbox
let redis: RedisServer
beforeAll(async () => {
  ;[sandbox, redis] = await Promise.all([startSandbox({port: 0, retryDelaysMs: [100, 200, 400, 800, 1600], statementDelayMs: 0}), startRedis()])
})
afterAll(async () => {
  await sandbox.close()
  await redis.stop()
})

describe('ummah relay on Redis Streams', {timeout: 120_000}, () => {
  it('ingress on one instance, the stream from another; that one killed mid-stream: the listener resumes on the first, nothing lost or doubled', async () => {
    const a = new RelayProcess(['--port', '0', '--redis', redis.url])
    const aUrl = await a.ready()
    expect(a.lines.find((line) => line.type === 'ready')).toMatchObject({store: `redis ${redis.url}`})
    // Both build ingress URLs on A's address (what a load balancer's URL would be).
    const b = new RelayProcess(['--port', '0', '--redis', redis.url, '--public-url', aUrl])
    const bUrl = await b.ready()

    // A channel made through B is known to A at once: one store.
    const created = await admin(bUrl, 'POST', '/v1/channels', {name: 'team-redis'})
    expect(created.status).toBe(201)
    expect(created.body.ingress_url.startsWith(`${aUrl}/in/team-redis/`)).toBe(true)
    expect((await admin(aUrl, 'GET', '/v1/channels/team-redis')).body.ingress_url).toBe(created.body.ingress_url)

    const key = `sk_test_redis_${Math.random().toString(36).slice(2, 8)}`
    const app = new App()
    await app.start()
    const listener = new Listener(
      ['--forward', `127.0.0.1:${app.port}/`, '--relay', `${bUrl},${aUrl}`, '--relay-token', created.body.token.token, '--channel', 'team-redis'],
      {
        UMMAH_CONFIG_DIR: tempConfigDir(),
        UMMAH_SECRET_KEY: key,
        UMMAH_API_BASE: sandbox.apiBase,
      },
    )
    const ready = await listener.ready()
    app.publicKey = ready.public_key
    const connected = () => listener.lines.filter((line) => line.type === 'relay' && line.state === 'connected')
    await until(() => connected().length === 1, 'the stream from B')
    expect(connected()[0].relay).toBe(bUrl)

    const purchase = async (index: number) => {
      const response = await fetch(`${sandbox.apiBase}/purchases/`, {
        method: 'POST',
        headers: {authorization: `Bearer ${key}`, 'content-type': 'application/json'},
        body: JSON.stringify({
          brand_id: '409eb80e-3782-4b1d-afa8-b779759266a5',
          client: {email: `r${index}@example.com`},
          purchase: {products: [{name: 'Redis', price: 100}], currency: 'USD'},
        }),
      })
      expect(response.status).toBe(201)
    }
    const sent = () =>
      (sandbox.store.state.accounts[accountId(key)]?.deliveries ?? [])
        .filter((delivery) => delivery.webhook_id && delivery.response_code === 200)
        .map((delivery) => delivery.event_id)

    // A stream under way: 30 events, B killed once some have arrived, 30 more while the listener moves to A.
    for (let index = 0; index < 30; index++) await purchase(index)
    await until(() => app.received.length >= 5, 'some events through B')
    b.child.kill('SIGKILL')
    await b.exited
    for (let index = 30; index < 60; index++) await purchase(index)
    await until(() => sent().length === 60, 'sixty stored by the relay (200 to the gateway)')
    await until(() => app.received.length >= 60, 'all sixty at the app', 60_000)
    // stop() waits for forwards under way: after it, nothing more reaches the app.
    await listener.stop()

    const ids = app.received.map((item) => item.id)
    expect(ids.length).toBe(60)
    expect(new Set(ids).size).toBe(60)
    // The gateway's deliveries run concurrently, so the order it records their 200s in is not the order the
    // relay stored them in; the stream's order is the one the app must see.
    expect([...ids].sort()).toEqual([...sent()].sort())
    expect(ids).toEqual(await streamOrder(redis.url, 'team-redis'))
    expect(app.received.every((item) => item.verified)).toBe(true)
    expect(connected().at(-1)).toMatchObject({relay: aUrl, resumed: true})
    // Entries re-sent by A after the switch were recognised by id, not forwarded again: at most a window's worth.
    const repeats = listener.lines.filter((line) => line.type === 'event' && line.duplicate).length
    expect(repeats).toBeLessThanOrEqual(256)

    await app.stop()
    await a.stop()
  })
})
