/**
 * The relay never skips what a listener has not read:
 * - a channel deleted and made again (a new incarnation) under a stopped and
 *   a running listener, on both stores: the old cursor is never used to skip
 *   the new channel's entries;
 * - a new team listener cut off before its first event: the position `$`
 *   resolved to on its first connection is kept, so a reconnect resumes there;
 * - a relay killed after streaming an entry it could not store (a full
 *   tmpfs): the listener forwarded it, but resumes before its number, which
 *   the restarted relay gives to the next entry;
 * - a listener whose disk fills: no entry it could not spool is passed, and
 *   each is taken once there is room;
 * - Redis killed under ingress: every answer is 200 (stored) or 503 with
 *   Retry-After, /healthz is 503 meanwhile, and everything acknowledged is
 *   streamed once Redis is back.
 */
import {execFileSync} from 'node:child_process'
import {readFileSync, readdirSync, rmSync, statfsSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import WebSocket from 'ws'

import {decodeEntry} from '../../src/relay/protocol.js'
import {type Sandbox, startSandbox} from '../../src/sandbox/server.js'
import {accountId} from '../../src/sandbox/store.js'
import {tempConfigDir, tempDir} from '../helpers/cli.js'
import {freePort} from '../helpers/server.js'
import {type RedisServer, startRedis} from '../helpers/redis.js'
import {App, Listener, createPurchases, until} from './listen-harness.js'
import {ADMIN_TOKEN, RelayProcess, admin, restartableRelay, savedSeq} from './relay-harness.js'

let sandbox: Sandbox
let redis: RedisServer
beforeAll(async () => {
  sandbox = await startSandbox({port: 0, retryDelaysMs: [200, 400, 800, 1600], statementDelayMs: 0})
  redis = await startRedis()
})
afterAll(async () => {
  await sandbox.close()
  await redis.stop()
})

function profile() {
  const key = `sk_test_cursor_${Math.random().toString(36).slice(2, 10)}`
  const env = {UMMAH_CONFIG_DIR: tempConfigDir(), UMMAH_SECRET_KEY: key, UMMAH_API_BASE: sandbox.apiBase}
  return {
    key,
    env,
    listen: (args: string[]) => new Listener(args, env),
    purchases: (count: number) => createPurchases(sandbox.apiBase, key, count),
    /** Event ids the gateway was answered 2xx for: each must reach the app. */
    acknowledged(): Set<string> {
      const ids = new Set<string>()
      for (const record of sandbox.store.state.accounts[accountId(key)]?.deliveries ?? []) {
        if (record.webhook_id && record.response_code !== null && record.response_code >= 200 && record.response_code < 300) ids.add(record.event_id)
      }
      return ids
    },
  }
}

for (const store of ['embedded', 'redis'] as const) {
  describe(`a channel deleted and made again (${store} store)`, {timeout: 180_000}, () => {
    it('under a stopped and then a running listener: every event the gateway got 2xx for reaches the app', async () => {
      const relay = new RelayProcess(['--port', '0', ...(store === 'redis' ? ['--redis', redis.url] : ['--data-dir', tempDir('ummah-relay-')])])
      const url = await relay.ready()
      const me = profile()
      const app = new App()
      await app.start()
      const args = ['--forward', `127.0.0.1:${app.port}/webhook`, '--relay', url, '--relay-token', ADMIN_TOKEN]
      try {
        let listener = me.listen(args)
        const ready = await listener.ready()
        app.publicKey = ready.public_key
        const channel = ready.channel as string
        await me.purchases(5)
        await until(() => app.received.length === 5, 'the first five events')

        // Stopped: the channel is deleted; the next listen makes it again (a new incarnation, numbered from 1 again).
        listener.child.kill('SIGTERM')
        await exitOf(listener)
        expect((await admin(url, 'DELETE', `/v1/channels/${channel}`)).status).toBe(200)
        listener = me.listen(args)
        await listener.ready()
        await me.purchases(3)
        await until(() => app.received.length === 8, 'the three events of the new channel')

        // Running: deleted under it (it stops, saying so), made again by the admin; the next listen reads the new one from its start.
        expect((await admin(url, 'DELETE', `/v1/channels/${channel}`)).status).toBe(200)
        expect(await exitOf(listener)).toBe(4)
        expect(listener.stderr).toContain('channel deleted')
        expect((await admin(url, 'POST', '/v1/channels', {name: channel})).status).toBe(201)
        listener = me.listen(args)
        await listener.ready()
        await me.purchases(3)
        await until(() => app.received.length === 11, 'the three events of the channel made again')
        await until(() => me.acknowledged().size === 11, 'the gateway to record its 2xx answers')
        expect(new Set(app.received.map((event) => event.id))).toEqual(me.acknowledged())
        listener.child.kill('SIGTERM')
        await exitOf(listener)
      } finally {
        await app.stop()
        await relay.stop('SIGKILL')
      }
    })
  })
}

describe('a new team listener', {timeout: 120_000}, () => {
  it('cut off before its first event (SIGSTOP, the relay restarted meanwhile): every event stored meanwhile reaches its app', async () => {
    const relays = await restartableRelay()
    const {url} = relays
    expect((await admin(url, 'POST', '/v1/channels', {name: 'team-cut'})).status).toBe(201)
    const me = profile()
    const app = new App()
    await app.start()
    const listener = me.listen(['--forward', `127.0.0.1:${app.port}/webhook`, '--relay', url, '--relay-token', ADMIN_TOKEN, '--channel', 'team-cut'])
    try {
      app.publicKey = (await listener.ready()).public_key
      await until(() => listener.lines.find((line) => line.type === 'relay' && line.state === 'connected'), 'the first connection')
      // Asleep before its first event; the relay goes down and comes back, events arrive while the link is down.
      listener.child.kill('SIGSTOP')
      await relays.restart()
      await me.purchases(10)
      await until(() => me.acknowledged().size === 10, 'the relay to store the ten events')
      listener.child.kill('SIGCONT')
      await until(() => listener.lines.find((line) => line.type === 'relay' && line.resumed), 'the listener to reconnect')
      await until(() => app.received.length === 10, 'the ten events stored while it was cut off')
      expect(new Set(app.received.map((event) => event.id))).toEqual(me.acknowledged())
    } finally {
      listener.child.kill('SIGKILL')
      await app.stop()
      await relays.relay().stop('SIGKILL')
    }
  })
})

describe('a relay killed after streaming an entry it could not store', {timeout: 120_000}, () => {
  it('the listener forwards it at once but resumes before its number: the entry given that number after the restart reaches the app', async () => {
    const mount = tempDir('ummah-tmpfs-')
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k,mode=0700', 'tmpfs', mount])
    const start = (port: number) => new RelayProcess(['--port', String(port), '--data-dir', join(mount, 'relay')])
    const port = await freePort()
    let relay = start(port)
    const app = new App()
    await app.start()
    const me = profile()
    const ingressed = () => relay.lines.filter((line) => line.type === 'ingress').map((line) => line.cursor as string)
    try {
      const url = await relay.ready()
      const listener = me.listen(['--forward', `127.0.0.1:${app.port}/webhook`, '--relay', url, '--relay-token', ADMIN_TOKEN, '--skip-verify'])
      const post = await poster(url, listener)
      await until(() => listener.lines.find((line) => line.type === 'relay' && line.state === 'connected'), 'the stream')
      expect(await post('evt_stored')).toBe(200)
      await until(() => app.received.length === 1, 'the first event')

      // The disk full: the next entry is streamed while it is written, its write fails, the sender is told 503.
      const filler = fillUp(mount)
      expect(await post('evt_not_stored')).toBe(503)
      await until(() => app.received.length === 2, 'the entry streamed while it was written')

      // Killed and started again with room: number 2 is given to the next entry, which the listener must not skip.
      await relay.stop('SIGKILL')
      rmSync(filler)
      relay = start(port)
      await relay.ready()
      expect(await post('evt_next')).toBe(200)
      expect(ingressed()).toEqual(['2'])
      await until(() => app.received.length === 3, 'the entry numbered 2 after the restart', 15_000)
      // It came back after 1, the last number the relay had said was durable, not after the 2 it had been sent.
      expect(relay.lines.filter((line) => line.type === 'stream-open').map((line) => line.cursor)).toEqual(['1'])
      // The sender tries the 503 again: stored now, recognised by the listener, not forwarded twice.
      expect(await post('evt_not_stored')).toBe(200)
      await until(() => listener.lines.find((line) => line.type === 'event' && line.duplicate), 'the listener to recognise it')
      expect(app.received.map((event) => event.id)).toEqual(['evt_stored', 'evt_not_stored', 'evt_next'])
      // Each entry was sent while it was being written; the relay's notices move the cursor the listener saves.
      await until(() => savedSeq(me.env.UMMAH_CONFIG_DIR) === 3, 'the saved cursor to reach 3')
      listener.child.kill('SIGTERM')
      await exitOf(listener)
    } finally {
      await app.stop()
      await relay.stop('SIGKILL')
      execFileSync('umount', ['-l', mount])
    }
  })
})

describe('a listener whose disk fills while it streams', {timeout: 120_000}, () => {
  it('moves its cursor past no entry it could not spool, and takes them once there is room (a full tmpfs)', async () => {
    const mount = tempDir('ummah-tmpfs-')
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', mount])
    const relay = new RelayProcess(['--port', '0', '--data-dir', tempDir('ummah-relay-')])
    const app = new App()
    await app.start()
    const me = profile()
    const configDir = join(mount, 'config')
    const listener = new Listener(
      ['--forward', `127.0.0.1:${app.port}/webhook`, '--relay', await relay.ready(), '--relay-token', ADMIN_TOKEN, '--skip-verify', '--no-inspect'],
      {...me.env, UMMAH_CONFIG_DIR: configDir},
    )
    try {
      const url = relay.lines.find((line) => line.type === 'ready')!.url as string
      const post = await poster(url, listener)
      expect(await post('evt_1')).toBe(200)
      await until(() => savedSeq(configDir) === 1, 'the first entry spooled and its place saved')

      // The listener's disk full: the relay stores the next two, the listener cannot spool them.
      const filler = fillUp(mount)
      expect(await post('evt_2')).toBe(200)
      expect(await post('evt_3')).toBe(200)
      await until(() => listener.lines.find((line) => line.type === 'disk-full'), 'the listener to say its disk is full')
      expect(savedSeq(configDir)).toBe(1)

      // Room again: after the pause the spool asked for (30 s), both are offered again, spooled, and the place moves.
      rmSync(filler)
      await until(() => savedSeq(configDir) === 3, 'the two entries spooled once there is room', 60_000)
      expect(listener.lines.some((line) => line.type === 'disk-ok')).toBe(true)
      // Stored in its spool, not only forwarded while their lines were being written.
      const spool = readdirSync(join(configDir, 'listen')).find((name) => name.endsWith('.spool'))!
      const spooled = readFileSync(join(configDir, 'listen', spool), 'utf8')
      for (const id of ['evt_2', 'evt_3']) expect(spooled).toContain(`"id":"${id}"`)
      const firsts = [...new Set(app.received.map((event) => event.id))]
      expect(firsts).toEqual(['evt_1', 'evt_2', 'evt_3'])
    } finally {
      listener.child.kill('SIGKILL')
      await app.stop()
      await relay.stop('SIGKILL')
      execFileSync('umount', ['-l', mount])
    }
  })
})

describe('Redis killed under ingress', {timeout: 120_000}, () => {
  it('answers 200 or 503 with Retry-After, /healthz is 503 meanwhile, and everything acknowledged is streamed once Redis is back', async () => {
    const own = await startRedis()
    const relay = new RelayProcess(['--port', '0', '--redis', own.url])
    const url = await relay.ready()
    try {
      const created = await admin(url, 'POST', '/v1/channels', {name: 'redis-down'})
      const ingress = created.body.ingress_url as string
      const post = async (index: number) => {
        const response = await fetch(ingress, {
          method: 'POST',
          headers: {'content-type': 'application/json'},
          body: JSON.stringify({n: index}),
          signal: AbortSignal.timeout(10_000),
        })
        return {index, status: response.status, retryAfter: response.headers.get('retry-after')}
      }
      const answers = []
      for (let index = 0; index < 10; index++) answers.push(await post(index))
      await own.stop()
      for (let index = 10; index < 20; index++) answers.push(await post(index))
      const health = await fetch(`${url}/healthz`)
      expect(health.status).toBe(503)
      expect(health.headers.get('retry-after')).toBeTruthy()
      expect(relay.lines.some((line) => line.type === 'ingress-failed')).toBe(true)
      await own.restart()
      await until(async () => (await fetch(`${url}/healthz`)).status === 200, 'the relay to be healthy again', 15_000)
      for (let index = 20; index < 25; index++) {
        // Redis is back, the client reconnects within its backoff: a 503 meanwhile is what the gateway retries.
        let answer = await post(index)
        for (let tries = 0; answer.status === 503 && tries < 20; tries++) answer = await post(index)
        answers.push(answer)
      }
      for (const answer of answers) {
        expect([200, 503], JSON.stringify(answer)).toContain(answer.status)
        if (answer.status === 503) expect(answer.retryAfter, JSON.stringify(answer)).toBeTruthy()
      }
      expect(answers.slice(10, 20).every((answer) => answer.status === 503)).toBe(true)
      // Everything answered 200 is streamed, in order.
      const acknowledged = answers.filter((answer) => answer.status === 200).map((answer) => answer.index)
      expect(acknowledged.length).toBe(15)
      const streamed = await readAll(url, 'redis-down', acknowledged.length)
      expect(streamed).toEqual(acknowledged)
    } finally {
      await relay.stop('SIGKILL')
      await own.stop()
    }
  })
})

/** The listener's exit code, within 20 s (else its lines, to see where it stood). */
async function exitOf(listener: Listener): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`listen did not exit: ${JSON.stringify(listener.lines.slice(-5))} ${listener.stderr}`)), 20_000)
  })
  try {
    return await Promise.race([listener.exited, late])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Posts an event to the ingress of the listener's channel (the ready line masks its secret; the admin API has it), with
 * an 8 kB pad: more than the room left in a file's last page, so on a full disk its write fails. Returns the status.
 */
async function poster(url: string, listener: Listener): Promise<(id: string) => Promise<number>> {
  const channel = (await listener.ready()).channel as string
  const ingress = (await admin(url, 'GET', `/v1/channels/${channel}`)).body.ingress_url as string
  return async (id) => {
    const body = JSON.stringify({id, type: 'purchase.paid', pad: 'x'.repeat(8192)})
    return (await fetch(ingress, {method: 'POST', headers: {'content-type': 'application/json'}, body})).status
  }
}

/** Takes every free byte of a tmpfs with one file; its path, to remove for room again. */
function fillUp(mount: string): string {
  const filler = join(mount, 'filler')
  const {bavail, bsize} = statfsSync(mount)
  writeFileSync(filler, Buffer.alloc(bavail * bsize))
  return filler
}

/** Every entry of a channel from its start, as the admin streams it: the `n` of each body. */
async function readAll(url: string, channel: string, expected: number): Promise<number[]> {
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/channels/${channel}/stream?after=0`, {
    headers: {authorization: `Bearer ${ADMIN_TOKEN}`},
  })
  const seen: number[] = []
  socket.on('message', (data, binary) => {
    if (binary) seen.push((JSON.parse(decodeEntry(data as Buffer).body.toString()) as {n: number}).n)
  })
  try {
    await until(() => seen.length >= expected, 'every acknowledged entry on the stream', 15_000)
    return seen
  } finally {
    socket.close()
  }
}
