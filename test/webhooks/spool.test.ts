/**
 * The spool's promise under faults, at the file layer: only whole durable
 * lines are acknowledged (short writes, failing writes), a failed write never
 * marks an id as seen, a damaged file loses only its damaged lines, and ids
 * are remembered for the de-duplication window across restarts.
 */
import {readFile, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import type {Attempt} from '../../src/webhooks/answers.js'
import {idDigest} from '../../src/webhooks/id-window.js'
import {type SpoolHealth, Spool} from '../../src/webhooks/spool.js'
import {hookedOpen} from '../helpers/append-handle.js'
import {tempDir} from '../helpers/cli.js'
import {until} from '../helpers/wait.js'

const body = (id: string) => Buffer.from(JSON.stringify({id, type: 'purchase.paid', pad: 'x'.repeat(3000)}))
const input = (id: string) => ({id, type: 'purchase.paid', headers: {'x-signature': `sig-${id}`}, body: body(id)})

/** Admits a new event and waits until it is durable (or throws why not). */
async function store(spool: Spool, id: string) {
  const admitted = await spool.admit(input(id))
  if (admitted.duplicate) throw new Error(`${id} was taken for a duplicate`)
  await admitted.durable
  return admitted.event
}

/** A real file handle whose writes a test can shorten or fail. */
function faultyFile(fault: {maxBytes?: number; failAfterBytes?: number; error?: string}) {
  let written = 0
  return hookedOpen({
    write(chunk) {
      if (fault.failAfterBytes !== undefined && written >= fault.failAfterBytes)
        throw Object.assign(new Error(`${fault.error ?? 'ENOSPC'}: no space left on device, write`), {code: fault.error ?? 'ENOSPC'})
      const take = Math.min(chunk.length, fault.maxBytes ?? chunk.length)
      return fault.failAfterBytes === undefined ? take : Math.min(take, Math.max(1, fault.failAfterBytes - written))
    },
    written: (bytes) => void (written += bytes),
  })
}

/** A spool holding one stored event ("stored-1") whose next 1,000 bytes of writes fit and then the disk is full; its health changes collected. */
async function nearlyFullSpool() {
  const file = join(tempDir('ummah-spool-'), 'p.spool')
  const fault: {failAfterBytes?: number} = {}
  const health: SpoolHealth[] = []
  const spool = await Spool.open(file, {openFile: faultyFile(fault), onHealth: (change) => health.push(change)})
  const stored = await store(spool, 'stored-1')
  const before = (await readFile(file)).length
  fault.failAfterBytes = before + 1000
  return {file, fault, health, spool, stored, before}
}

const linesOf = async (file: string) => (await readFile(file, 'utf8')).split('\n').filter(Boolean)

describe('spool writes', () => {
  it('a short write is finished, not torn: every acknowledged line is whole', async () => {
    const file = join(tempDir('ummah-spool-'), 'p.spool')
    // 5,536 bytes per write: what a nearly full tmpfs gave for a 30,000-byte batch.
    const spool = await Spool.open(file, {openFile: faultyFile({maxBytes: 5536})})
    await Promise.all(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'].map((id) => store(spool, id)))
    await spool.close()
    const lines = await linesOf(file)
    expect(lines.map((line) => JSON.parse(line).id)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'])
    const reopened = await Spool.open(file)
    expect(reopened.damaged).toBe(0)
    expect(reopened.pending().map((event) => event.body.equals(body(event.id)))).toEqual(Array(10).fill(true))
    await reopened.close()
  })

  it('a write that fails part way: not acknowledged, not seen, cut back; the retry is stored; health is reported once each way', async () => {
    // The next write gets 1,000 bytes in, then the disk is full.
    const {file, fault, health, spool, before} = await nearlyFullSpool()
    const failures = await Promise.allSettled(['lost-1', 'lost-2', 'lost-3'].map((id) => store(spool, id)))
    expect(failures.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected'])
    expect((failures[0] as PromiseRejectedResult).reason.code).toBe('ENOSPC')
    for (const id of ['lost-1', 'lost-2', 'lost-3']) expect(spool.seen(id)).toBe(false)
    expect(spool.pending().map((event) => event.id)).toEqual(['stored-1'])
    // The torn part is gone: the file is the whole lines it had.
    expect((await readFile(file)).length).toBe(before)
    await expect(store(spool, 'lost-4')).rejects.toMatchObject({code: 'ENOSPC'})
    expect(health).toEqual([{ok: false, code: 'ENOSPC', message: 'ENOSPC: no space left on device, write'}])

    // Space again: the gateway's retries are stored as new events, not answered "duplicate".
    fault.failAfterBytes = undefined
    await store(spool, 'lost-1')
    await store(spool, 'lost-2')
    expect(health.at(-1)).toEqual({ok: true})
    expect(health).toHaveLength(2)
    await spool.close()
    const reopened = await Spool.open(file)
    expect(reopened.damaged).toBe(0)
    expect(reopened.pending().map((event) => event.id)).toEqual(['stored-1', 'lost-1', 'lost-2'])
    await reopened.close()
  })

  it('on a full disk, a small record that still fits is no all-clear: "ok" waits for a write as large as one that failed', async () => {
    // Room for an attempt record (~100 bytes), not for an event (~4 kB).
    const {file, fault, health, spool, stored} = await nearlyFullSpool()
    await expect(store(spool, 'lost-1')).rejects.toMatchObject({code: 'ENOSPC'})
    // That write took the 1,000 bytes before failing (and was cut back): room again for a record, not for an event.
    fault.failAfterBytes! += 1000
    await spool.recordAttempt(stored, {n: 1, at: Date.now(), durationMs: 2, status: 503})
    await expect(store(spool, 'lost-2')).rejects.toMatchObject({code: 'ENOSPC'})
    expect(health).toEqual([{ok: false, code: 'ENOSPC', message: 'ENOSPC: no space left on device, write'}])
    fault.failAfterBytes = undefined
    await store(spool, 'lost-1')
    expect(health.map((change) => change.ok)).toEqual([false, true])
    await spool.close()
    const reopened = await Spool.open(file)
    // The record written while the disk was full is on disk with its event.
    expect(reopened.pending().map((event) => [event.id, event.answers.map((attempt) => attempt.status)])).toEqual([
      ['stored-1', [503]],
      ['lost-1', []],
    ])
    await reopened.close()
  })

  it('after events that failed together, one event written is the all-clear', async () => {
    const {fault, health, spool} = await nearlyFullSpool()
    // Admitted in one turn: one batch, one write of three events, refused.
    const failed = await Promise.allSettled(['lost-1', 'lost-2', 'lost-3'].map((id) => store(spool, id)))
    expect(failed.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected'])
    expect(health.map((change) => change.ok)).toEqual([false])
    fault.failAfterBytes = undefined
    await store(spool, 'lost-1')
    expect(health.map((change) => change.ok)).toEqual([false, true])
    await spool.close()
  })

  it('a retry that arrives while the first copy is being written waits for it: stored → duplicate, failed → stored anew', async () => {
    const file = join(tempDir('ummah-spool-'), 'p.spool')
    const fault: {failAfterBytes?: number} = {}
    const spool = await Spool.open(file, {openFile: faultyFile(fault)})
    const first = await spool.admit(input('evt-1'))
    const retry = await spool.admit(input('evt-1'))
    expect(first.duplicate).toBe(false)
    expect(retry.duplicate).toBe(true)

    fault.failAfterBytes = 0
    const failing = await spool.admit(input('evt-2'))
    const retryDuringFailure = spool.admit(input('evt-2'))
    if (failing.duplicate) throw new Error('evt-2 is new')
    await expect(failing.durable).rejects.toMatchObject({code: 'ENOSPC'})
    fault.failAfterBytes = undefined
    const second = await retryDuringFailure
    expect(second.duplicate).toBe(false)
    if (!second.duplicate) await second.durable
    expect(spool.pending().map((event) => event.id)).toEqual(['evt-1', 'evt-2'])
    await spool.close()
  })
})

describe('group commit', () => {
  /** A spool file whose writes and fdatasyncs are counted. */
  const countingFile = (writes: string[], syncs: {count: number}) =>
    hookedOpen({write: (chunk) => void writes.push(chunk.toString()), datasync: () => void syncs.count++})
  const kinds = (write: string) =>
    write
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line).k)

  it("a delivery line waits to share the next arrival's write and fdatasync, however soon after its event's line it is made", async () => {
    const file = join(tempDir('ummah-spool-'), 'p.spool')
    const writes: string[] = []
    const syncs = {count: 0}
    // A wait no few turns can outlast, so the test does not race the clock.
    const spool = await Spool.open(file, {openFile: countingFile(writes, syncs), lazyMs: 60_000})
    // Opening syncs once (the compaction of an empty file): counted from here.
    const syncsAtOpen = syncs.count
    // The forwarder makes a delivery line some promise steps after its event's line settled; each step count is tried.
    for (let steps = 0; steps < 12; steps++) {
      const admitted = await spool.admit(input(`evt-${steps}`))
      if (admitted.duplicate) throw new Error('taken for a duplicate')
      const {event, durable} = admitted
      await durable.then(async () => {
        for (let step = 0; step < steps; step++) await null
        event.attempts = 1
        void spool.markDelivered(event, 200, undefined, {lazy: true})
      })
      for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve))
    }
    await store(spool, 'last')
    // Each delivery line went out with the next event's line: 13 writes and fdatasyncs for 13 events and 12 delivery lines,
    // where a delivery line written as soon as it was made was one of each more (it was, 0.7–1.3 ms after its event, at 200 events/s).
    expect(writes.map(kinds)).toEqual([['e'], ...Array.from({length: 12}, () => ['d', 'e'])])
    expect(syncs.count - syncsAtOpen).toBe(13)
    await spool.close()
  })

  it('an arrival that ends the wait is written at the end of its turn, with what else the turn appended, not at once', async () => {
    const file = join(tempDir('ummah-spool-'), 'p.spool')
    const writes: string[] = []
    const syncs = {count: 0}
    const spool = await Spool.open(file, {openFile: countingFile(writes, syncs), lazyMs: 60_000})
    const first = await store(spool, 'first')
    first.attempts = 1
    void spool.markDelivered(first, 200, undefined, {lazy: true})
    for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve))
    const written = writes.length
    // Two arrivals in one turn, the second some promise steps after the first (as a forward starts between them).
    const one = await spool.admit(input('one'))
    for (let step = 0; step < 5; step++) await null
    const two = await spool.admit(input('two'))
    if (one.duplicate || two.duplicate) throw new Error('taken for a duplicate')
    // Nothing written yet in this turn: woken at once, the first arrival's write began before the second was made.
    expect(writes.length).toBe(written)
    await Promise.all([one.durable, two.durable])
    expect(writes.slice(written).map(kinds)).toEqual([['d', 'e', 'e']])
    await spool.close()
  })

  it('close() writes a waiting delivery line at once', async () => {
    const file = join(tempDir('ummah-spool-'), 'p.spool')
    const spool = await Spool.open(file, {lazyMs: 60_000})
    const event = await store(spool, 'only')
    event.attempts = 1
    const closing = Date.now()
    void spool.markDelivered(event, 200, undefined, {lazy: true})
    await spool.close()
    expect(Date.now() - closing).toBeLessThan(30_000)
    const reopened = await Spool.open(file)
    expect(reopened.all().map((stored) => [stored.id, stored.status])).toEqual([['only', 'delivered']])
    await reopened.close()
  })
})

describe('spool load', () => {
  it('skips and counts damaged lines, keeps every valid event, and numbers new ones after them', async () => {
    const file = join(tempDir('ummah-spool-'), 'p.spool')
    const event = (seq: unknown, id: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({k: 'e', seq, id, type: 'purchase.paid', at: Date.now(), h: {}, b: body(id).toString('base64'), ...extra})
    const lines = [
      event(1, 'good-1'),
      'null',
      JSON.stringify({k: 'e', seq: 2, id: 'no-body', type: 'purchase.paid', at: Date.now(), h: {}}),
      event('3', 'string-seq'),
      'garbage {',
      event(4, 'good-4'),
      JSON.stringify({k: 'd', seq: 'x', n: 1, c: 200}),
      event(4, 'same-seq-again'),
      event(5, 'bad-base64', {b: '***'}),
      event(6, 'good-6'),
      '{"k":"e","seq":7,"id":"torn',
    ]
    await writeFile(file, lines.join('\n'))
    const spool = await Spool.open(file)
    expect(spool.damaged).toBe(8)
    expect(spool.pending().map((item) => item.id)).toEqual(['good-1', 'good-4', 'good-6'])
    const next = await store(spool, 'new-1')
    expect(next.seq).toBe(7)
    await spool.close()
    // Rewritten without them: reported once.
    const again = await Spool.open(file)
    expect(again.damaged).toBe(0)
    expect(again.pending().map((item) => [item.id, item.seq])).toEqual([
      ['good-1', 1],
      ['good-4', 4],
      ['good-6', 6],
      ['new-1', 7],
    ])
    await again.close()
  })
})

describe('compaction', () => {
  it('goes on beside the appends: events stored while its copy waits for fsync are durable at once, and in the rewritten file', async () => {
    const file = join(tempDir('ummah-spool-'), 'p.spool')
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    let copySyncs = 0
    let holding = false
    // Once open, the copy's fsync waits until the test says; the spool's own writes go through untouched.
    const openFile = hookedOpen({
      async datasync(path) {
        if (holding && path.endsWith('.compact') && copySyncs++ === 0) await held
      },
    })
    const spool = await Spool.open(file, {keepDone: 5, compactBytes: 40_000, openFile})
    holding = true
    for (let index = 0; index < 20; index++) {
      const event = await store(spool, `evt-before-${index}`)
      event.attempts = 1
      await spool.markDelivered(event, 200)
    }
    // Past 40 kB: a compaction started, and its copy's fsync is held.
    await until(() => copySyncs === 1, 'the compaction to reach its fsync')
    for (let index = 0; index < 10; index++) await store(spool, `evt-during-${index}`)
    const grown = (await stat(file)).size
    release()
    await until(async () => (await stat(file)).size < grown, 'the file switched to the compacted copy')
    await spool.close()

    const reopened = await Spool.open(file)
    expect(reopened.pending().map((event) => event.id)).toEqual(Array.from({length: 10}, (_, index) => `evt-during-${index}`))
    // The 15 delivered events let go of are remembered by digest; the last 5 kept whole.
    for (let index = 0; index < 20; index++) expect(reopened.seen(`evt-before-${index}`)).toBe(true)
    expect(reopened.all().filter((event) => event.status === 'delivered')).toHaveLength(5)
    await reopened.close()
  })
})

describe('compaction of a large window', () => {
  it('writes its copy a slice at a time, the event loop turning between slices, and keeps every id', async () => {
    const file = join(tempDir('ummah-spool-'), 'p.spool')
    const now = Date.now()
    const digests = Array.from({length: 20_000}, (_, index) => idDigest(`evt-window-${index}`))
    const lines = []
    for (let index = 0; index < digests.length; index += 1000)
      lines.push(
        JSON.stringify({k: 'i', d: digests.slice(index, index + 1000).map((digest, offset) => [digest, now - 1000 + (index + offset) / 100])}),
      )
    await writeFile(file, `${lines.join('\n')}\n`)
    let turns = 0
    let ticking = true
    const tick = () => {
      turns++
      if (ticking) setImmediate(tick)
    }
    const copyWrites: number[] = []
    const openFile = hookedOpen({
      write(_chunk, path) {
        if (path.endsWith('.compact')) copyWrites.push(turns)
      },
    })
    const spool = await Spool.open(file, {openFile})
    copyWrites.length = 0
    setImmediate(tick)
    // close() compacts: 20,000 ids are twenty slices of one line (1,000 ids, ~1 ms to make), and the loop turns while each is written.
    await spool.close()
    ticking = false
    expect(copyWrites.length).toBeGreaterThanOrEqual(20)
    for (let index = 1; index < copyWrites.length; index++)
      expect(copyWrites[index], `turns before write ${index}`).toBeGreaterThan(copyWrites[index - 1])
    const reopened = await Spool.open(file, {now: () => now})
    for (const index of [0, 3999, 4000, 12_345, 19_999]) expect(reopened.seen(`evt-window-${index}`), String(index)).toBe(true)
    expect(reopened.seen('evt-window-20000')).toBe(false)
    await reopened.close()
  })
})

describe('de-duplication window', () => {
  it('an event replayed after 300 newer ones and a restart is a duplicate; after the window it is not', async () => {
    const file = join(tempDir('ummah-spool-'), 'p.spool')
    let now = Date.now()
    const spool = await Spool.open(file, {keepDone: 200, now: () => now})
    const first = await store(spool, 'evt-replayed')
    first.attempts = 1
    await spool.markDelivered(first, 200)
    for (let index = 0; index < 300; index++) {
      const event = await store(spool, `evt-${index}`)
      event.attempts = 1
      await spool.markDelivered(event, 200)
    }
    await spool.close()
    // Its body was compacted away (only 200 finished events are kept); its id was not.
    const reopened = await Spool.open(file, {keepDone: 200, now: () => now})
    expect(reopened.find('evt-replayed')).toBeUndefined()
    expect((await reopened.admit(input('evt-replayed'))).duplicate).toBe(true)
    await reopened.close()

    // The window is written as digests: the 101 ids let go of are not in the file, only theirs.
    const text = await readFile(file, 'utf8')
    expect(text).not.toContain('"evt-replayed"')
    expect(text).toContain(`"${idDigest('evt-replayed')}"`)

    now += 3 * 24 * 3600 * 1000 + 1000
    const later = await Spool.open(file, {keepDone: 200, now: () => now})
    expect((await later.admit(input('evt-replayed'))).duplicate).toBe(false)
    await later.close()
  })

  it("reads an older spool's window of ids, and writes it back as digests", async () => {
    const file = join(tempDir('ummah-spool-'), 'p.spool')
    const now = Date.now()
    await writeFile(
      file,
      `${JSON.stringify({
        k: 'i',
        ids: [
          ['evt-old-1', now - 1000],
          ['evt-old-2', now - 500],
          ['evt-expired', now - 4 * 24 * 3600 * 1000],
        ],
      })}\n`,
    )
    const spool = await Spool.open(file, {now: () => now})
    expect(spool.seen('evt-old-1')).toBe(true)
    expect((await spool.admit(input('evt-old-2'))).duplicate).toBe(true)
    expect(spool.seen('evt-expired')).toBe(false)
    await spool.close()
    const lines = await linesOf(file)
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      {
        k: 'i',
        d: [
          [idDigest('evt-old-1'), now - 1000],
          [idDigest('evt-old-2'), now - 500],
        ],
      },
    ])
    const reopened = await Spool.open(file, {now: () => now})
    expect(reopened.seen('evt-old-1')).toBe(true)
    await reopened.close()
  })
})

describe("the app's answers", () => {
  const answer = (n: number, status: number, bytes: number, extra: Partial<Attempt> = {}): Attempt => ({
    n,
    at: 1_700_000_000_000 + n,
    durationMs: 3,
    status,
    headers: {'content-type': 'text/plain', 'x-n': String(n)},
    body: Buffer.alloc(bytes, 0x61 + (n % 26)),
    ...extra,
  })

  it('each attempt is kept with its event through retries, the outcome, compaction and a restart; a damaged answer line is skipped', async () => {
    const file = join(tempDir('ummah-spool-'), 'p.spool')
    const spool = await Spool.open(file)
    const event = await store(spool, 'evt-answered')
    event.attempts = 1
    await spool.recordAttempt(event, answer(1, 500, 10, {retryInMs: 250, body: Buffer.from('{"error":"db down"}')}))
    event.attempts = 2
    await spool.markDelivered(event, 200, answer(2, 200, 2))
    await spool.close()
    await writeFile(file, `${await readFile(file, 'utf8')}{"k":"a","seq":1,"a":{"n":3,"at":1,"ms":-4}}\n`)
    const reopened = await Spool.open(file)
    expect(reopened.damaged).toBe(1)
    const kept = reopened.find('evt-answered')!
    expect(kept.answers.map((a) => [a.n, a.status, a.retryInMs, a.body?.toString()])).toEqual([
      [1, 500, 250, '{"error":"db down"}'],
      [2, 200, undefined, 'cc'],
    ])
    expect(kept.answers[0].headers).toEqual({'content-type': 'text/plain', 'x-n': '1'})
    // Compaction folded them into the event's own line.
    expect((await linesOf(file)).map((line) => (JSON.parse(line) as {k: string}).k)).toEqual(['e'])
    await reopened.close()
  })

  it('keeps the last 20 attempts of an event, and drops the oldest bodies once 16 MiB of answers are held', async () => {
    const file = join(tempDir('ummah-spool-'), 'p.spool')
    const spool = await Spool.open(file, {compact: false})
    const looping = await store(spool, 'evt-looping')
    for (let n = 1; n <= 25; n++) await spool.recordAttempt(looping, answer(n, 503, 100))
    expect(looping.answers.map((a) => a.n)).toEqual(Array.from({length: 20}, (_, index) => index + 6))
    // 300 events answered 64 KiB each: 18.75 MiB, over the 16 MiB budget.
    const events = []
    for (let index = 0; index < 300; index++) {
      const event = await store(spool, `evt-big-${index}`)
      await spool.recordAttempt(event, answer(1, 500, 64 * 1024))
      events.push(event)
    }
    const held = events.filter((event) => event.answers[0].body).length
    expect(held).toBe(256)
    expect(events[0].answers[0]).toMatchObject({dropped: true, bodyBytes: 64 * 1024, status: 500, body: undefined})
    expect(events[299].answers[0].body?.length).toBe(64 * 1024)
    await spool.close()
  })
})
