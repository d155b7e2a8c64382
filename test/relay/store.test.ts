/**
 * One suite, both stores: the embedded one (files) and Redis Streams (a real
 * redis-server). What the relay relies on: channels kept and replaced whole,
 * entries back byte for byte in order after a cursor, `$` and `0`, counts,
 * blocking reads woken by an append or a close, per-reader cursors, trimming
 * by age, and a deleted channel's entries gone. The embedded store's own:
 * reopening, segments, memory at the tail, and entries given tentatively
 * while they are written.
 */
import {execFileSync} from 'node:child_process'
import {appendFileSync, readdirSync, rmSync, statSync, statfsSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {EmbeddedStore} from '../../src/relay/embedded-store.js'
import {RedisStore} from '../../src/relay/redis-store.js'
import type {ChannelRecord, RelayStore} from '../../src/relay/store.js'
import {tempDir} from '../helpers/cli.js'
import {openStore} from '../../src/relay/open-store.js'
import {parseRedisTarget} from '../../src/relay/redis-target.js'
import {type RedisServer, type SentinelSet, startRedis, startSentinelSet} from '../helpers/redis.js'
import {until} from '../helpers/wait.js'

let redis: RedisServer
let sentinels: SentinelSet
beforeAll(async () => {
  ;[redis, sentinels] = await Promise.all([startRedis(), startSentinelSet()])
}, 60_000)
afterAll(() => Promise.all([redis.stop(), sentinels.stop()]))

/** Each test starts from an empty Redis. */
async function emptied(url: string): Promise<void> {
  const {createClient} = await import('@redis/client')
  const client = createClient({url})
  await client.connect()
  await client.flushAll()
  await client.close()
}

const channel = (name: string): ChannelRecord => ({name, ingress_secret: 'a'.repeat(32), created_at: 1, tokens: []})
const entry = (text: string, receivedAt = Date.now()) => ({
  receivedAt,
  headers: {'x-signature': `sig-${text}`, 'content-type': 'application/json'},
  body: Buffer.from(text),
})

const stores: Array<[string, () => Promise<RelayStore>]> = [
  ['embedded', () => EmbeddedStore.open(tempDir('ummah-store-'))],
  [
    'redis',
    async () => {
      const store = await RedisStore.open(redis.url)
      await emptied(redis.url)
      return store
    },
  ],
  [
    // The same suite through the sentinels, each entry confirmed by the replica (WAIT 1).
    'redis sentinel',
    async () => {
      const store = await RedisStore.open(parseRedisTarget(sentinels.url), {replicas: 1, waitTimeoutMs: 2000})
      await emptied(`redis://127.0.0.1:${await sentinels.masterPort()}`)
      return store
    },
  ],
]

describe.each(stores)('relay store: %s', (_kind, open) => {
  it('keeps channels, replaces them whole, refuses a second of one name, lists them by name', async () => {
    const store = await open()
    expect(await store.createChannel(channel('beta'))).toBe(true)
    expect(await store.createChannel(channel('alpha'))).toBe(true)
    expect(await store.createChannel(channel('beta'))).toBe(false)
    expect(await store.updateChannel({...channel('beta'), tokens: [{id: 'tok_1', sha256: 'f'.repeat(64), created_at: 2}]})).toBe(true)
    expect(await store.updateChannel(channel('gamma'))).toBe(false)
    expect((await store.getChannel('beta'))?.tokens.map((token) => token.id)).toEqual(['tok_1'])
    expect(await store.getChannel('gamma')).toBeUndefined()
    expect((await store.listChannels()).map((each) => each.name)).toEqual(['alpha', 'beta'])
    await store.close()
  })

  it('gives entries back byte for byte and in order after any cursor; 0 is the start, $ the end; counts what follows', async () => {
    const store = await open()
    await store.createChannel(channel('c'))
    expect(await store.latest('c')).toBe('0')
    const binary = Buffer.from([0, 255, 10, 13, 0x7b, 0x22])
    const cursors: string[] = []
    for (const text of ['one', 'two', 'three']) cursors.push(await store.append('c', entry(text)))
    cursors.push(await store.append('c', {receivedAt: 5, headers: {}, body: binary}))
    const reader = await store.reader()
    const all = await reader.read('c', '0', 100, 0)
    expect(all.map((each) => each.cursor)).toEqual(cursors)
    expect(all.map((each) => each.body.toString())).toEqual(['one', 'two', 'three', binary.toString()])
    expect(all[3].body.equals(binary)).toBe(true)
    expect(all[0].headers).toEqual({'x-signature': 'sig-one', 'content-type': 'application/json'})
    expect((await reader.read('c', cursors[1], 100, 0)).map((each) => each.body.toString())).toEqual(['three', binary.toString()])
    expect((await reader.read('c', cursors[0], 1, 0)).map((each) => each.body.toString())).toEqual(['two'])
    expect(await store.latest('c')).toBe(cursors[3])
    expect(await store.count('c', '0', 100)).toBe(4)
    expect(await store.count('c', cursors[1], 100)).toBe(2)
    expect(await store.count('c', '0', 3)).toBe(3)
    expect(await reader.read('c', cursors[3], 100, 0)).toEqual([])
    await reader.close()
    await store.close()
  })

  it('a blocking read wakes on an append, another reader keeps its own cursor, and closing a reader ends its read', async () => {
    const store = await open()
    await store.createChannel(channel('c'))
    const first = await store.reader()
    const second = await store.reader()
    const start = await store.latest('c')
    let settled = false
    const waiting = first.read('c', start, 10, 5000).finally(() => (settled = true))
    // Nothing to read: the read waits (still pending once everything queued before the append ran).
    await new Promise((resolve) => setImmediate(resolve))
    expect(settled).toBe(false)
    const cursor = await store.append('c', entry('late'))
    const woke = Date.now()
    const got = await waiting
    expect(Date.now() - woke).toBeLessThan(1000)
    expect(got.map((each) => each.cursor)).toEqual([cursor])
    expect((await second.read('c', '0', 10, 0)).map((each) => each.body.toString())).toEqual(['late'])
    const blocked = second.read('c', cursor, 10, 5000)
    const closedAt = Date.now()
    await second.close()
    expect(await blocked).toEqual([])
    expect(Date.now() - closedAt).toBeLessThan(1000)
    await first.close()
    await store.close()
  })

  it('trims entries received before a time, and a deleted channel takes its entries with it', async () => {
    const store = await open()
    await store.createChannel(channel('c'))
    await store.createChannel(channel('other'))
    // Redis numbers entries by its own clock: the cut lies strictly between the two appends' milliseconds.
    await store.append('c', entry('old', Date.now() - 60_000))
    const oldAt = Date.now()
    const cut = await until(() => Date.now() > oldAt && Date.now(), 'the next millisecond')
    await until(() => Date.now() > cut, 'the millisecond after the cut')
    const kept = await store.append('c', entry('new'))
    await store.append('other', entry('elsewhere'))
    expect(await store.trim('c', cut)).toBe(1)
    const reader = await store.reader()
    expect((await reader.read('c', '0', 10, 0)).map((each) => each.cursor)).toEqual([kept])
    expect(await store.deleteChannel('c')).toBe(true)
    expect(await store.deleteChannel('c')).toBe(false)
    expect(await reader.read('c', '0', 10, 0)).toEqual([])
    expect((await reader.read('other', '0', 10, 0)).map((each) => each.body.toString())).toEqual(['elsewhere'])
    await reader.close()
    await store.close()
  })

  it('numbers entries 1, 2, 3 … and counts those trimmed after a place, also when none is kept; a channel made again numbers from 1', async () => {
    const store = await open()
    await store.createChannel(channel('n'))
    for (const text of ['a', 'b', 'c', 'd', 'e']) await store.append('n', entry(text))
    const reader = await store.reader()
    expect((await reader.read('n', '0', 10, 0)).map((each) => each.seq)).toEqual([1, 2, 3, 4, 5])
    expect(await store.latestSeq('n')).toBe(5)
    expect(await store.missed('n', 2)).toBe(0)
    // All five trimmed: a client at 0 missed five, one at 2 missed three, one at 5 none.
    expect(await store.trim('n', Date.now() + 60_000)).toBe(5)
    expect(await store.missed('n', 0)).toBe(5)
    expect(await store.missed('n', 2)).toBe(3)
    expect(await store.missed('n', 5)).toBe(0)
    await store.append('n', entry('f'))
    expect(await store.missed('n', 2)).toBe(3)
    expect((await reader.read('n', '0', 10, 0)).map((each) => each.seq)).toEqual([6])
    expect(await store.deleteChannel('n')).toBe(true)
    await store.createChannel(channel('n'))
    await store.append('n', entry('again'))
    expect((await reader.read('n', '0', 10, 0)).map((each) => each.seq)).toEqual([1])
    await reader.close()
    await store.close()
  })
})

describe('embedded store on disk', () => {
  it('survives a reopen with every entry, skips a torn tail, and appends after it on a line of its own', async () => {
    const dir = tempDir('ummah-store-')
    let store = await EmbeddedStore.open(dir)
    await store.createChannel(channel('c'))
    for (const text of ['a', 'b']) await store.append('c', entry(text))
    await store.close()
    const segment = join(dir, 'entries', 'c', readdirSync(join(dir, 'entries', 'c'))[0])
    // A crash in the middle of a write: half a header line.
    appendFileSync(segment, '{"s":3,"t":1,"h":{},"n":40')
    store = await EmbeddedStore.open(dir)
    const cursor = await store.append('c', entry('c'))
    const reader = await store.reader()
    expect((await reader.read('c', '0', 10, 0)).map((each) => each.body.toString())).toEqual(['a', 'b', 'c'])
    expect(cursor).toBe('3')
    await reader.close()
    await store.close()
    store = await EmbeddedStore.open(dir)
    const again = await store.reader()
    expect((await again.read('c', '0', 10, 0)).map((each) => each.body.toString())).toEqual(['a', 'b', 'c'])
    await again.close()
    await store.close()
  })

  it('rolls segments past their size and deletes the ones wholly trimmed', async () => {
    const dir = tempDir('ummah-store-')
    const store = await EmbeddedStore.open(dir, {segmentBytes: 1000})
    await store.createChannel(channel('c'))
    const body = 'x'.repeat(400)
    for (let index = 0; index < 10; index++) await store.append('c', entry(`${index}${body}`, 1000 + index))
    const segments = () => readdirSync(join(dir, 'entries', 'c')).sort()
    expect(segments().length).toBeGreaterThanOrEqual(4)
    const before = segments().reduce((total, name) => total + statSync(join(dir, 'entries', 'c', name)).size, 0)
    expect(await store.trim('c', 1008)).toBe(8)
    const after = segments().reduce((total, name) => total + statSync(join(dir, 'entries', 'c', name)).size, 0)
    expect(after).toBeLessThan(before / 2)
    const reader = await store.reader()
    expect((await reader.read('c', '0', 10, 0)).map((each) => each.body.toString().slice(0, 1))).toEqual(['8', '9'])
    await reader.close()
    await store.close()
  })

  it('gives a reader at the tail the latest 256 entries (512 KiB at most) from memory, and older ones from the file', async () => {
    const dir = tempDir('ummah-store-')
    const store = await EmbeddedStore.open(dir)
    await store.createChannel(channel('c'))
    for (let index = 1; index <= 300; index++) await store.append('c', entry(`e${index}`))
    const segment = join(dir, 'entries', 'c', readdirSync(join(dir, 'entries', 'c'))[0])
    // The file's bytes replaced: what is read back from it no longer parses.
    writeFileSync(segment, Buffer.alloc(statSync(segment).size, 'x'))
    const reader = await store.reader()
    const latest = await reader.read('c', '44', 300, 0)
    expect(latest.map((each) => each.body.toString())).toEqual(Array.from({length: 256}, (_, index) => `e${index + 45}`))
    expect(latest[0]).toMatchObject({cursor: '45', seq: 45, headers: {'x-signature': 'sig-e45'}})
    await expect(reader.read('c', '43', 300, 0)).rejects.toThrow(/does not read back/)

    // Large bodies: only as many as fit in 512 KiB stay in memory.
    await store.createChannel(channel('big'))
    for (let index = 1; index <= 10; index++) await store.append('big', entry(`${index}`.padEnd(100 * 1024, '.')))
    const bigSegment = join(dir, 'entries', 'big', readdirSync(join(dir, 'entries', 'big'))[0])
    writeFileSync(bigSegment, Buffer.alloc(statSync(bigSegment).size, 'x'))
    expect((await reader.read('big', '5', 10, 0)).map((each) => each.body.toString().replace(/\.+$/, ''))).toEqual(['6', '7', '8', '9', '10'])
    await expect(reader.read('big', '4', 10, 0)).rejects.toThrow(/does not read back/)
    await reader.close()
    await store.close()
  })

  it('gives a tentative reader an entry while it is written, marked so, and tells its number once stored; a plain reader and `$` wait for it', async () => {
    const store = await EmbeddedStore.open(tempDir('ummah-store-'))
    await store.createChannel(channel('c'))
    const told: number[] = []
    const unwatch = store.watchDurable('c', (seq) => told.push(seq))
    expect(told).toEqual([0])
    const [early, plain] = [await store.reader(), await store.reader()]
    const earlyRead = early.read('c', '0', 10, 5000, true)
    let plainDone = false
    const plainRead = plain.read('c', '0', 10, 5000).finally(() => (plainDone = true))
    const appended = store.append('c', entry('a'))
    // Given before its write came back (that takes a trip to the thread pool): tentative, nothing durable yet.
    expect(await earlyRead).toMatchObject([{cursor: '1', seq: 1, tentative: true}])
    expect(plainDone).toBe(false)
    expect(told).toEqual([0])
    expect(await store.latest('c')).toBe('0')
    expect(await appended).toBe('1')
    expect(told).toEqual([0, 1])
    const stored = await plainRead
    expect(stored.map((each) => [each.seq, each.tentative])).toEqual([[1, undefined]])
    // Once stored, a tentative reader gets it as durable; one being written follows it, in order.
    const waiting = early.read('c', '1', 10, 5000, true)
    const next = store.append('c', entry('b'))
    expect((await waiting).map((each) => [each.seq, each.tentative])).toEqual([[2, true]])
    expect((await early.read('c', '0', 10, 0, true)).map((each) => [each.seq, each.tentative])).toEqual([
      [1, undefined],
      [2, true],
    ])
    expect((await plain.read('c', '0', 10, 0)).map((each) => each.seq)).toEqual([1])
    await next
    expect(told).toEqual([0, 1, 2])
    unwatch()
    await Promise.all([early.close(), plain.close()])
    await store.close()
  })

  it('never tells a number whose write failed, and gives it again after a restart (a full tmpfs)', async () => {
    const mount = tempDir('ummah-tmpfs-')
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', mount])
    try {
      let store = await EmbeddedStore.open(join(mount, 'relay'))
      await store.createChannel(channel('c'))
      await store.append('c', entry('a'))
      const told: number[] = []
      store.watchDurable('c', (seq) => told.push(seq))
      const filler = join(mount, 'filler')
      const {bavail, bsize} = statfsSync(mount)
      writeFileSync(filler, Buffer.alloc(bavail * bsize))
      const reader = await store.reader()
      const failing = store.append('c', entry('b'.repeat(8192)))
      expect((await reader.read('c', '1', 10, 5000, true)).map((each) => [each.seq, each.tentative])).toEqual([[2, true]])
      await expect(failing).rejects.toMatchObject({code: 'ENOSPC'})
      expect(told).toEqual([1])
      expect(await store.latest('c')).toBe('1')
      // Gone from what is read, tentative or not.
      expect(await reader.read('c', '1', 10, 0, true)).toEqual([])
      await reader.close()
      await store.close()
      rmSync(filler)
      store = await EmbeddedStore.open(join(mount, 'relay'))
      expect(await store.append('c', entry('c'))).toBe('2')
      await store.close()
    } finally {
      execFileSync('umount', ['-l', mount])
    }
  })

  it('refuses an entry for a channel it does not have', async () => {
    const dir = tempDir('ummah-store-')
    const store = await EmbeddedStore.open(dir)
    await store.createChannel(channel('c'))
    await expect(store.append('nope', entry('x'))).rejects.toThrow(/no channel/)
    await store.close()
  })
})

describe('redis store behind Sentinel', () => {
  it('refuses an entry fewer replicas confirm than asked for, saying how many did and in how long', async () => {
    const store = await RedisStore.open(parseRedisTarget(sentinels.url), {replicas: 2, waitTimeoutMs: 200})
    try {
      expect(await store.connectedReplicas()).toBe(1)
      expect(await store.createChannel(channel('waits'))).toBe(true)
      await expect(store.append('waits', entry('one'))).rejects.toThrow('1 of 2 Redis replicas confirmed the entry within 200 ms')
    } finally {
      await store.close()
    }
  })

  it('warns at start of fewer replicas in sync than must confirm, and of confirmation turned off', async () => {
    const target = parseRedisTarget(sentinels.url)
    const short = await openStore({dataDir: tempDir('ummah-store-'), redis: target, replicas: 2})
    expect(short.where).toBe(`redis sentinel ummah via ${sentinels.url.slice('redis+sentinel://'.length, sentinels.url.lastIndexOf('/'))}`)
    expect(short.warning).toBe('the Redis master has 1 replica(s) in sync and 2 must confirm each entry: ingress answers 503 until they do')
    await short.store.close()
    const off = await openStore({dataDir: tempDir('ummah-store-'), redis: target, replicas: 0})
    expect(off.warning).toBe('--redis-replicas 0: a failover can lose entries the old master had answered for but not yet replicated')
    await off.store.close()
    const asked = await openStore({dataDir: tempDir('ummah-store-'), redis: target, replicas: 1})
    expect(asked.warning).toBeUndefined()
    await asked.store.close()
  })
})
