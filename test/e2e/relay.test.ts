/**
 * `ummah relay` end to end: the sandbox posts to a spawned relay's ingress
 * URL, `webhooks listen --relay` (no listening socket of its own) streams the
 * channel and forwards to an app that verifies with the printed key. Then the
 * laptop sleeping (SIGSTOP, kill -9), the relay kill -9'd, and two listeners
 * on one team channel.
 */
import {existsSync, readFileSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Sandbox, startSandbox} from '../../src/sandbox/server.js'
import {accountId} from '../../src/sandbox/store.js'
import {runCli, tempConfigDir, tempDir} from '../helpers/cli.js'
import {App, Listener, until} from './listen-harness.js'
import {ADMIN_TOKEN, RelayProcess, admin, inspectorPort, listeningPorts, socketCount} from './relay-harness.js'

let sandbox: Sandbox
beforeAll(async () => {
  sandbox = await startSandbox({port: 0, retryDelaysMs: [100, 200, 400, 800, 1600, 3200], statementDelayMs: 0})
})
afterAll(() => sandbox.close())

/** The listener's spool holds a delivered record and its state file a cursor past the first entry. */
function recorded(configDir: string): boolean {
  const dir = join(configDir, 'listen')
  if (!existsSync(dir)) return false
  const files = readdirSync(dir)
  const state = files.find((name) => name.endsWith('.json'))
  const spool = files.find((name) => name.endsWith('.spool'))
  if (!state || !spool) return false
  const cursorSeq = (JSON.parse(readFileSync(join(dir, state), 'utf8')) as {relay?: {cursor_seq?: number}}).relay?.cursor_seq ?? 0
  return cursorSeq >= 1 && readFileSync(join(dir, spool), 'utf8').includes('"k":"d"')
}

function profile() {
  const key = `sk_test_relay_${Math.random().toString(36).slice(2, 10)}`
  const configDir = tempConfigDir()
  const env = () => ({UMMAH_CONFIG_DIR: configDir, UMMAH_SECRET_KEY: key, UMMAH_API_BASE: sandbox.apiBase})
  return {
    key,
    configDir,
    listen: (args: string[]) => new Listener(args, env()),
    ummah: (args: string[]) => runCli(args, {env: env()}),
    /** Creates a purchase through the API: the gateway sends purchase.created. */
    async purchase(): Promise<string> {
      const response = await fetch(`${sandbox.apiBase}/purchases/`, {
        method: 'POST',
        headers: {authorization: `Bearer ${key}`, 'content-type': 'application/json'},
        body: JSON.stringify({
          brand_id: '409eb80e-3782-4b1d-afa8-b779759266a5',
          client: {email: 'relay@example.com'},
          purchase: {products: [{name: 'Relay', price: 100}], currency: 'USD'},
        }),
      })
      expect(response.status).toBe(201)
      return ((await response.json()) as {id: string}).id
    },
  }
}

/** Event ids in the order the app got them, and the ids the sandbox sent (its delivery log) for this key. */
function sentIds(me: ReturnType<typeof profile>): string[] {
  const ids = new Set<string>()
  for (const delivery of sandbox.store.state.accounts[accountId(me.key)]?.deliveries ?? []) if (delivery.webhook_id) ids.add(delivery.event_id)
  return [...ids]
}

async function relayStarted(dataDir = tempDir('ummah-relay-'), port = '0') {
  const relay = new RelayProcess(['--port', port, '--data-dir', dataDir])
  const url = await relay.ready()
  return {relay, url, dataDir}
}

describe('ummah relay with webhooks listen --relay', {timeout: 180_000}, () => {
  it('brings every event type to the app once, verified, byte-identical, with no listening socket in listen', async () => {
    const {relay, url} = await relayStarted()
    const me = profile()
    const app = new App()
    await app.start()
    const listener = me.listen(['--forward', `127.0.0.1:${app.port}/webhook`, '--relay', url, '--relay-token', ADMIN_TOKEN])
    const ready = await listener.ready()
    app.publicKey = ready.public_key
    expect(ready.channel).toMatch(/^[a-z0-9-]+$/)
    expect(ready.url).toMatch(new RegExp(`^${url}/in/${ready.channel}/…[0-9a-f]{4}$`))
    await until(() => listener.lines.find((line) => line.type === 'relay' && line.state === 'connected'), 'the stream to open')

    // The gateway's webhook points at the channel's ingress URL on the relay.
    const webhook = JSON.parse((await me.ummah(['webhooks', 'retrieve', ready.webhook_id, '--json'])).stdout)
    expect(webhook.callback).toMatch(new RegExp(`^${url}/in/${ready.channel}/[0-9a-f]{32}$`))
    // listen holds a socket (the WebSocket out) and listens on none but its inspector's, on loopback.
    expect(socketCount(listener.child.pid!)).toBeGreaterThan(0)
    expect(listeningPorts(listener.child.pid!)).toEqual(inspectorPort(ready))

    const events = [
      'purchase.paid',
      'purchase.payment_failure',
      'purchase.refunded',
      'purchase.cancelled',
      'purchase.hold',
      'purchase.captured',
      'purchase.released',
      'billing_template.client_activated',
      'purchase.subscription_charge_failure',
    ]
    for (const event of events) expect((await me.ummah(['trigger', event])).code).toBe(0)
    const expected = [...events, 'purchase.created']
    await until(() => expected.every((type) => app.received.some((item) => item.type === type)), 'every event type at the app')
    await until(() => app.received.length >= sentIds(me).length, 'every sent event at the app')
    const ids = app.received.map((item) => item.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(new Set(ids)).toEqual(new Set(sentIds(me)))
    for (const item of app.received) {
      expect(item.verified, item.type).toBe(true)
      expect(item.raw.toString('utf8')).toBe(JSON.stringify(JSON.parse(item.raw.toString('utf8'))))
      expect(item.headers['content-type']).toBe('application/json')
    }
    expect(listeningPorts(listener.child.pid!)).toEqual(inspectorPort(ready))

    // The next run: the same channel, webhook and key; nothing forwarded again.
    expect(await listener.stop()).toBe(0)
    const again = me.listen(['--forward', `127.0.0.1:${app.port}/webhook`, '--relay', url, '--relay-token', ADMIN_TOKEN])
    const second = await again.ready()
    expect([second.channel, second.webhook_id, second.public_key]).toEqual([ready.channel, ready.webhook_id, ready.public_key])
    await me.purchase()
    await until(() => app.received.length === ids.length + 1, 'one more event')
    expect(again.lines.filter((line) => line.type === 'event' && line.duplicate)).toEqual([])
    await again.stop()
    await app.stop()
    await relay.stop()
  })

  it('a laptop asleep (SIGSTOP, then kill -9): the 50 events sent meanwhile arrive after the restart, in order, none twice', async () => {
    const {relay, url} = await relayStarted()
    const me = profile()
    const app = new App()
    await app.start()
    const args = ['--forward', `127.0.0.1:${app.port}/webhook`, '--relay', url, '--relay-token', ADMIN_TOKEN]
    const first = me.listen(args)
    app.publicKey = (await first.ready()).public_key
    await me.purchase()
    await until(() => app.received.length === 1, 'the first event')
    // Its delivery record and the cursor settle (an fsync; the cursor is saved every 200 ms): an event still being
    // recorded when the process is killed is one in flight, which at-least-once may repeat; this test is about the 50.
    await until(() => first.lines.some((line) => line.type === 'response'), 'the first forward answered')
    await until(() => recorded(me.configDir), 'the delivery record and the cursor on disk')

    first.child.kill('SIGSTOP')
    const sent: string[] = []
    for (let index = 0; index < 50; index++) sent.push(await me.purchase())
    // Every one of them answered 200 by the relay (the sandbox's log), while the laptop slept.
    await until(() => sentIds(me).length === 51, 'the sandbox to have sent 51')
    first.child.kill('SIGKILL')
    await first.exited

    const second = me.listen(args)
    await second.ready()
    await until(() => app.received.length >= 51, 'the 50 events at the app', 60_000)
    // stop() waits for forwards under way: after it, nothing more reaches the app.
    await second.stop()
    const ids = app.received.map((item) => item.id)
    expect(ids.length).toBe(51)
    expect(new Set(ids).size).toBe(51)
    // In the order the gateway sent them.
    const order = sentIds(me)
    expect(ids).toEqual(order)
    expect(app.received.every((item) => item.verified)).toBe(true)
    await app.stop()
    await relay.stop()
  })

  it("the relay kill -9'd after answering 200: restarted on its data, everything is delivered", async () => {
    const dataDir = tempDir('ummah-relay-')
    let {relay, url} = await relayStarted(dataDir)
    const port = new URL(url).port
    const me = profile()
    const app = new App()
    await app.start()
    const listener = me.listen(['--forward', `127.0.0.1:${app.port}/webhook`, '--relay', url, '--relay-token', ADMIN_TOKEN])
    app.publicKey = (await listener.ready()).public_key
    listener.child.kill('SIGSTOP')
    for (let index = 0; index < 20; index++) await me.purchase()
    await until(() => sentIds(me).length === 20, 'twenty sent')
    relay.child.kill('SIGKILL')
    await relay.exited
    ;({relay} = await relayStarted(dataDir, port))
    listener.child.kill('SIGCONT')
    await until(() => app.received.length >= 20, 'the twenty at the app', 60_000)
    // Back on the restarted relay (after its backoff, whether or not the old connection had handed all twenty over).
    await until(() => listener.lines.some((line) => line.type === 'relay' && line.state === 'connected' && line.resumed), 'the listener to resume')
    // stop() waits for forwards under way: after it, nothing more reaches the app.
    await listener.stop()
    expect(app.received.map((item) => item.id)).toEqual(sentIds(me))
    expect(listener.lines.some((line) => line.type === 'relay' && line.state === 'disconnected')).toBe(true)
    // "relay: resumed, N events waiting", N being the twenty less those the old connection had already handed over.
    const resumed = listener.lines.findIndex((line) => line.type === 'relay' && line.state === 'connected' && line.resumed)
    expect(resumed).toBeGreaterThan(0)
    const before = listener.lines.slice(0, resumed).filter((line) => line.type === 'event').length
    expect(listener.lines[resumed].waiting).toBe(20 - before)
    await app.stop()
    await relay.stop()
  })

  it('fan-out: two developers on one team channel each get every entry, in order; a revoked token ends its stream', async () => {
    const {relay, url} = await relayStarted()
    const created = await admin(url, 'POST', '/v1/channels', {name: 'team-dev'})
    expect(created.status).toBe(201)
    const key = `sk_test_team_${Math.random().toString(36).slice(2, 8)}`
    const developer = () => {
      const configDir = tempConfigDir()
      return (args: string[]) =>
        new Listener(args, {
          UMMAH_CONFIG_DIR: configDir,
          UMMAH_SECRET_KEY: key,
          UMMAH_API_BASE: sandbox.apiBase,
          UMMAH_RELAY_TOKEN: created.body.token.token,
        })
    }
    const apps = [new App(), new App()]
    for (const app of apps) await app.start()
    const alice = developer()(['--forward', `127.0.0.1:${apps[0].port}/`, '--relay', url, '--channel', 'team-dev'])
    const aliceReady = await alice.ready()
    const bob = developer()(['--forward', `127.0.0.1:${apps[1].port}/`, '--relay', url, '--channel', 'team-dev'])
    const bobReady = await bob.ready()
    // One webhook for the team, found by its callback.
    expect(bobReady.webhook_id).toBe(aliceReady.webhook_id)
    for (const app of apps) app.publicKey = aliceReady.public_key
    await until(() => [alice, bob].every((each) => each.lines.some((line) => line.type === 'relay' && line.state === 'connected')), 'both streams')
    const purchases = profileFor(key)
    for (let index = 0; index < 10; index++) await purchases()
    await until(() => apps.every((app) => app.received.length >= 10), 'ten events at each app')
    expect(apps[0].received.map((item) => item.id)).toEqual(apps[1].received.map((item) => item.id))
    expect(new Set(apps[0].received.map((item) => item.id)).size).toBe(10)

    // Revoking Bob's token (the team's only client token) closes both streams; the listeners exit with the auth code.
    const revoked = await admin(url, 'DELETE', `/v1/channels/team-dev/tokens/${created.body.token.id}`)
    expect(revoked.status).toBe(200)
    expect(await bob.exited).toBe(3)
    expect(bob.stderr).toContain('token revoked')
    expect(await alice.exited).toBe(3)
    // A team channel's webhook stays subscribed when a developer leaves.
    const webhook = JSON.parse(
      (await runCli(['webhooks', 'retrieve', aliceReady.webhook_id, '--json'], {env: {UMMAH_SECRET_KEY: key, UMMAH_API_BASE: sandbox.apiBase}}))
        .stdout,
    )
    expect(webhook.all_events).toBe(true)
    for (const app of apps) await app.stop()
    await relay.stop()
  })
})

/** Purchases for a key whose listeners other code started. */
function profileFor(key: string) {
  return async () => {
    const response = await fetch(`${sandbox.apiBase}/purchases/`, {
      method: 'POST',
      headers: {authorization: `Bearer ${key}`, 'content-type': 'application/json'},
      body: JSON.stringify({
        brand_id: '409eb80e-3782-4b1d-afa8-b779759266a5',
        client: {email: 'team@example.com'},
        purchase: {products: [{name: 'Team', price: 100}], currency: 'USD'},
      }),
    })
    expect(response.status).toBe(201)
  }
}
