/**
 * `webhooks listen` under faults, end to end against the sandbox: a full disk
 * (a real tmpfs), restarts under deliveries, kill -9 under a burst, two
 * listeners on one profile, and a gateway whose state was reset. Each test
 * has its own profile directory, so each starts with no webhook and no spool.
 */
import {execFileSync} from 'node:child_process'
import {mkdirSync, rmSync, statfsSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {formatListenLine} from '../../src/cli/listen-output.js'
import {UNRECORDED_MAX} from '../../src/webhooks/forward.js'
import {createStyle} from '../../src/cli/output.js'
import {type Sandbox, startSandbox} from '../../src/sandbox/server.js'
import {accountId} from '../../src/sandbox/store.js'
import {runCli, tempConfigDir, tempDir} from '../helpers/cli.js'
import {App, Listener, type Received, until} from './listen-harness.js'
import {jitter} from '../helpers/wait.js'

let sandbox: Sandbox
beforeAll(async () => {
  sandbox = await startSandbox({port: 0, retryDelaysMs: [100, 200, 400, 800], statementDelayMs: 0})
})
afterAll(() => sandbox.close())

/** A profile of its own: a config directory and a key (an account of its own in the sandbox). */
function profile(configDir = tempConfigDir(), gateway = () => sandbox) {
  const key = `sk_test_faults_${Math.random().toString(36).slice(2, 10)}`
  const env = () => ({UMMAH_CONFIG_DIR: configDir, UMMAH_SECRET_KEY: key, UMMAH_API_BASE: gateway().apiBase})
  return {
    key,
    configDir,
    listen: (args: string[]) => new Listener(args, env()),
    ummah: (args: string[]) => runCli(args, {env: env()}),
    async trigger(event = 'purchase.paid') {
      const result = await runCli(['trigger', event], {env: env()})
      expect(result.code, result.stderr).toBe(0)
    },
    /** The sandbox's delivery log for this key's webhooks: event id → response codes, in order. */
    deliveries(): Map<string, Array<number | null>> {
      const log = new Map<string, Array<number | null>>()
      const account = gateway().store.state.accounts[accountId(key)]
      for (const record of account?.deliveries ?? [])
        if (record.webhook_id) log.set(record.event_id, [...(log.get(record.event_id) ?? []), record.response_code])
      return log
    },
  }
}

/** A running app and a listener forwarding to it, the app verifying with the key the listener printed. */
async function appAndListener(me: ReturnType<typeof profile>) {
  const app = new App()
  await app.start()
  const listener = me.listen(['--forward', `127.0.0.1:${app.port}/webhook`])
  const ready = await listener.ready()
  app.publicKey = ready.public_key
  return {app, listener, ready}
}

/** POSTs a captured delivery's exact bytes and headers again; the status, or 0 when nothing listens. */
async function replay(url: string, delivery: Received): Promise<number> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: {'content-type': 'application/json', 'x-signature': delivery.signature},
      body: delivery.raw,
      signal: AbortSignal.timeout(2000),
    })
    await response.arrayBuffer()
    return response.status
  } catch {
    return 0
  }
}

describe('webhooks listen under faults', {timeout: 240_000}, () => {
  it('a second listener on the profile exits 2 naming the first; --print-public-key changes nothing; --takeover moves the webhook', async () => {
    const me = profile()
    const {app, listener: first, ready} = await appAndListener(me)

    const second = await me.ummah(['webhooks', 'listen', '--forward', `127.0.0.1:${app.port}/other`])
    expect(second.code).toBe(2)
    expect(second.stderr).toContain(
      `Error: Another \`webhooks listen\` is running for profile "default": pid ${first.child.pid}, forwarding to http://127.0.0.1:${app.port}/webhook, since `,
    )
    expect(second.stderr).toContain('pass --takeover')

    const printed = await me.ummah(['webhooks', 'listen', '--print-public-key'])
    expect(printed).toMatchObject({code: 0, stdout: `${ready.public_key.trim()}\n`})
    // The listener still receives: --print-public-key did not re-point or unsubscribe its webhook.
    await me.trigger('purchase.paid')
    // The app may have the event before the listener prints it: the forward starts while its record is written.
    await until(() => app.received.some((item) => item.type === 'purchase.paid'), 'the paid event through the first listener')
    await until(() => first.lines.some((line) => line.type === 'event' && line.event_type === 'purchase.paid'), 'the first listener reports it')

    const taker = me.listen(['--forward', `127.0.0.1:${app.port}/webhook`, '--takeover'])
    expect((await taker.ready()).webhook_id).toBe(ready.webhook_id)
    // The first one stops without unsubscribing what is now the taker's webhook.
    expect(await first.stop()).toBe(0)
    const before = app.received.length
    await me.trigger('purchase.refunded')
    await until(() => app.received.slice(before).some((item) => item.type === 'purchase.refunded'), 'the refund through the taker')
    await until(() => taker.lines.some((line) => line.type === 'event' && line.event_type === 'purchase.refunded'), 'the taker reports it')
    expect(first.lines.some((line) => line.type === 'event' && line.event_type === 'purchase.refunded')).toBe(false)
    expect(await taker.stop()).toBe(0)
    const webhook = JSON.parse((await me.ummah(['webhooks', 'retrieve', ready.webhook_id, '--json'])).stdout)
    expect(webhook).toMatchObject({events: [], all_events: false})
    await app.stop()
  })

  it('restarts under genuine deliveries: every answer is 200 or 503 (starting), never 403', async () => {
    const me = profile()
    const {app, listener: first, ready} = await appAndListener(me)
    await me.trigger('purchase.paid')
    await until(() => app.received.length >= 2, 'two genuine deliveries captured')
    expect(await first.stop()).toBe(0)
    const captured = app.received.slice(0, 2)

    const statuses = new Map<number, number>()
    for (let round = 0; round < 15; round++) {
      const listener = me.listen(['--forward', `127.0.0.1:${app.port}/webhook`])
      // The receiver comes back on the same port; hammer it while the listener starts and until it is ready.
      let readyAt: number | undefined
      const deadline = Date.now() + 15_000
      while (Date.now() < deadline && (readyAt === undefined || Date.now() < readyAt + 100)) {
        const results = await Promise.all(captured.map((delivery) => replay(ready.url, delivery)))
        for (const status of results) if (status !== 0) statuses.set(status, (statuses.get(status) ?? 0) + 1)
        if (readyAt === undefined && listener.lines.some((line) => line.type === 'ready')) readyAt = Date.now()
      }
      expect(readyAt, `round ${round}: ready`).toBeDefined()
      expect(await listener.stop()).toBe(0)
    }
    expect([...statuses.keys()].sort()).toEqual([200, 503])
    expect(statuses.get(403)).toBeUndefined()
    // Only the captured events ever reached the app: replays were duplicates, never forwarded again.
    expect(new Set(app.received.map((item) => item.id)).size).toBe(app.received.length)
    await app.stop()
  })

  it('kill -9 under a burst, 10 times: nothing acknowledged is lost; repeats only among the events in flight', async () => {
    const me = profile()
    const started = await appAndListener(me)
    const {app} = started
    let {listener} = started
    for (let round = 0; round < 10; round++) {
      const burst = Promise.all([me.trigger('purchase.paid'), me.trigger('purchase.refunded'), me.trigger('purchase.cancelled')])
      await until(
        () => app.received.length > 0 && listener.lines.filter((line) => line.type === 'response').length >= 2,
        `round ${round}: forwards under way`,
      )
      await jitter(40)
      await listener.stop('SIGKILL')
      const atKill = app.received.map((item) => item.id)
      await burst
      listener = me.listen(['--forward', `127.0.0.1:${app.port}/webhook`])
      await listener.ready()
      // What the first run had not recorded as delivered is forwarded again: at most the records not yet on disk
      // (UNRECORDED_MAX) and the one being forwarded (--concurrency 1), and only the last ones.
      await until(() => {
        const acknowledged = [...me.deliveries()].filter(([, codes]) => codes.includes(200)).map(([id]) => id)
        return acknowledged.every((id) => app.received.some((item) => item.id === id))
      }, `round ${round}: every acknowledged event at the app`)
      const repeated = app.received
        .slice(atKill.length)
        .map((item) => item.id)
        .filter((id) => atKill.includes(id))
      expect(
        repeated.length,
        `round ${round}: ${repeated.map((id) => `${id} at -${atKill.length - atKill.lastIndexOf(id)}`).join(', ')}`,
      ).toBeLessThanOrEqual(UNRECORDED_MAX + 1)
      for (const id of new Set(repeated)) expect(atKill.slice(-(UNRECORDED_MAX + 1)), `round ${round}: ${id} repeated`).toContain(id)
      // Each event once more at most: a repeat is a replay of what was in flight, not a loop.
      expect(new Set(repeated).size).toBe(repeated.length)
    }
    expect(await listener.stop()).toBe(0)
    await app.stop()
  })

  it('a damaged spool: listen starts, reports the damaged lines once, delivers every valid pending event, then everything new', async () => {
    const me = profile()
    const listenDir = join(me.configDir, 'listen')
    mkdirSync(listenDir, {recursive: true})
    const event = (seq: unknown, id: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({
        k: 'e',
        seq,
        id,
        type: 'purchase.paid',
        at: Date.now(),
        h: {'content-type': 'application/json'},
        b: Buffer.from(JSON.stringify({id, type: 'purchase.paid'})).toString('base64'),
        ...extra,
      })
    const lines = [
      event(1, 'evt-kept-1'),
      'null',
      JSON.stringify({k: 'e', seq: 2, id: 'evt-no-body', type: 'purchase.paid', at: 1, h: {}}),
      event('3', 'evt-string-seq'),
      'garbage',
      event(4, 'evt-kept-4'),
      '{"k":"e","seq":5,"id":"torn',
    ]
    writeFileSync(join(listenDir, 'default.spool'), lines.join('\n'))
    // No key: this app records whatever arrives (the crafted events carry no signature).
    const app = new App()
    await app.start()
    const listener = me.listen(['--forward', `127.0.0.1:${app.port}/webhook`])
    expect(await listener.ready()).toMatchObject({pending: 2})
    expect(listener.lines.filter((line) => line.type === 'damaged')).toEqual([{type: 'damaged', path: join(listenDir, 'default.spool'), lines: 5}])
    await until(() => app.received.length === 2, 'the two valid pending events')
    expect(app.received.map((item) => item.id)).toEqual(['evt-kept-1', 'evt-kept-4'])
    for (let index = 0; index < 3; index++) await me.trigger('purchase.paid')
    await until(
      () => [...me.deliveries().keys()].every((id) => app.received.some((item) => item.id === id)) && me.deliveries().size >= 6,
      'every new event at the app',
    )
    expect(await listener.stop()).toBe(0)
    // Reported once: the rewritten spool has no damaged lines left.
    const again = me.listen(['--forward', `127.0.0.1:${app.port}/webhook`])
    await again.ready()
    expect(again.lines.some((line) => line.type === 'damaged')).toBe(false)
    expect(await again.stop()).toBe(0)
    await app.stop()
  })

  it('the gateway reset (sandbox restarted): listen says the key CHANGED', async () => {
    let gateway = sandbox
    const me = profile(tempConfigDir(), () => gateway)
    const first = me.listen(['--forward', '127.0.0.1:9/webhook'])
    const ready = await first.ready()
    expect(ready.key_changed).toBe(false)
    expect(await first.stop()).toBe(0)

    gateway = await startSandbox({port: 0, retryDelaysMs: [100], statementDelayMs: 0})
    try {
      const second = me.listen(['--forward', '127.0.0.1:9/webhook'])
      const changed = await second.ready()
      expect(changed).toMatchObject({key_changed: true, previous_webhook_id: ready.webhook_id})
      expect(changed.public_key).not.toBe(ready.public_key)
      expect(await second.stop()).toBe(0)
      const text = formatListenLine(changed as never, await createStyle(false))
      expect(text).toContain(`The webhook's public key CHANGED (webhook ${ready.webhook_id} no longer exists: was the gateway's state reset?).`)
      expect(text).toContain(`export UMMAH_WEBHOOK_PUBLIC_KEY='${changed.public_key.trim()}'`)
      expect(text).not.toContain('the same on every run')

      const third = me.listen(['--forward', '127.0.0.1:9/webhook'])
      expect(await third.ready()).toMatchObject({key_changed: false, webhook_id: changed.webhook_id})
      expect(await third.stop()).toBe(0)
    } finally {
      await gateway.close()
    }
  })

  it('the spool on a full disk (tmpfs): 503 and one message while full; everything answered 200 reaches the app after space is freed', async () => {
    const mount = tempDir('ummah-tmpfs-')
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k,mode=0700', 'tmpfs', mount])
    try {
      const configDir = join(mount, 'config')
      mkdirSync(configDir, {recursive: true})
      const me = profile(configDir)
      const app = new App()
      await app.start()
      const port = app.port
      await app.stop()
      const listener = me.listen(['--forward', `127.0.0.1:${port}/webhook`])
      app.publicKey = (await listener.ready()).public_key

      // Fill the disk to within a few kB: room for a couple of events, not for the burst.
      const filler = join(mount, 'filler')
      const {bavail, bsize} = statfsSync(mount)
      writeFileSync(filler, Buffer.alloc(Math.max(0, bavail * bsize - 6 * 1024)))
      for (let index = 0; index < 6; index++) await me.trigger('purchase.paid')
      await until(() => listener.lines.some((line) => line.type === 'disk-full'), 'the disk-full line')
      // Let the sandbox use up its retries (100 + 200 + 400 + 800 ms).
      await until(
        () => [...me.deliveries().values()].every((codes) => codes.includes(200) || codes.length === 5),
        'the gateway done retrying',
        20_000,
      )
      const log = me.deliveries()
      const acknowledged = [...log].filter(([, codes]) => codes.includes(200)).map(([id]) => id)
      const refused = [...log].filter(([, codes]) => !codes.includes(200))
      expect(refused.length, 'some deliveries refused while the disk was full').toBeGreaterThan(0)
      for (const [, codes] of refused) expect(codes.every((code) => code === 503)).toBe(true)
      const diskFull = listener.lines.filter((line) => line.type === 'disk-full')
      expect(diskFull).toHaveLength(1)
      expect(diskFull[0]).toMatchObject({code: 'ENOSPC', path: join(configDir, 'listen', 'default.spool')})

      rmSync(filler)
      await me.trigger('purchase.refunded')
      await until(() => listener.lines.some((line) => line.type === 'disk-ok'), 'the disk-ok line')
      expect(await listener.stop()).toBe(0)

      await app.start(port)
      const again = me.listen(['--forward', `127.0.0.1:${port}/webhook`])
      await again.ready()
      const stored = [...me.deliveries()].filter(([, codes]) => codes.includes(200)).map(([id]) => id)
      expect(stored.length).toBeGreaterThan(acknowledged.length)
      await until(() => stored.every((id) => app.received.some((item) => item.id === id)), 'every acknowledged event at the app')
      expect(await again.stop()).toBe(0)
      await app.stop()
    } finally {
      execFileSync('umount', ['-l', mount])
    }
  })
})
