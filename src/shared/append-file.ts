/**
 * An append-only file whose appends are durable when they resolve: written in
 * full (however many writes that takes), then fdatasync (or, for a handle
 * from openAppend() with O_DSYNC, durable as written). Appends that arrive
 * together share one durable write (group commit). A write that fails
 * (ENOSPC, EIO) rejects every append of its batch and cuts the file back to
 * where the batch began, or, when even that fails, makes the next write start
 * on a new line, so a torn record never runs into the next one.
 *
 * The listener's spool and the relay's embedded store both keep their
 * promise (200 only for what is on disk) through this one class.
 */

import {constants} from 'node:fs'
import {type FileHandle, open} from 'node:fs/promises'

// Absent where the platform has no O_DSYNC (Windows): there a write is followed by an fdatasync.
const DSYNC = constants.O_DSYNC as number | undefined

/** Whether a handle openAppend() gives is written durably (see there): its AppendFile then makes no fdatasync of its own. */
export const SYNCED_WRITES = DSYNC !== undefined

/**
 * Opens `file` for appending (created 0600; `read`: for reading too), with
 * O_DSYNC where the platform has it: each write returns once its data is as
 * durable as an fdatasync makes it, one trip to the thread pool and back
 * where a write and then an fdatasync took two. A 700-byte record written
 * and made durable here, p50 / p90: 0.37–0.52 / 0.53–1.0 ms as write +
 * fdatasync, 0.32–0.34 / 0.43–0.50 ms as one O_DSYNC write.
 */
export function openAppend(file: string, {read = false} = {}): Promise<FileHandle> {
  return open(file, (read ? constants.O_RDWR : constants.O_WRONLY) | constants.O_CREAT | constants.O_APPEND | (DSYNC ?? 0), 0o600)
}

/** The part of a file handle an AppendFile uses; tests wrap a real one to inject short or failing writes. */
export interface AppendHandle {
  write(buffer: Buffer, offset: number, length: number): Promise<{bytesWritten: number}>
  datasync(): Promise<void>
  truncate(length: number): Promise<void>
  close(): Promise<void>
}

/** Whether the file can be written: reported on each change, for a "disk full" line and its all-clear. */
export type WriteHealth = {ok: true} | {ok: false; code: string; message: string}

export interface AppendFileOptions {
  /** The file ends in a torn record: the next write starts on a new line. */
  tornTail?: boolean
  onHealth?: (health: WriteHealth) => void
  /** How long a lazy append may wait (LAZY_MS by default). */
  lazyMs?: number
  /** Every handle it is given (at first and by replace()) came from openAppend() where SYNCED_WRITES: a batch is durable once written. */
  syncedWrites?: boolean
  /** Runs after each batch, before the next one starts (compaction may replace the handle here). */
  afterBatch?: (outcome: {ok: boolean; recovered: boolean}) => Promise<void>
}

/**
 * How long a lazy append (a record no caller waits for) may wait for an
 * eager one to share its write and fsync. In order, a forward ends every
 * ~0.5 ms and each delivery record was a write and an fdatasync of its own:
 * 0.35 fdatasync an event under the bench's load, 0.16 with delivery records
 * lazy (strace, 8,000 events); at 200 events/s, 2 → 0.94. Arrivals, which a
 * sender waits for, come more often than this under load; when idle, a
 * record is on disk 5 ms later.
 */
export const LAZY_MS = 5

/** Called synchronously when the append's batch is settled, before any later batch or afterBatch: `offset` is where its bytes begin. */
export type Settled = (error: Error | undefined, offset: number) => void

interface Queued {
  data: Buffer
  settled?: Settled
  resolve: () => void
  reject: (error: Error) => void
}

export interface AppendOptions {
  /** Called when the append's batch is settled (see Settled). */
  settled?: Settled
  /** Nobody waits for it: it may wait up to LAZY_MS for an eager append to share a write with. */
  lazy?: boolean
}

export class AppendFile {
  private queue: Queued[] = []
  private flushing?: Promise<void>
  /** Whether an eager append (one someone waits for) is queued: the next batch is written without waiting. */
  private eager = false
  /** Ends a lazy wait early (an eager append, a task between batches, or someone waiting in idle()). */
  private wake?: () => void
  /** Callers waiting in idle(): while any do, lazy appends are written at once. */
  private hurrying = 0
  /** What each batch wrote since capture(), for a copy being made beside the appends (compaction). */
  private captured?: Buffer[]
  /** Tasks to run between two batches. */
  private readonly between: Array<() => Promise<void>> = []
  private health: WriteHealth = {ok: true}
  /**
   * While writes fail: the largest record of a failed batch (the smallest such
   * over the failures). On a full disk a smaller write (an attempt record,
   * ~100 bytes) can fit where an event (kilobytes) did not; the all-clear
   * waits for a write that large, else a full disk would be reported "ok" and
   * "full" by turns. A record, not the batch: after a group of 50 events
   * failed, one event written is space again.
   */
  private failedBytes = Number.POSITIVE_INFINITY
  private tornTail: boolean

  constructor(
    readonly file: string,
    private handle: AppendHandle,
    /** Bytes of whole records in the file: where a failed write is cut back to. */
    public size: number,
    private readonly options: AppendFileOptions = {},
  ) {
    this.tornTail = options.tornTail ?? false
  }

  get healthy(): boolean {
    return this.health.ok
  }

  append(data: Buffer, {settled, lazy = false}: AppendOptions = {}): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({data, settled, resolve, reject})
      if (!lazy) {
        this.eager = true
        this.wake?.()
      }
      this.flushing ??= this.flush()
    })
  }

  /** Resolves once nothing is queued or being written. */
  async idle(): Promise<void> {
    this.hurrying++
    this.wake?.()
    try {
      while (this.flushing) await this.flushing
    } finally {
      this.hurrying--
    }
  }

  /** From now on, keeps the bytes of each batch written (not a torn tail's leading newline) until takeCaptured(). */
  capture(): void {
    this.captured = []
  }

  /** What was written since capture(), in order; capturing stops. */
  takeCaptured(): Buffer[] {
    const captured = this.captured ?? []
    this.captured = undefined
    return captured
  }

  /** Runs `task` between two batches (at once when none is being written): nothing is written while it runs. */
  betweenBatches<T>(task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.between.push(() => task().then(resolve, reject))
      this.wake?.()
      this.flushing ??= this.flush()
    })
  }

  /** A new handle for a rewritten file of `size` bytes (compaction); only between batches. */
  async replace(handle: AppendHandle, size: number): Promise<void> {
    await this.handle.close()
    this.handle = handle
    this.size = size
    this.tornTail = false
  }

  async close(): Promise<void> {
    await this.idle()
    await this.handle.close()
  }

  private setHealth(health: WriteHealth): void {
    const changed = health.ok !== this.health.ok || (!health.ok && !this.health.ok && health.code !== this.health.code)
    this.health = health
    if (changed) this.options.onHealth?.(health)
  }

  /** When only lazy appends are queued: waits up to LAZY_MS for an eager one (or a task) to write them with. */
  private async lazyWait(): Promise<void> {
    if (this.eager || this.hurrying > 0 || this.between.length > 0 || this.queue.length === 0) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.wake?.(), this.options.lazyMs ?? LAZY_MS)
      this.wake = () => {
        this.wake = undefined
        clearTimeout(timer)
        // At the end of this turn, as a first append's batch is: an arrival woke it, and what the arrival starts
        // (its forward) goes first. Written at once, the write's submission (~0.1 ms) came before the forward.
        setImmediate(resolve)
      }
    })
  }

  /** Group commit: everything queued by the time a write starts goes out in that write and its fsync. */
  private async flush(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve))
    while (this.queue.length > 0 || this.between.length > 0) {
      // Just before a batch is taken: a lazy record made while the last batch settled (after its event's line) is queued by now and
      // waits, or starts the next flush, which waits too. Checked right after a batch, such a record went out alone, one an event.
      await this.lazyWait()
      for (const task of this.between.splice(0)) await task()
      if (this.queue.length === 0) continue
      const batch = this.queue
      this.queue = []
      this.eager = false
      const lead = this.tornTail ? 1 : 0
      const data = Buffer.concat(lead ? [Buffer.from('\n'), ...batch.map((item) => item.data)] : batch.map((item) => item.data))
      let ok = true
      let recovered = false
      try {
        await writeAll(this.handle, data, this.file)
        if (!this.options.syncedWrites) await this.handle.datasync()
        let offset = this.size + lead
        this.size += data.length
        this.captured?.push(lead ? data.subarray(1) : data)
        this.tornTail = false
        if (data.length >= this.failedBytes) {
          recovered = true
          this.failedBytes = Number.POSITIVE_INFINITY
          this.setHealth({ok: true})
        }
        for (const item of batch) {
          item.settled?.(undefined, offset)
          offset += item.data.length
          item.resolve()
        }
      } catch (error) {
        ok = false
        // Part of the batch may be in the file: cut it back, or else start the next write on a new line.
        await this.handle.truncate(this.size).then(
          () => (this.tornTail = false),
          () => (this.tornTail = true),
        )
        const failure = error as NodeJS.ErrnoException
        this.failedBytes = Math.min(
          this.failedBytes,
          batch.reduce((largest, item) => Math.max(largest, item.data.length), 0),
        )
        this.setHealth({ok: false, code: failure.code ?? 'EIO', message: failure.message})
        for (const item of batch) {
          item.settled?.(failure, -1)
          item.reject(failure)
        }
      }
      // What runs here (compaction) only saves space or repairs: if it fails, appending goes on.
      await this.options.afterBatch?.({ok, recovered}).catch(() => {})
    }
    // Cleared in the same turn as the last empty-queue check, so no append can slip in unflushed.
    this.flushing = undefined
  }
}

/** All of `data`, however many writes it takes: a write may take less than asked (5,536 of 30,000 bytes on a nearly full tmpfs). */
export async function writeAll(handle: AppendHandle, data: Buffer, file: string): Promise<void> {
  let offset = 0
  while (offset < data.length) {
    const {bytesWritten} = await handle.write(data, offset, data.length - offset)
    if (!(bytesWritten > 0)) throw Object.assign(new Error(`write to ${file} made no progress`), {code: 'EIO'})
    offset += bytesWritten
  }
}
