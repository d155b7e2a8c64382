/**
 * The relay's default store: files under --data-dir, no other server.
 *
 *   channels.json                 every channel's record (rewritten whole: temp file, fsync, rename)
 *   entries/NAME/00000001.log     the channel's entries, in segments of up to 64 MiB
 *
 * An entry is one header line and the body's exact bytes:
 *   {"s":SEQ,"t":RECEIVED_MS,"h":{HEADERS},"n":BODY_LENGTH,"c":CRC32}\n BODY \n
 * appended through AppendFile (write in full, durable: an O_DSYNC write, or
 * a write and fdatasync; group commit; a failed write is cut back), so
 * append() resolves only for an entry on disk.
 * An entry is readable as soon as it is appended by a reader that asks for
 * it (a stream whose client understands `tentative`, protocol.ts), marked
 * tentative until its write settles: the stream sends it while it is being
 * written (its O_DSYNC write was 0.66 ms at p50 and 3.96 at p99 of the
 * relay's 1.89 / 7.87 ms path at 200 events/s), and says when its number is
 * durable (watchDurable), which is when the client's place may move past it.
 * On open every record is checked (length, trailing newline, CRC-32); a torn
 * or damaged one is skipped and the scan resumes at the next line that reads
 * as a record. Memory holds only an index (five numbers per entry, in typed
 * arrays: ~40 bytes); bodies are read back from the file when streamed.
 * Trimming drops entries from the index and deletes segments wholly older
 * than the retention.
 */
import {mkdir, open, readFile, readdir, rename, rm, type FileHandle} from 'node:fs/promises'
import {join} from 'node:path'
import {crc32} from 'node:zlib'

import {AppendFile, SYNCED_WRITES, type Settled, openAppend} from '../shared/append-file.js'
import type {ChannelRecord, EntryInput, RelayStore, StoreReader, StoredEntry} from './store.js'

export interface EmbeddedStoreOptions {
  /** A segment is closed and a new one begun past this size (bytes). */
  segmentBytes?: number
}

const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024
const NEWLINE = 0x0a
/**
 * The latest entries of a channel kept in memory as appended, at most this
 * many and this many bytes of bodies: a stream at the tail (each live one) is
 * given them without reading the file back, a read through the thread pool
 * on the way of every event.
 */
const TAIL_ENTRIES = 256
const TAIL_BYTES = 512 * 1024

interface RecordHeader {
  s: number
  t: number
  h: Record<string, string>
  n: number
  c: number
}

function validHeader(value: unknown): value is RecordHeader {
  if (typeof value !== 'object' || value === null) return false
  const header = value as Record<string, unknown>
  const headers = header.h
  return (
    Number.isSafeInteger(header.s) &&
    (header.s as number) > 0 &&
    Number.isFinite(header.t) &&
    Number.isSafeInteger(header.n) &&
    (header.n as number) >= 0 &&
    Number.isSafeInteger(header.c) &&
    typeof headers === 'object' &&
    headers !== null &&
    !Array.isArray(headers) &&
    Object.values(headers).every((v) => typeof v === 'string')
  )
}

/** The record starting at `start` of `data`, or undefined when none whole and intact is there. */
function parseRecord(data: Buffer, start: number): {header: RecordHeader; body: Buffer; end: number} | undefined {
  const lineEnd = data.indexOf(NEWLINE, start)
  if (lineEnd < 0) return undefined
  let header: unknown
  try {
    header = JSON.parse(data.toString('utf8', start, lineEnd))
  } catch {
    return undefined
  }
  if (!validHeader(header)) return undefined
  const bodyStart = lineEnd + 1
  const end = bodyStart + header.n + 1
  if (end > data.length || data[end - 1] !== NEWLINE) return undefined
  const body = data.subarray(bodyStart, bodyStart + header.n)
  return crc32(body) === header.c ? {header, body, end} : undefined
}

const segmentName = (segment: number) => `${String(segment).padStart(8, '0')}.log`

/** One channel's segments and the index of its live entries. */
class ChannelLog {
  private seqs = new Float64Array(1024)
  private times = new Float64Array(1024)
  private offsets = new Float64Array(1024)
  private lengths = new Float64Array(1024)
  private segs = new Uint32Array(1024)
  private first = 0
  private length = 0
  private nextSeq = 1
  private current = 1
  private appender?: AppendFile
  private readonly readers = new Map<number, Promise<FileHandle>>()
  /** The latest entries appended, by seq, oldest first (TAIL_ENTRIES, TAIL_BYTES). */
  private readonly tail = new Map<number, StoredEntry>()
  private tailBytes = 0
  /** Entries appended and not yet settled, by seq, oldest first (appends settle in order). */
  private readonly pending = new Map<number, StoredEntry>()
  /** Readers waiting for the next entry stored, and for the next one appended (tentative readers). */
  private readonly waiters = new Set<() => void>()
  private readonly eagerWaiters = new Set<() => void>()
  private readonly durableWatchers = new Set<(seq: number) => void>()
  /** The newest entry stored with every one before it settled (0: none); what watchers were last told. */
  private durable = 0
  private announced = 0
  /** Entries appended and stored since open: a reader that found nothing waits only if none came since it looked. */
  appended = 0
  stored = 0
  damaged = 0

  constructor(
    private readonly dir: string,
    private readonly segmentBytes: number,
  ) {}

  async open(): Promise<void> {
    await mkdir(this.dir, {recursive: true, mode: 0o700})
    const segments = (await readdir(this.dir))
      .filter((name) => /^\d{8}\.log$/.test(name))
      .map((name) => Number(name.slice(0, 8)))
      .sort((a, b) => a - b)
    let size = 0
    for (const segment of segments) {
      const data = await readFile(join(this.dir, segmentName(segment)))
      let position = 0
      let whole = 0
      while (position < data.length) {
        const record = parseRecord(data, position)
        if (!record || record.header.s < this.nextSeq) {
          // A torn or damaged record: resume at the next line.
          if (record || data[position] !== NEWLINE) this.damaged++
          const next = data.indexOf(NEWLINE, position)
          position = next < 0 ? data.length : next + 1
          continue
        }
        this.push(record.header.s, record.header.t, segment, position, record.end - position)
        this.nextSeq = record.header.s + 1
        position = record.end
        whole = position
      }
      this.current = segment
      size = whole
    }
    this.durable = this.announced = this.nextSeq - 1
    const file = join(this.dir, segmentName(this.current))
    const handle = await openAppend(file, {read: true})
    // A torn tail is cut off, so the next record starts on a line of its own.
    if ((await handle.stat()).size > size) await handle.truncate(size)
    this.appender = new AppendFile(file, handle, size, {
      syncedWrites: SYNCED_WRITES,
      afterBatch: () => {
        // Once a batch, not once an entry: under load a batch holds tens of entries, and each stream then sends one notice.
        if (this.durable !== this.announced) {
          this.announced = this.durable
          for (const watcher of this.durableWatchers) watcher(this.durable)
        }
        return this.rollIfFull()
      },
    })
  }

  private push(seq: number, time: number, segment: number, offset: number, length: number): void {
    if (this.length === this.seqs.length) this.grow()
    this.seqs[this.length] = seq
    this.times[this.length] = time
    this.segs[this.length] = segment
    this.offsets[this.length] = offset
    this.lengths[this.length] = length
    this.length++
  }

  /** Doubles the arrays, or, when most of them is trimmed entries, moves the live ones to the front. */
  private grow(): void {
    const live = this.length - this.first
    const capacity = live * 2 > this.seqs.length ? this.seqs.length * 2 : this.seqs.length
    const move = <T extends Float64Array | Uint32Array>(array: T, make: (n: number) => T): T => {
      const next = capacity === array.length ? array : make(capacity)
      next.set(array.subarray(this.first, this.length))
      return next
    }
    this.seqs = move(this.seqs, (n) => new Float64Array(n))
    this.times = move(this.times, (n) => new Float64Array(n))
    this.offsets = move(this.offsets, (n) => new Float64Array(n))
    this.lengths = move(this.lengths, (n) => new Float64Array(n))
    this.segs = move(this.segs, (n) => new Uint32Array(n))
    this.length = live
    this.first = 0
  }

  append(entry: EntryInput): Promise<string> {
    const seq = this.nextSeq++
    const header = JSON.stringify({s: seq, t: entry.receivedAt, h: entry.headers, n: entry.body.length, c: crc32(entry.body)})
    const data = Buffer.concat([Buffer.from(`${header}\n`), entry.body, Buffer.from('\n')])
    const cursor = String(seq)
    // A copy: the body may be a view of a larger buffer (the request's read), which would be kept whole.
    const body = Buffer.from(entry.body)
    this.pending.set(seq, {cursor, seq, receivedAt: entry.receivedAt, headers: entry.headers, body, tentative: true})
    this.appended++
    for (const wake of this.eagerWaiters) wake()
    const settled: Settled = (error, offset) => {
      this.pending.delete(seq)
      if (error) return
      // The segment written now: a roll happens between batches, after appends made before it were queued.
      this.push(seq, entry.receivedAt, this.current, offset, data.length)
      this.remember(seq, {cursor, seq, receivedAt: entry.receivedAt, headers: entry.headers, body})
      this.stored++
      this.durable = seq
      for (const wake of this.waiters) wake()
    }
    return this.appender!.append(data, {settled}).then(() => cursor)
  }

  /** Calls `watcher` with the newest durable entry's number now and after each write that changes it. */
  watchDurable(watcher: (seq: number) => void): () => void {
    this.durableWatchers.add(watcher)
    watcher(this.announced)
    return () => this.durableWatchers.delete(watcher)
  }

  private remember(seq: number, entry: StoredEntry): void {
    this.tail.set(seq, entry)
    this.tailBytes += entry.body.length
    for (const [kept, oldest] of this.tail) {
      if (this.tail.size <= TAIL_ENTRIES && this.tailBytes <= TAIL_BYTES) break
      this.tail.delete(kept)
      this.tailBytes -= oldest.body.length
    }
  }

  private async rollIfFull(): Promise<void> {
    if (this.appender!.size < this.segmentBytes) return
    const next = this.current + 1
    const handle = await openAppend(join(this.dir, segmentName(next)), {read: true})
    await syncDir(this.dir)
    await this.appender!.replace(handle, 0)
    this.current = next
  }

  /** Index of the first live entry with seq > after. */
  private indexAfter(after: number): number {
    let low = this.first
    let high = this.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if (this.seqs[middle] <= after) low = middle + 1
      else high = middle
    }
    return low
  }

  /** The newest entry stored: where `$` stands. Not one still being written, whose number a crash may give again. */
  latest(): string {
    return String(this.durable)
  }

  /** Entries numbered after `afterSeq` and before the first one kept (or being written): trimmed unread. */
  missed(afterSeq: number): number {
    const firstKept = this.first < this.length ? this.seqs[this.first] : (this.pending.keys().next().value ?? this.nextSeq)
    return Math.max(0, firstKept - afterSeq - 1)
  }

  count(after: string, cap: number): number {
    return Math.min(cap, this.length - this.indexAfter(resolve(after, this)))
  }

  /** `tentative`: entries being written follow the stored ones, when all of these came from memory (see pending). */
  async read(after: string, count: number, tentative = false): Promise<StoredEntry[]> {
    const afterSeq = resolve(after, this)
    const from = this.indexAfter(afterSeq)
    const to = Math.min(this.length, from + count)
    const entries: StoredEntry[] = []
    // At the tail: every entry asked for is still in memory.
    for (let index = from; index < to && this.tail.has(this.seqs[index]); index++) entries.push(this.tail.get(this.seqs[index])!)
    if (entries.length === to - from) {
      // In the same turn as the index was read: an entry cannot have moved from pending to the index in between (after
      // a file read it could have, and been in neither list; the next read finds it).
      if (tentative) for (const [seq, entry] of this.pending) if (entries.length < count && seq > afterSeq) entries.push(entry)
      return entries
    }
    entries.length = 0
    let index = from
    while (index < to) {
      // One read per run of entries in the same segment.
      const segment = this.segs[index]
      let last = index
      while (last + 1 < to && this.segs[last + 1] === segment) last++
      const start = this.offsets[index]
      const data = Buffer.allocUnsafe(this.offsets[last] + this.lengths[last] - start)
      const handle = await this.readHandle(segment)
      await handle.read(data, 0, data.length, start)
      for (let at = index; at <= last; at++) {
        const record = parseRecord(data, this.offsets[at] - start)
        if (!record) throw Object.assign(new Error(`entry ${this.seqs[at]} of ${this.dir} does not read back`), {code: 'EIO'})
        entries.push({
          cursor: String(record.header.s),
          seq: record.header.s,
          receivedAt: record.header.t,
          headers: record.header.h,
          body: Buffer.from(record.body),
        })
      }
      index = last + 1
    }
    return entries
  }

  private readHandle(segment: number): Promise<FileHandle> {
    let handle = this.readers.get(segment)
    if (!handle) {
      handle = open(join(this.dir, segmentName(segment)), 'r')
      this.readers.set(segment, handle)
    }
    return handle
  }

  /**
   * Resolves on the next append after the `seen` count of them (at once if it
   * already came), after `ms`, or when `interrupt` is called (its reader closed).
   */
  wait(ms: number, seen: number, tentative: boolean, onInterrupt: (interrupt: () => void) => void): Promise<void> {
    if (this.version(tentative) !== seen) return Promise.resolve()
    const waiters = tentative ? this.eagerWaiters : this.waiters
    return new Promise((done) => {
      const wake = () => {
        clearTimeout(timer)
        waiters.delete(wake)
        done()
      }
      const timer = setTimeout(wake, ms)
      waiters.add(wake)
      onInterrupt(wake)
    })
  }

  /** What changes when a reader has something new to read: entries appended (tentative readers) or stored. */
  version(tentative: boolean): number {
    return tentative ? this.appended : this.stored
  }

  async trim(before: number): Promise<number> {
    const start = this.first
    while (this.first < this.length && this.times[this.first] < before) this.first++
    const trimmed = this.first - start
    // Segments before the first live entry's (never the one being written) hold only trimmed entries.
    const keepFrom = this.first < this.length ? this.segs[this.first] : this.current
    for (const name of await readdir(this.dir)) {
      const segment = Number(name.slice(0, 8))
      if (!/^\d{8}\.log$/.test(name) || segment >= keepFrom || segment === this.current) continue
      const reader = this.readers.get(segment)
      this.readers.delete(segment)
      if (reader) await (await reader).close().catch(() => {})
      await rm(join(this.dir, name), {force: true})
    }
    return trimmed
  }

  async close(): Promise<void> {
    for (const wake of [...this.waiters, ...this.eagerWaiters]) wake()
    this.durableWatchers.clear()
    await this.appender?.close()
    for (const reader of this.readers.values()) await (await reader).close().catch(() => {})
    this.readers.clear()
  }
}

function resolve(cursor: string, log: ChannelLog): number {
  if (cursor === '$') return Number(log.latest())
  const seq = Number(cursor.split('-')[0])
  return Number.isFinite(seq) ? seq : 0
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

export class EmbeddedStore implements RelayStore {
  readonly kind = 'embedded'
  private readonly channels = new Map<string, ChannelRecord>()
  private readonly logs = new Map<string, ChannelLog>()
  /** channels.json writes, one at a time. */
  private saving: Promise<void> = Promise.resolve()
  private closed = false

  private constructor(
    private readonly dir: string,
    private readonly options: EmbeddedStoreOptions,
  ) {}

  static async open(dir: string, options: EmbeddedStoreOptions = {}): Promise<EmbeddedStore> {
    const store = new EmbeddedStore(dir, options)
    await mkdir(join(dir, 'entries'), {recursive: true, mode: 0o700})
    const text = await readFile(join(dir, 'channels.json'), 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '{"channels":[]}'
      throw error
    })
    const parsed = JSON.parse(text) as {channels?: ChannelRecord[]}
    for (const channel of parsed.channels ?? []) {
      store.channels.set(channel.name, channel)
      await store.log(channel.name)
    }
    return store
  }

  /** Lines skipped on open because they were damaged, over all channels. */
  get damaged(): number {
    let total = 0
    for (const log of this.logs.values()) total += log.damaged
    return total
  }

  private async log(name: string): Promise<ChannelLog> {
    let log = this.logs.get(name)
    if (!log) {
      log = new ChannelLog(join(this.dir, 'entries', name), this.options.segmentBytes ?? DEFAULT_SEGMENT_BYTES)
      await log.open()
      this.logs.set(name, log)
    }
    return log
  }

  private save(): Promise<void> {
    const data = `${JSON.stringify({channels: [...this.channels.values()]}, null, 1)}\n`
    const file = join(this.dir, 'channels.json')
    this.saving = this.saving
      .catch(() => {})
      .then(async () => {
        const handle = await open(`${file}.tmp`, 'w', 0o600)
        try {
          await handle.writeFile(data)
          await handle.datasync()
        } finally {
          await handle.close()
        }
        await rename(`${file}.tmp`, file)
        await syncDir(this.dir)
      })
    return this.saving
  }

  async createChannel(channel: ChannelRecord): Promise<boolean> {
    if (this.channels.has(channel.name)) return false
    await this.log(channel.name)
    this.channels.set(channel.name, channel)
    await this.save()
    return true
  }

  async updateChannel(channel: ChannelRecord): Promise<boolean> {
    if (!this.channels.has(channel.name)) return false
    this.channels.set(channel.name, channel)
    await this.save()
    return true
  }

  async getChannel(name: string): Promise<ChannelRecord | undefined> {
    return this.channels.get(name)
  }

  async listChannels(): Promise<ChannelRecord[]> {
    return [...this.channels.values()].sort((a, b) => a.name.localeCompare(b.name))
  }

  async deleteChannel(name: string): Promise<boolean> {
    if (!this.channels.delete(name)) return false
    await this.save()
    const log = this.logs.get(name)
    this.logs.delete(name)
    await log?.close()
    await rm(join(this.dir, 'entries', name), {recursive: true, force: true})
    return true
  }

  async append(channel: string, entry: EntryInput): Promise<string> {
    if (!this.channels.has(channel)) throw Object.assign(new Error(`no channel ${channel}`), {code: 'ENOENT'})
    return (await this.log(channel)).append(entry)
  }

  watchDurable(channel: string, watcher: (seq: number) => void): () => void {
    return this.logs.get(channel)?.watchDurable(watcher) ?? (() => {})
  }

  async latest(channel: string): Promise<string> {
    return this.logs.get(channel)?.latest() ?? '0'
  }

  async count(channel: string, after: string, cap: number): Promise<number> {
    return this.logs.get(channel)?.count(after, cap) ?? 0
  }

  async latestSeq(channel: string): Promise<number> {
    return Number(this.logs.get(channel)?.latest() ?? 0)
  }

  async missed(channel: string, afterSeq: number): Promise<number> {
    return this.logs.get(channel)?.missed(afterSeq) ?? 0
  }

  async trim(channel: string, before: number): Promise<number> {
    return (await this.logs.get(channel)?.trim(before)) ?? 0
  }

  /** Files on this machine: they answer while the process runs (a full disk shows at the append, as a 503). */
  async health(): Promise<void> {}

  async reader(): Promise<StoreReader> {
    let open = true
    // The wait in progress, if any: closing the reader ends it (one at a time, so nothing piles up per read).
    let interrupt: (() => void) | undefined
    return {
      read: async (channel, after, count, blockMs, tentative = false) => {
        const log = this.logs.get(channel)
        if (!log || !open) return []
        const seen = log.version(tentative)
        const entries = await log.read(after, count, tentative)
        if (entries.length > 0 || blockMs <= 0) return entries
        await log.wait(blockMs, seen, tentative, (wake) => {
          interrupt = wake
          // Closed while it looked: no wait at all.
          if (!open) wake()
        })
        interrupt = undefined
        return open && this.logs.get(channel) === log ? log.read(after, count, tentative) : []
      },
      close: async () => {
        open = false
        interrupt?.()
      },
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.saving.catch(() => {})
    for (const log of this.logs.values()) await log.close()
  }
}
