/**
 * The listener's durable spool: an append-only NDJSON file of every delivery
 * received (the exact body bytes and headers) and of what became of it.
 *
 * The promise it keeps: a delivery is acknowledged (200) only once its whole
 * line is on disk (written in full, however many writes that takes, then
 * fdatasync). Appends that arrive together share one write and one fsync
 * (group commit). A write that fails (ENOSPC, EIO) rejects every append of
 * its batch, cuts the file back to its last whole line, and forgets those
 * events, so the gateway's retry is stored as new rather than answered
 * "duplicate" for something never stored. Every line is validated on load: a
 * damaged one (a torn tail after a crash, garbage, a wrong type) is skipped
 * and counted, and the valid rest is kept.
 *
 * Event ids are remembered for the de-duplication window (3 days, the
 * gateway's retry window, by default), bounded in count, across restarts:
 * compaction keeps the ids of finished events it lets go of in `i` lines.
 */
import {mkdir, open, readFile, rename, unlink} from 'node:fs/promises'
import {dirname} from 'node:path'

export type EventStatus = 'delivered' | 'failed' | 'pending'

/** The gateway retries a delivery for up to 3 days (API reference, webhooks). */
export const DEFAULT_DEDUPE_WINDOW_MS = 3 * 24 * 3600 * 1000
// ~100 bytes of memory per id (a 36-character id and its time in a Map): 200,000 ids ≈ 20 MB, and ≈ 9 MB of file.
const MAX_REMEMBERED_IDS = 200_000
// Ids per `i` line written by compaction.
const IDS_PER_LINE = 1000

export interface SpooledEvent {
  seq: number
  id: string
  type: string
  receivedAt: number
  headers: Record<string, string>
  body: Buffer
  status: EventStatus
  attempts: number
  /** HTTP status of the last forward, if one was answered. */
  responseStatus?: number
  error?: string
}

/** Lines of the file: an event, its outcome (`d` delivered, `f` failed), or ids remembered for de-duplication (`i`: [id, received at ms]). */
type Line =
  | {k: 'e'; seq: number; id: string; type: string; at: number; h: Record<string, string>; b: string; s?: EventStatus; n?: number; c?: number; err?: string}
  | {k: 'd'; seq: number; n: number; c: number}
  | {k: 'f'; seq: number; n: number; c?: number; err?: string}
  | {k: 'i'; ids: Array<[string, number]>}

/** The part of a file handle the spool uses; tests wrap a real one to inject short or failing writes. */
export interface SpoolFile {
  write(buffer: Buffer, offset: number, length: number): Promise<{bytesWritten: number}>
  datasync(): Promise<void>
  truncate(length: number): Promise<void>
  close(): Promise<void>
}

/** Whether the spool can write: reported on each change, for the "disk full" line and its all-clear. */
export type SpoolHealth = {ok: true} | {ok: false; code: string; message: string}

export interface SpoolOptions {
  /** Delivered or failed events kept after compaction, for `events list` and `events resend`. */
  keepDone?: number
  /** Compact when the file grows past this many bytes. */
  compactBytes?: number
  /**
   * False for readers beside a running listener (`webhooks events ...`): they
   * only append, which is safe alongside it; a rewrite would pull the file
   * from under the listener.
   */
  compact?: boolean
  /** How long received ids are remembered, so a replay or a late retry is not forwarded again. */
  dedupeWindowMs?: number
  /** Opens the spool file for appending (tests inject faults here). */
  openFile?: (file: string) => Promise<SpoolFile>
  onHealth?: (health: SpoolHealth) => void
  now?: () => number
}

export type Admission = {duplicate: true} | {duplicate: false; event: SpooledEvent; durable: Promise<void>}

const STATUSES = new Set<EventStatus>(['delivered', 'failed', 'pending'])
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/
const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0
const isSeq = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) > 0
const isText = (value: unknown): value is string => typeof value === 'string'
const isOptional = (value: unknown, check: (value: unknown) => boolean) => value === undefined || value === null || check(value)

/** A parsed line, or undefined when it is not one the spool writes. */
function validLine(value: unknown): Line | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const line = value as Record<string, unknown>
  switch (line.k) {
    case 'e': {
      const headers = line.h
      const headersOk = typeof headers === 'object' && headers !== null && !Array.isArray(headers) && Object.values(headers).every(isText)
      const ok =
        isSeq(line.seq) && isText(line.id) && line.id !== '' && isText(line.type) && Number.isFinite(line.at) && headersOk && isText(line.b) && BASE64.test(line.b) &&
        isOptional(line.s, (s) => STATUSES.has(s as EventStatus)) && isOptional(line.n, isCount) && isOptional(line.c, isCount) && isOptional(line.err, isText)
      return ok ? (line as Line) : undefined
    }
    case 'd':
      return isSeq(line.seq) && isCount(line.n) && isCount(line.c) ? (line as Line) : undefined
    case 'f':
      return isSeq(line.seq) && isCount(line.n) && isOptional(line.c, isCount) && isOptional(line.err, isText) ? (line as Line) : undefined
    case 'i':
      return Array.isArray(line.ids) && line.ids.every((pair) => Array.isArray(pair) && pair.length === 2 && isText(pair[0]) && pair[0] !== '' && Number.isFinite(pair[1])) ? (line as Line) : undefined
    default:
      return undefined
  }
}

function writeFailure(error: unknown): SpoolHealth {
  const failure = error as NodeJS.ErrnoException
  return {ok: false, code: failure.code ?? 'EIO', message: failure.message}
}

export class Spool {
  private readonly events = new Map<number, SpooledEvent>()
  /** Every id received within the window → when (ms), oldest first. */
  private readonly ids = new Map<string, number>()
  /** Ids whose event line is being written: a retry meanwhile waits for the outcome. */
  private readonly writing = new Map<string, Promise<void>>()
  /** Finished events still held in memory, oldest first. */
  private done: number[] = []
  private nextSeq = 1
  private queue: Array<{line: string; settle: (error?: Error) => void; seq?: number}> = []
  /** Events whose line is queued or being written: not on disk yet, so not in a compacted copy either. */
  private readonly unwritten = new Set<number>()
  private flushing?: Promise<void>
  /** Bytes of whole lines in the file: where a failed write is cut back to. */
  private size = 0
  /** Set when a failed write could not be cut back: the next write starts on a new line. */
  private tornTail = false
  private health: SpoolHealth = {ok: true}
  /** Lines skipped on load because they were damaged. */
  damaged = 0
  private readonly options: Required<Omit<SpoolOptions, 'onHealth'>> & Pick<SpoolOptions, 'onHealth'>

  private constructor(
    readonly file: string,
    private handle: SpoolFile,
    options: SpoolOptions,
  ) {
    this.options = {
      keepDone: options.keepDone ?? 200,
      compactBytes: options.compactBytes ?? 8 * 1024 * 1024,
      compact: options.compact ?? true,
      dedupeWindowMs: options.dedupeWindowMs ?? DEFAULT_DEDUPE_WINDOW_MS,
      openFile: options.openFile ?? ((path) => open(path, 'a', 0o600)),
      onHealth: options.onHealth,
      now: options.now ?? Date.now,
    }
  }

  static async open(file: string, options: SpoolOptions = {}): Promise<Spool> {
    await mkdir(dirname(file), {recursive: true, mode: 0o700})
    const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return ''
      throw error
    })
    const openFile = options.openFile ?? ((path: string) => open(path, 'a', 0o600))
    const spool = new Spool(file, await openFile(file), options)
    spool.load(text)
    spool.size = Buffer.byteLength(text)
    // A file that does not end in a newline ends in a torn line: the next line must not be glued to it.
    spool.tornTail = text !== '' && !text.endsWith('\n')
    // Compaction also drops the damaged lines, so they are reported once.
    await spool.compact().catch(() => {})
    return spool
  }

  private load(text: string): void {
    const now = this.options.now()
    for (const raw of text.split('\n')) {
      if (!raw.trim()) continue
      let line: Line | undefined
      try {
        line = validLine(JSON.parse(raw))
      } catch {
        line = undefined
      }
      if (!line) {
        this.damaged++
        continue
      }
      if (line.k === 'i') {
        for (const [id, at] of line.ids) if (now - at < this.options.dedupeWindowMs) this.ids.set(id, at)
      } else if (line.k === 'e') {
        if (this.events.has(line.seq)) {
          this.damaged++
          continue
        }
        this.events.set(line.seq, {
          seq: line.seq,
          id: line.id,
          type: line.type,
          receivedAt: line.at,
          headers: line.h,
          body: Buffer.from(line.b, 'base64'),
          status: line.s ?? 'pending',
          attempts: line.n ?? 0,
          responseStatus: line.c ?? undefined,
          error: line.err ?? undefined,
        })
        this.ids.delete(line.id)
        this.ids.set(line.id, line.at)
        this.nextSeq = Math.max(this.nextSeq, line.seq + 1)
      } else {
        const event = this.events.get(line.seq)
        if (!event) continue
        event.status = line.k === 'd' ? 'delivered' : 'failed'
        event.attempts = line.n
        event.responseStatus = line.c ?? undefined
        if (line.k === 'f') event.error = line.err ?? undefined
      }
    }
    for (const event of this.all()) if (event.status !== 'pending') this.done.push(event.seq)
  }

  /** The event kept with this id, if any (`webhooks events resend`). */
  find(id: string): SpooledEvent | undefined {
    for (const event of this.events.values()) if (event.id === id) return event
    return undefined
  }

  /** Events not yet delivered, in arrival order. */
  pending(): SpooledEvent[] {
    return this.all().filter((event) => event.status === 'pending')
  }

  /** Every event kept, in arrival order. */
  all(): SpooledEvent[] {
    return [...this.events.values()].sort((a, b) => a.seq - b.seq)
  }

  /** Whether an event with this id was stored within the window, including ones whose body was let go. */
  seen(id: string): boolean {
    return this.ids.has(id)
  }

  /**
   * A received delivery: a duplicate of one stored (a gateway retry, or a
   * replay), or a new event, whose `durable` resolves once its line is on disk
   * (the moment the gateway may be told 200) and rejects when it could not be
   * stored. A retry that arrives while the first copy is being written waits
   * for that write: stored, it is a duplicate; failed, it is stored anew.
   */
  async admit(input: {id: string; type: string; headers: Record<string, string>; body: Buffer}): Promise<Admission> {
    // Bounded: each turn waits for one write of this id, and a failed write removes its entry.
    for (let turn = 0; turn < 100; turn++) {
      const writing = this.writing.get(input.id)
      if (!writing) break
      await writing.catch(() => {})
    }
    if (this.ids.has(input.id) && !this.writing.has(input.id)) return {duplicate: true}
    const event: SpooledEvent = {...input, seq: this.nextSeq++, receivedAt: this.options.now(), status: 'pending', attempts: 0}
    this.events.set(event.seq, event)
    this.ids.set(event.id, event.receivedAt)
    this.unwritten.add(event.seq)
    const durable = this.write(eventLine(event), event.seq)
    const settled = durable.finally(() => this.writing.delete(event.id))
    this.writing.set(event.id, settled)
    settled.catch(() => {})
    return {duplicate: false, event, durable}
  }

  markDelivered(event: SpooledEvent, responseStatus: number): Promise<void> {
    Object.assign(event, {status: 'delivered', responseStatus, error: undefined})
    return this.finished(event, {k: 'd', seq: event.seq, n: event.attempts, c: responseStatus})
  }

  markFailed(event: SpooledEvent, error: string, responseStatus?: number): Promise<void> {
    Object.assign(event, {status: 'failed', responseStatus, error})
    return this.finished(event, {k: 'f', seq: event.seq, n: event.attempts, c: responseStatus, err: error})
  }

  /** Writes an outcome, and lets go of the bodies of finished events beyond the ones kept, so memory stays flat; their ids stay for de-duplication. */
  private finished(event: SpooledEvent, line: Line): Promise<void> {
    this.done.push(event.seq)
    while (this.done.length > this.options.keepDone) this.events.delete(this.done.shift()!)
    if (this.ids.size > MAX_REMEMBERED_IDS + IDS_PER_LINE) this.forgetOldIds()
    return this.write(line)
  }

  /** Ids past the window, and the oldest beyond the cap, unless their event is still kept. */
  private forgetOldIds(): void {
    const oldest = this.options.now() - this.options.dedupeWindowMs
    const kept = new Set([...this.events.values()].map((event) => event.id))
    for (const [id, at] of this.ids) {
      if (at >= oldest && this.ids.size <= MAX_REMEMBERED_IDS) break
      if (!kept.has(id)) this.ids.delete(id)
    }
  }

  /** An event that could not be stored: gone from memory too, so the gateway's retry is taken as new. */
  private forget(seq: number): void {
    const event = this.events.get(seq)
    this.unwritten.delete(seq)
    this.events.delete(seq)
    if (event && this.ids.get(event.id) === event.receivedAt) this.ids.delete(event.id)
  }

  /** Writes what is queued and closes the file. */
  async close(): Promise<void> {
    await this.flushing
    await this.compact().catch(() => {})
    await this.handle.close()
  }

  /** Queues a line; `seq` for an event's own line, which is forgotten if the write fails. */
  private write(line: Line, seq?: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({line: `${JSON.stringify(line)}\n`, seq, settle: (error) => (error ? reject(error) : resolve())})
      this.flushing ??= this.flush()
    })
  }

  /** All of `data`, however many writes it takes: a write may take less than asked (5,536 of 30,000 bytes on a nearly full tmpfs). */
  private async writeAll(data: Buffer): Promise<void> {
    let offset = 0
    while (offset < data.length) {
      const {bytesWritten} = await this.handle.write(data, offset, data.length - offset)
      if (!(bytesWritten > 0)) throw Object.assign(new Error(`write to ${this.file} made no progress`), {code: 'EIO'})
      offset += bytesWritten
    }
  }

  private setHealth(health: SpoolHealth): void {
    const changed = health.ok !== this.health.ok || (!health.ok && !this.health.ok && health.code !== this.health.code)
    this.health = health
    if (changed) this.options.onHealth?.(health)
  }

  /** Group commit: everything queued by the time a write starts goes out in that write and its fsync. */
  private async flush(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve))
    while (this.queue.length > 0) {
      const batch = this.queue
      this.queue = []
      const text = batch.map((item) => item.line).join('')
      const data = Buffer.from(this.tornTail ? `\n${text}` : text)
      try {
        await this.writeAll(data)
        await this.handle.datasync()
        this.size += data.length
        this.tornTail = false
        const recovered = !this.health.ok
        this.setHealth({ok: true})
        for (const item of batch) {
          if (item.seq !== undefined) this.unwritten.delete(item.seq)
          item.settle()
        }
        // Outcomes that could not be written while the disk was full are in memory: a rewrite puts them on disk.
        if (recovered) await this.compact().catch(() => {})
      } catch (error) {
        // Part of the batch may be in the file: cut it back to the last whole line, or else start the next write on a new line.
        await this.handle.truncate(this.size).then(
          () => (this.tornTail = false),
          () => (this.tornTail = true),
        )
        this.setHealth(writeFailure(error))
        for (const item of batch) {
          if (item.seq !== undefined) this.forget(item.seq)
          item.settle(error as Error)
        }
      }
      // Compaction only saves space: if it fails, appending goes on.
      if (this.size > this.options.compactBytes) await this.compact().catch(() => {})
    }
    // Cleared in the same turn as the last empty-queue check, so no write can slip in unflushed.
    this.flushing = undefined
  }

  /**
   * Rewrites the file with the ids remembered, the pending events and the
   * most recent finished ones (temporary file, fsync, rename), and forgets the
   * rest. Runs only between flushes (from open, flush and close).
   */
  private async compact(): Promise<void> {
    if (!this.options.compact) return
    const events = this.all()
    const done = events.filter((event) => event.status !== 'pending')
    for (const event of done.slice(0, Math.max(0, done.length - this.options.keepDone))) this.events.delete(event.seq)
    this.done = done.slice(-this.options.keepDone).map((event) => event.seq)
    this.forgetOldIds()
    const keptIds = new Set([...this.events.values()].map((event) => event.id))
    const remembered = [...this.ids].filter(([id]) => !keptIds.has(id))
    const lines: string[] = []
    for (let index = 0; index < remembered.length; index += IDS_PER_LINE) lines.push(`${JSON.stringify({k: 'i', ids: remembered.slice(index, index + IDS_PER_LINE)})}\n`)
    for (const event of this.all()) if (!this.unwritten.has(event.seq)) lines.push(`${JSON.stringify(eventLine(event))}\n`)
    const data = Buffer.from(lines.join(''))
    const temporary = `${this.file}.compact`
    try {
      const handle = await open(temporary, 'w', 0o600)
      try {
        await handle.writeFile(data)
        await handle.datasync()
      } finally {
        await handle.close()
      }
      await rename(temporary, this.file)
    } catch (error) {
      // On a full disk the half-written copy would hold space the appends need.
      await unlink(temporary).catch(() => {})
      throw error
    }
    await this.handle.close()
    this.handle = await this.options.openFile(this.file)
    this.size = data.length
    this.tornTail = false
  }
}

function eventLine(event: SpooledEvent): Line {
  return {
    k: 'e',
    seq: event.seq,
    id: event.id,
    type: event.type,
    at: event.receivedAt,
    h: event.headers,
    b: event.body.toString('base64'),
    ...(event.status === 'pending' ? {} : {s: event.status, n: event.attempts, c: event.responseStatus, err: event.error}),
  }
}
