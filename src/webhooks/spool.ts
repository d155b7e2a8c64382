/**
 * The listener's durable spool: an append-only NDJSON file of every delivery
 * received (the exact body bytes and headers) and of what became of it.
 *
 * The promise it keeps: a delivery is acknowledged (200) only once its whole
 * line is on disk (written in full, however many writes that takes, each
 * durable: O_DSYNC, else followed by an fdatasync). Appends that arrive
 * together share one durable write (group commit). A write that fails (ENOSPC, EIO) rejects every append of
 * its batch, cuts the file back to its last whole line, and forgets those
 * events, so the gateway's retry is stored as new rather than answered
 * "duplicate" for something never stored. Every line is validated on load: a
 * damaged one (a torn tail after a crash, garbage, a wrong type) is skipped
 * and counted, and the valid rest is kept.
 *
 * Event ids are remembered for the de-duplication window (3 days, the
 * gateway's retry window, by default), bounded in count, across restarts, as
 * digests (id-window.ts): compaction keeps the digests of finished events it
 * lets go of in `i` lines (`d`: [digest, received at ms]; an older spool's
 * `ids`: [id, received at ms] are read too).
 *
 * Each forward's answer (answers.ts) is kept with its event: in the outcome
 * line (`d`, `f`), or an `a` line for an attempt that was retried or a
 * replay; compaction folds them into the event's own line.
 */
import {mkdir, open, readFile, rename, unlink} from 'node:fs/promises'
import {dirname} from 'node:path'

import {AppendFile, type AppendHandle, SYNCED_WRITES, type WriteHealth, openAppend, writeAll} from '../shared/append-file.js'
import {AnswerBudget, type Attempt, type AttemptLine, attemptLine, parseAttempt} from './answers.js'
import {DIGEST, IdWindow, idDigest, snapshotEntries} from './id-window.js'

export type EventStatus = 'delivered' | 'failed' | 'pending'

/** The gateway retries a delivery for up to 3 days (API reference, webhooks). */
export const DEFAULT_DEDUPE_WINDOW_MS = 3 * 24 * 3600 * 1000
// ~31 bytes of memory per id (a digest and its time, id-window.ts): 200,000 ids ≈ 6.2 MB (a Map of the ids took 20.7 MB), ≈ 7 MB of file.
const MAX_REMEMBERED_IDS = 200_000
// Ids per `i` line written by compaction, one line per turn of the event loop: ~1 ms here. At 4,000 a turn (4 ms)
// appends made during a 100,000-id compaction took 8–28 ms instead of 0.4: each waits for a turn at its write, its
// fsync and its answer, and the relay's client, which answers its stream in order, fell 100+ ms behind (the bench's slow rounds).
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
  /** The app's answers, oldest first (the last ATTEMPTS_KEPT). */
  answers: Attempt[]
  /** How the delivery was checked on arrival (absent for events spooled before verdicts were kept). */
  verdict?: EventVerdict
  /** Where it came from: `receiver` (the local port) or `relay <channel>`. */
  source?: string
}

export interface EventVerdict {
  /** The signature verified (false only under --skip-verify: refused deliveries are never spooled). */
  ok: boolean
  /** What checked it: the scheme and the key's fingerprint. */
  by: string
  reason?: string
}

type VerdictLine = {ok: boolean; by: string; why?: string}

/** Lines of the file: an event, its outcome (`d` delivered, `f` failed), or ids remembered for de-duplication (`i`: [digest, received at ms], or an older spool's [id, received at ms]). */
type Line =
  | {
      k: 'e'
      seq: number
      id: string
      type: string
      at: number
      h: Record<string, string>
      b: string
      s?: EventStatus
      n?: number
      c?: number
      err?: string
      a?: AttemptLine[]
      v?: VerdictLine
      src?: string
    }
  | {k: 'd'; seq: number; n: number; c: number; a?: AttemptLine}
  | {k: 'f'; seq: number; n: number; c?: number; err?: string; a?: AttemptLine}
  | {k: 'a'; seq: number; a: AttemptLine}
  | {k: 'i'; d?: Array<[string, number]>; ids?: Array<[string, number]>}

/** The part of a file handle the spool uses; tests wrap a real one to inject short or failing writes. */
export type SpoolFile = AppendHandle

/** Whether the spool can write: reported on each change, for the "disk full" line and its all-clear. */
export type SpoolHealth = WriteHealth

export interface SpoolOptions {
  /** Delivered or failed events kept after compaction, for `events list` and `events resend`. */
  keepDone?: number
  /** Compact when the file has grown this many bytes past what the last compaction left (and at least doubled). */
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
  /** How long a lazy delivery or attempt line may wait to share an arrival's write (LAZY_MS; tests lengthen it). */
  lazyMs?: number
}

export type Admission = {duplicate: true} | {duplicate: false; event: SpooledEvent; durable: Promise<void>}

const STATUSES = new Set<EventStatus>(['delivered', 'failed', 'pending'])
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/
const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0
const isSeq = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) > 0
const isText = (value: unknown): value is string => typeof value === 'string'
const isOptional = (value: unknown, check: (value: unknown) => boolean) => value === undefined || value === null || check(value)
const isAttempt = (value: unknown) => parseAttempt(value) !== undefined
const isVerdict = (value: unknown) => {
  const verdict = value as VerdictLine | null
  return typeof verdict === 'object' && verdict !== null && typeof verdict.ok === 'boolean' && isText(verdict.by) && isOptional(verdict.why, isText)
}

/** A parsed line, or undefined when it is not one the spool writes. */
function validLine(value: unknown): Line | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const line = value as Record<string, unknown>
  switch (line.k) {
    case 'e': {
      const headers = line.h
      const headersOk = typeof headers === 'object' && headers !== null && !Array.isArray(headers) && Object.values(headers).every(isText)
      const ok =
        isSeq(line.seq) &&
        isText(line.id) &&
        line.id !== '' &&
        isText(line.type) &&
        Number.isFinite(line.at) &&
        headersOk &&
        isText(line.b) &&
        BASE64.test(line.b) &&
        isOptional(line.s, (s) => STATUSES.has(s as EventStatus)) &&
        isOptional(line.n, isCount) &&
        isOptional(line.c, isCount) &&
        isOptional(line.err, isText) &&
        isOptional(line.a, (a) => Array.isArray(a) && a.every(isAttempt)) &&
        isOptional(line.v, isVerdict) &&
        isOptional(line.src, isText)
      return ok ? (line as Line) : undefined
    }
    case 'd':
      return isSeq(line.seq) && isCount(line.n) && isCount(line.c) && isOptional(line.a, isAttempt) ? (line as Line) : undefined
    case 'f':
      return isSeq(line.seq) && isCount(line.n) && isOptional(line.c, isCount) && isOptional(line.err, isText) && isOptional(line.a, isAttempt)
        ? (line as Line)
        : undefined
    case 'a':
      return isSeq(line.seq) && isAttempt(line.a) ? (line as Line) : undefined
    case 'i':
      return (
        Array.isArray(line.d)
          ? line.d.every((pair) => Array.isArray(pair) && pair.length === 2 && isText(pair[0]) && DIGEST.test(pair[0]) && Number.isFinite(pair[1]))
          : Array.isArray(line.ids) &&
            line.ids.every((pair) => Array.isArray(pair) && pair.length === 2 && isText(pair[0]) && pair[0] !== '' && Number.isFinite(pair[1]))
      )
        ? (line as Line)
        : undefined
    default:
      return undefined
  }
}

export class Spool {
  private readonly events = new Map<number, SpooledEvent>()
  /** Every id received within the window, with when (ms), oldest first. */
  private readonly ids = new IdWindow()
  /** Ids whose event line is being written: a retry meanwhile waits for the outcome. */
  private readonly writing = new Map<string, Promise<void>>()
  /** Finished events still held in memory, oldest first. */
  private done: number[] = []
  private nextSeq = 1
  /** Events whose line is queued or being written: not on disk yet, so not in a compacted copy either. */
  private readonly unwritten = new Set<number>()
  private readonly appender: AppendFile
  /** Lines skipped on load because they were damaged. */
  damaged = 0
  /** The file's size after the last compaction. */
  private compactedSize = 0
  /** The answer bodies held, bounded across every event. */
  private readonly budget = new AnswerBudget()
  private readonly options: Required<Omit<SpoolOptions, 'onHealth' | 'lazyMs'>> & Pick<SpoolOptions, 'onHealth'>
  /** Opens a compaction's copy. */
  private readonly openCopy: (file: string) => Promise<SpoolFile>

  private constructor(
    readonly file: string,
    handle: SpoolFile,
    size: number,
    tornTail: boolean,
    options: SpoolOptions,
  ) {
    this.options = {
      keepDone: options.keepDone ?? 200,
      compactBytes: options.compactBytes ?? 8 * 1024 * 1024,
      compact: options.compact ?? true,
      dedupeWindowMs: options.dedupeWindowMs ?? DEFAULT_DEDUPE_WINDOW_MS,
      openFile: options.openFile ?? openAppend,
      onHealth: options.onHealth,
      now: options.now ?? Date.now,
    }
    this.openCopy = options.openFile ?? ((path) => open(path, 'a', 0o600))
    this.appender = new AppendFile(file, handle, size, {
      tornTail,
      onHealth: options.onHealth,
      lazyMs: options.lazyMs,
      syncedWrites: !options.openFile && SYNCED_WRITES,
      afterBatch: async ({recovered}) => {
        // Outcomes that could not be written while the disk was full are in memory: a rewrite puts them on disk.
        if (recovered) this.compactBeside()
        // Growth since the last rewrite, not size: a rewrite carries the window's digests (3.5 MB at 100,000 ids), and
        // "past 8 MB" would rewrite those every 4 MB of events; at least doubling keeps rewriting under half of what is appended.
        if (this.appender.size > Math.max(this.compactedSize + this.options.compactBytes, 2 * this.compactedSize)) this.compactBeside()
      },
    })
  }

  static async open(file: string, options: SpoolOptions = {}): Promise<Spool> {
    await mkdir(dirname(file), {recursive: true, mode: 0o700})
    const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return ''
      throw error
    })
    const openFile = options.openFile ?? openAppend
    // A file that does not end in a newline ends in a torn line: the next line must not be glued to it.
    const spool = new Spool(file, await openFile(file), Buffer.byteLength(text), text !== '' && !text.endsWith('\n'), options)
    spool.load(text)
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
        for (const [digest, at] of line.d ?? []) if (now - at < this.options.dedupeWindowMs) this.ids.addDigest(digest, at)
        for (const [id, at] of line.ids ?? []) if (now - at < this.options.dedupeWindowMs) this.ids.add(id, at)
      } else if (line.k === 'e') {
        if (this.events.has(line.seq)) {
          this.damaged++
          continue
        }
        const verdict = line.v ? {ok: line.v.ok, by: line.v.by, reason: line.v.why} : undefined
        const event = keptEvent(line.seq, line.id, line.type, line.at, line.h, Buffer.from(line.b, 'base64'), verdict, line.src ?? undefined)
        event.status = line.s ?? 'pending'
        event.attempts = line.n ?? 0
        event.responseStatus = line.c ?? undefined
        event.error = line.err ?? undefined
        this.events.set(line.seq, event)
        for (const stored of line.a ?? []) this.budget.add(event.answers, parseAttempt(stored)!)
        this.ids.add(line.id, line.at)
        this.nextSeq = Math.max(this.nextSeq, line.seq + 1)
      } else if (line.k === 'a') {
        const event = this.events.get(line.seq)
        if (!event) continue
        this.budget.add(event.answers, parseAttempt(line.a)!)
        // A replay's attempt follows the outcome line: the count goes on from it.
        event.attempts = Math.max(event.attempts, line.a.n)
      } else {
        const event = this.events.get(line.seq)
        if (!event) continue
        if (line.a) this.budget.add(event.answers, parseAttempt(line.a)!)
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
  async admit(input: {
    id: string
    type: string
    headers: Record<string, string>
    body: Buffer
    verdict?: EventVerdict
    source?: string
  }): Promise<Admission> {
    // Bounded: each turn waits for one write of this id, and a failed write removes its entry.
    for (let turn = 0; turn < 100; turn++) {
      const writing = this.writing.get(input.id)
      if (!writing) break
      await writing.catch(() => {})
    }
    if (this.ids.has(input.id) && !this.writing.has(input.id)) return {duplicate: true}
    const event = keptEvent(this.nextSeq++, input.id, input.type, this.options.now(), input.headers, input.body, input.verdict, input.source)
    this.events.set(event.seq, event)
    this.ids.add(event.id, event.receivedAt)
    this.unwritten.add(event.seq)
    const durable = this.write(eventLine(event), {seq: event.seq})
    const settled = durable.finally(() => this.writing.delete(event.id))
    this.writing.set(event.id, settled)
    settled.catch(() => {})
    return {duplicate: false, event, durable}
  }

  /** `lazy`: the caller does not wait for the line (the forwarder), so it may wait a few ms to share an arrival's write (AppendFile's LAZY_MS). */
  markDelivered(event: SpooledEvent, responseStatus: number, attempt?: Attempt, {lazy = false} = {}): Promise<void> {
    event.status = 'delivered'
    event.responseStatus = responseStatus
    event.error = undefined
    if (attempt) this.budget.add(event.answers, attempt)
    const line: Line = {k: 'd', seq: event.seq, n: event.attempts, c: responseStatus}
    if (attempt) line.a = attemptLine(attempt)
    return this.finished(event, line, lazy)
  }

  markFailed(event: SpooledEvent, error: string, responseStatus?: number, attempt?: Attempt): Promise<void> {
    event.status = 'failed'
    event.responseStatus = responseStatus
    event.error = error
    if (attempt) this.budget.add(event.answers, attempt)
    const line: Line = {k: 'f', seq: event.seq, n: event.attempts, c: responseStatus, err: error}
    if (attempt) line.a = attemptLine(attempt)
    return this.finished(event, line)
  }

  /** An attempt that is not an outcome: one followed by a retry, or a replay of a finished event. */
  recordAttempt(event: SpooledEvent, attempt: Attempt, {lazy = false} = {}): Promise<void> {
    this.budget.add(event.answers, attempt)
    // An event compacted away meanwhile has no line for this one to follow.
    if (!this.events.has(event.seq)) return Promise.resolve()
    return this.write({k: 'a', seq: event.seq, a: attemptLine(attempt)}, {lazy})
  }

  /** Lets go of an event held in memory (its answers no longer count against the budget). */
  private drop(seq: number): void {
    const event = this.events.get(seq)
    if (!event) return
    for (const attempt of event.answers) this.budget.release(attempt)
    this.events.delete(seq)
  }

  /** Writes an outcome, and lets go of the bodies of finished events beyond the ones kept, so memory stays flat; their ids stay for de-duplication. */
  private finished(event: SpooledEvent, line: Line, lazy = false): Promise<void> {
    this.done.push(event.seq)
    while (this.done.length > this.options.keepDone) this.drop(this.done.shift()!)
    if (this.ids.size > MAX_REMEMBERED_IDS + IDS_PER_LINE) this.forgetOldIds()
    return this.write(line, {lazy})
  }

  /** Ids past the window, and the oldest beyond the cap, unless their event is still kept. */
  private forgetOldIds(): void {
    const kept = this.keptDigests()
    this.ids.trim(this.options.now() - this.options.dedupeWindowMs, MAX_REMEMBERED_IDS, (digest) => kept.has(digest))
  }

  /** The digests of the events held in memory: their ids are written with them, not in `i` lines. */
  private keptDigests(): Set<string> {
    return new Set([...this.events.values()].map((event) => idDigest(event.id)))
  }

  /** An event that could not be stored: gone from memory too, so the gateway's retry is taken as new. */
  private forget(seq: number): void {
    const event = this.events.get(seq)
    this.unwritten.delete(seq)
    this.drop(seq)
    if (event && this.ids.at(event.id) === event.receivedAt) this.ids.delete(event.id)
  }

  /** Writes what is queued and closes the file. */
  async close(): Promise<void> {
    await this.appender.idle()
    await this.compacting
    await this.compact().catch(() => {})
    await this.appender.close()
  }

  /** A compaction in progress, beside the appends. */
  private compacting?: Promise<void>

  /**
   * Starts a compaction without holding up appends: its copy is written and
   * synced while batches go on (a 4 MB copy's fsync took 100+ ms here, and
   * every delivery waited for it), then what they appended meanwhile is added
   * to it and the file switched, between two batches.
   */
  private compactBeside(): void {
    if (!this.options.compact || this.compacting) return
    this.compacting = this.compact()
      .catch(() => {})
      .finally(() => (this.compacting = undefined))
  }

  /** Appends a line; `seq` for an event's own line, which is forgotten if the write fails. */
  private write(line: Line, {seq, lazy}: {seq?: number; lazy?: boolean} = {}): Promise<void> {
    const settled = seq === undefined ? undefined : (error?: Error) => (error ? this.forget(seq) : this.unwritten.delete(seq))
    return this.appender.append(Buffer.from(`${JSON.stringify(line)}\n`), {settled, lazy})
  }

  /**
   * Rewrites the file with the ids remembered, the pending events and the
   * most recent finished ones (temporary file, fsync, rename), and forgets the
   * rest. Starts between batches (from open, after a batch, and close): the
   * copy is of memory at that moment; batches written after it are captured
   * and appended to the copy before the switch, which happens between batches.
   */
  private async compact(): Promise<void> {
    if (!this.options.compact) return
    const events = this.all()
    const done = events.filter((event) => event.status !== 'pending')
    for (const event of done.slice(0, Math.max(0, done.length - this.options.keepDone))) this.drop(event.seq)
    this.done = done.slice(-this.options.keepDone).map((event) => event.seq)
    this.forgetOldIds()
    const kept = this.keptDigests()
    const ids = this.ids.snapshot()
    // Events whose own line is still queued are left out: that line is written in a later batch, and captured.
    const lines: string[] = []
    for (const event of this.all()) if (!this.unwritten.has(event.seq)) lines.push(`${JSON.stringify(eventLine(event))}\n`)
    const eventLines = Buffer.from(lines.join(''))
    // In the same turn as the copy of memory: every batch written from here on is in the copy's tail.
    this.appender.capture()
    const temporary = `${this.file}.compact`
    let handle: SpoolFile | undefined
    let written = 0
    try {
      await unlink(temporary).catch(() => {})
      // Not openAppend(): the copy is synced once, at its end, not at each of its writes.
      handle = await this.openCopy(temporary)
      // The window's `i` lines one at a time, each written before the next is made: 200,000 ids made
      // at once held every delivery for 100+ ms (the longest turn of the relay client's loop in the bench).
      for (let from = 0; from < ids.times.length; from += IDS_PER_LINE) {
        const line = [...snapshotEntries(ids, from, from + IDS_PER_LINE)].filter(([digest]) => !kept.has(digest))
        if (line.length === 0) continue
        const data = Buffer.from(`${JSON.stringify({k: 'i', d: line})}\n`)
        await writeAll(handle, data, temporary)
        written += data.length
      }
      await writeAll(handle, eventLines, temporary)
      written += eventLines.length
      await handle.datasync()
      const copy = handle
      await this.appender.betweenBatches(async () => {
        const tail = Buffer.concat(this.appender.takeCaptured())
        if (tail.length > 0) {
          await writeAll(copy, tail, temporary)
          await copy.datasync()
        }
        await copy.close()
        handle = undefined
        await rename(temporary, this.file)
        await this.appender.replace(await this.options.openFile(this.file), written + tail.length)
        this.compactedSize = written + tail.length
      })
    } catch (error) {
      this.appender.takeCaptured()
      await handle?.close().catch(() => {})
      // On a full disk the half-written copy would hold space the appends need.
      await unlink(temporary).catch(() => {})
      throw error
    }
  }
}

/**
 * An event as the spool holds it, every property present from the start and
 * always in this order: one shape for every event. Built by spreading the
 * arrival and adding the rest (and Object.assign for an outcome), each event
 * went through V8's runtime to extend its shape, and the forwarder's reads of
 * it were megamorphic: 2–3% of a busy listener's main thread (perf, in order).
 */
function keptEvent(
  seq: number,
  id: string,
  type: string,
  receivedAt: number,
  headers: Record<string, string>,
  body: Buffer,
  verdict: EventVerdict | undefined,
  source: string | undefined,
): SpooledEvent {
  return {
    seq,
    id,
    type,
    receivedAt,
    headers,
    body,
    status: 'pending',
    attempts: 0,
    responseStatus: undefined,
    error: undefined,
    answers: [],
    verdict,
    source,
  }
}

/** Properties set one by one, in this order (the file's), rather than spread from conditional objects: one per event. */
function eventLine(event: SpooledEvent): Line {
  const line: Extract<Line, {k: 'e'}> = {
    k: 'e',
    seq: event.seq,
    id: event.id,
    type: event.type,
    at: event.receivedAt,
    h: event.headers,
    b: event.body.toString('base64'),
  }
  const {verdict} = event
  if (verdict) line.v = verdict.reason ? {ok: verdict.ok, by: verdict.by, why: verdict.reason} : {ok: verdict.ok, by: verdict.by}
  if (event.source) line.src = event.source
  if (event.status !== 'pending' || event.answers.length > 0) {
    line.s = event.status
    line.n = event.attempts
    line.c = event.responseStatus
    line.err = event.error
  }
  if (event.answers.length > 0) line.a = event.answers.map(attemptLine)
  return line
}
