/**
 * The listener's durable spool: an append-only NDJSON file of every delivery
 * received (the exact body bytes and headers) and of what became of it. A
 * delivery is acknowledged to the gateway only once its line is on disk
 * (fsync); appends that arrive together share one write and one fsync (group
 * commit). A torn last line after a crash belongs to a delivery that was
 * never acknowledged, so it is dropped. Delivered entries are compacted away,
 * keeping the most recent ones for `webhooks events list`.
 */
import {type FileHandle, mkdir, open, readFile, rename} from 'node:fs/promises'
import {dirname} from 'node:path'

export type EventStatus = 'delivered' | 'failed' | 'pending'

const DEDUPE_WINDOW = 50_000

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

/** Lines of the file: an event, then its outcome (`d` delivered, `f` failed, `a` attempted). */
type Line =
  | {k: 'e'; seq: number; id: string; type: string; at: number; h: Record<string, string>; b: string; s?: EventStatus; n?: number; c?: number; err?: string}
  | {k: 'd'; seq: number; n: number; c: number}
  | {k: 'f'; seq: number; n: number; c?: number; err?: string}

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
}

export class Spool {
  private readonly events = new Map<number, SpooledEvent>()
  private readonly ids = new Map<string, number>()
  /** Finished events still held in memory, oldest first. */
  private done: number[] = []
  private nextSeq = 1
  private queue: Array<{line: string; settle: (error?: Error) => void}> = []
  private flushing?: Promise<void>
  private bytes = 0

  private constructor(
    readonly file: string,
    private handle: FileHandle,
    private readonly options: Required<SpoolOptions>,
  ) {}

  static async open(file: string, options: SpoolOptions = {}): Promise<Spool> {
    await mkdir(dirname(file), {recursive: true, mode: 0o700})
    const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return ''
      throw error
    })
    const handle = await open(file, 'a', 0o600)
    const spool = new Spool(file, handle, {keepDone: options.keepDone ?? 200, compactBytes: options.compactBytes ?? 8 * 1024 * 1024, compact: options.compact ?? true})
    spool.load(text)
    await spool.compact()
    return spool
  }

  private load(text: string): void {
    for (const raw of text.split('\n')) {
      if (!raw) continue
      let line: Line
      try {
        line = JSON.parse(raw) as Line
      } catch {
        continue // a torn line from a crash mid-write: never acknowledged
      }
      if (line.k === 'e') {
        this.events.set(line.seq, {
          seq: line.seq,
          id: line.id,
          type: line.type,
          receivedAt: line.at,
          headers: line.h,
          body: Buffer.from(line.b, 'base64'),
          status: line.s ?? 'pending',
          attempts: line.n ?? 0,
          responseStatus: line.c,
          error: line.err,
        })
        this.ids.set(line.id, line.seq)
        this.nextSeq = Math.max(this.nextSeq, line.seq + 1)
      } else {
        const event = this.events.get(line.seq)
        if (!event) continue
        event.status = line.k === 'd' ? 'delivered' : 'failed'
        event.attempts = line.n
        event.responseStatus = line.c
        if (line.k === 'f') event.error = line.err
      }
    }
  }

  /** The event already received with this id, if any (a gateway retry, or a replay). */
  find(id: string): SpooledEvent | undefined {
    const seq = this.ids.get(id)
    return seq === undefined ? undefined : this.events.get(seq)
  }

  /** Events not yet delivered, in arrival order. */
  pending(): SpooledEvent[] {
    return this.all().filter((event) => event.status === 'pending')
  }

  /** Every event kept, in arrival order. */
  all(): SpooledEvent[] {
    return [...this.events.values()].sort((a, b) => a.seq - b.seq)
  }

  /** Whether an event with this id was received, including ones already let go from memory. */
  seen(id: string): boolean {
    return this.ids.has(id)
  }

  /**
   * Records a received delivery: the event at once (so forwarding can start),
   * and `durable`, which resolves once its line is on disk (the moment the
   * gateway may be told 200).
   */
  append(input: {id: string; type: string; headers: Record<string, string>; body: Buffer}): {event: SpooledEvent; durable: Promise<void>} {
    const event: SpooledEvent = {...input, seq: this.nextSeq++, receivedAt: Date.now(), status: 'pending', attempts: 0}
    this.events.set(event.seq, event)
    this.ids.set(event.id, event.seq)
    return {event, durable: this.write(eventLine(event))}
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
    if (this.ids.size > DEDUPE_WINDOW + 1000) this.forgetOldIds()
    return this.write(line)
  }

  /** De-duplication covers the last DEDUPE_WINDOW finished events (gateway retries come within hours, not 50,000 events later). */
  private forgetOldIds(): void {
    for (const [id, seq] of this.ids) {
      if (this.ids.size <= DEDUPE_WINDOW) break
      if (!this.events.has(seq)) this.ids.delete(id)
    }
  }

  /** Writes what is queued and closes the file. */
  async close(): Promise<void> {
    await this.flushing
    await this.compact()
    await this.handle.close()
  }

  private write(line: Line): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({line: `${JSON.stringify(line)}\n`, settle: (error) => (error ? reject(error) : resolve())})
      this.flushing ??= this.flush()
    })
  }

  /** Group commit: everything queued by the time a write starts goes out in that write and its fsync. */
  private async flush(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve))
    while (this.queue.length > 0) {
      const batch = this.queue
      this.queue = []
      const data = Buffer.from(batch.map((item) => item.line).join(''))
      try {
        await this.handle.write(data)
        await this.handle.datasync()
        this.bytes += data.length
        for (const item of batch) item.settle()
      } catch (error) {
        for (const item of batch) item.settle(error as Error)
      }
      // Compaction only saves space: if it fails, appending goes on.
      if (this.bytes > this.options.compactBytes) await this.compact().catch(() => {})
    }
    // Cleared in the same turn as the last empty-queue check, so no write can slip in unflushed.
    this.flushing = undefined
  }

  /**
   * Rewrites the file with the pending events and the most recent finished
   * ones (temp file, fsync, rename), and forgets the rest.
   */
  private async compact(): Promise<void> {
    if (!this.options.compact) return
    const events = this.all()
    const done = events.filter((event) => event.status !== 'pending')
    for (const event of done.slice(0, Math.max(0, done.length - this.options.keepDone))) {
      this.events.delete(event.seq)
      this.ids.delete(event.id)
    }
    const data = Buffer.from(this.all().map((event) => `${JSON.stringify(eventLine(event))}\n`).join(''))
    const temporary = `${this.file}.compact`
    const handle = await open(temporary, 'w', 0o600)
    await handle.write(data)
    await handle.datasync()
    await handle.close()
    await rename(temporary, this.file)
    await this.handle.close()
    this.handle = await open(this.file, 'a', 0o600)
    this.bytes = data.length
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
