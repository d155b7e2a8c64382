/**
 * Forwarding spooled deliveries to the developer's app: the exact body bytes
 * and the original headers, in arrival order (or N at a time), redirects not
 * followed, failures that may pass (refused, timeout, 5xx, 408, 429) retried
 * with backoff, honouring Retry-After, until delivered or out of attempts.
 */
import type {Dispatcher} from 'undici'

import {parseRetryAfter} from '../api/client.js'
import {loopbackAddresses} from '../shared/hosts.js'
import {type Undici, loadUndici} from './undici.js'
import {type OAuth2TokenSource, sendWithBearer} from '../schemes/oauth2.js'
import type {Spool, SpooledEvent} from './spool.js'
import {type Clock, Sleeps} from '../shared/clock.js'
import {ANSWER_BODY_BYTES, type Attempt, keptHeaders} from './answers.js'
import type {Chaos, ChaosCopy} from './chaos.js'

/** One forward: the app's answer (or why there was none), as an Attempt records it. */
export interface SendOutcome {
  status?: number
  error?: string
  durationMs: number
  url: string
  retryAfterMs?: number
  /** When the forward started (ms since the epoch). */
  at: number
  headers?: Record<string, string>
  body?: Buffer
  truncated?: boolean
  bodyBytes?: number
}

/** The attempt an outcome records. */
export function attemptOf(outcome: SendOutcome, n: number, extra: Partial<Attempt> = {}): Attempt {
  const {at, durationMs, status, headers, body, truncated, bodyBytes, error} = outcome
  return {n, at, durationMs: Math.round(durationMs), status, headers, body, truncated, bodyBytes, error, ...extra}
}

/** Connection-level headers that belong to one hop, never forwarded. */
export type ForwardReport =
  | {kind: 'response'; event: SpooledEvent; status: number; durationMs: number; url: string}
  | {kind: 'retry'; event: SpooledEvent; status?: number; error?: string; durationMs: number; url: string; delayMs: number}
  | {kind: 'failed'; event: SpooledEvent; status?: number; error: string; durationMs: number; url: string}

export interface ForwarderOptions {
  target: URL
  spool: Spool
  timeoutMs: number
  /** 0: retry while running, without limit. */
  maxAttempts: number
  concurrency: number
  headers: Record<string, string>
  report: (report: ForwardReport) => void
  /** Backoff bounds, ms (tests shorten them). */
  minBackoffMs?: number
  maxBackoffMs?: number
  /** Events waiting beyond which room() holds new deliveries back (default 1000). */
  maxBacklog?: number
  /** `--forward-auth oauth2:…`: a bearer from the app's token endpoint on every forward. */
  tokens?: OAuth2TokenSource
  /** The clock backoffs wait on (tests move it); the system's by default. */
  clock?: Clock
  /** `listen --chaos`: delays, reordering and extra copies (chaos.ts). */
  chaos?: Chaos
}

const RETRYABLE = (status: number) => status >= 500 || status === 408 || status === 429

/**
 * Delivery records (the spool's "delivered" lines) that may still be on their
 * way to disk while the next forwards go out: the spool group-commits them
 * (one fdatasync for every line queued), so a forward no longer waits for the
 * previous record's sync (0.2–0.9 ms here, as long as a loopback forward).
 * What a crash can repeat is bounded by it: the events forwarded whose record
 * was not yet on disk, at most UNRECORDED_MAX, plus one being forwarded per
 * worker. README ("At least once") and the kill -9 test state the same bound.
 */
export const UNRECORDED_MAX = 32

/** Forwards a full backlog makes room for before held deliveries go in (together: one group commit, not one each). */
const ROOM_STEP = 64

export class Forwarder {
  private readonly queue: SpooledEvent[] = []
  private readonly queued = new Set<number>()
  /** Spool writes of queued events still in progress, by seq. */
  private readonly writing = new Map<number, Promise<void>>()
  private readonly inFlight = new Set<Promise<void>>()
  private dispatcher?: Dispatcher
  private stopped = false
  /** The events being forwarded now (a request sent, its answer not yet in), by seq: what a stop waits for, and the inspector's "delivering". */
  private readonly sending = new Set<number>()
  /** Backoffs between attempts, cut short by stop(). */
  private readonly backoffs: Sleeps
  /** Workers waiting for work, oldest first: one is woken per event queued, all by stop(). */
  private readonly waiters: Array<() => void> = []
  /** Deliveries held back until the backlog shrinks. */
  private roomWaiters: Array<() => void> = []
  /** `--chaos` duplicates waiting to be sent after the next event (a copy "later"). */
  private later: Array<{copy: ChaosCopy; event: SpooledEvent}> = []
  /** For `localhost`: the address that answered last, tried first. */
  private hosts: string[]
  /** The target's URL at each of those addresses, made once rather than parsed again for every forward. */
  private readonly urls = new Map<string, URL>()
  private undici?: Undici
  /** Delivery records written but not yet known to be on disk, oldest first (at most UNRECORDED_MAX). */
  private readonly unrecorded: Array<Promise<void>> = []

  constructor(private readonly options: ForwarderOptions) {
    // A local name connects to loopback without DNS (shared/hosts.ts); anything else is resolved as written.
    this.hosts = loopbackAddresses(options.target.hostname) ?? [options.target.hostname]
    this.backoffs = new Sleeps(options.clock)
  }

  /** Starts the workers; pending events are forwarded in arrival order. */
  start(): void {
    for (let worker = 0; worker < this.options.concurrency; worker++) {
      const running = this.work().finally(() => this.inFlight.delete(running))
      this.inFlight.add(running)
    }
  }

  /** Queues an event; `durable`, for one still being written to the spool, holds back its outcome (not its forward) until it is on disk. */
  enqueue(event: SpooledEvent, durable?: Promise<void>): void {
    if (this.stopped || this.queued.has(event.seq)) return
    this.queued.add(event.seq)
    if (durable) this.writing.set(event.seq, durable)
    this.queue.push(event)
    // One worker per event: waking all 16 of --concurrency 16 for each one sent 15 back to sleep, each with a new promise.
    this.waiters.shift()?.()
  }

  /**
   * Undefined while fewer than maxBacklog events wait to be forwarded and
   * none is held, else a promise that resolves once the backlog has drained
   * by ROOM_STEP (undefined, so a caller with room goes on without a turn of
   * the event loop). The receiver awaits it before taking a delivery, so a
   * sender faster than the app is slowed to the app's pace instead of
   * filling memory. Held deliveries go in together and in the order they
   * came: let in one or two as each forward started, each small group was a
   * spool write and fdatasync of its own (0.37 fdatasync an event in order
   * under the bench's load, 0.13 with --concurrency 16).
   */
  room(): Promise<void> | undefined {
    if (this.stopped || (this.roomWaiters.length === 0 && this.queue.length < this.maxBacklog)) return undefined
    return new Promise((resolve) => this.roomWaiters.push(resolve))
  }

  private get maxBacklog(): number {
    return this.options.maxBacklog ?? 1000
  }

  private releaseRoom(): void {
    if (this.roomWaiters.length === 0) return
    if (!this.stopped && this.queue.length > this.maxBacklog - Math.max(1, Math.min(ROOM_STEP, Math.floor(this.maxBacklog / 2)))) return
    for (const resolve of this.roomWaiters.splice(0)) resolve()
  }

  /** How many forwards are under way: what a stop waits for. */
  forwarding(): number {
    return this.sending.size
  }

  /** Whether this event is being forwarded right now. */
  sendingNow(seq: number): boolean {
    return this.sending.has(seq)
  }

  /** Whether the queue holds this event (waiting, being forwarded, or between retries): its outcome is the queue's to record. */
  holds(seq: number): boolean {
    return this.queued.has(seq)
  }

  /** Stops taking new work; waits up to `graceMs` for forwards in progress, then gives up on them (they stay pending in the spool). */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true
    this.backoffs.stop()
    for (const waiter of this.waiters.splice(0)) waiter()
    this.releaseRoom()
    let timer: NodeJS.Timeout | undefined
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs)
    })
    await Promise.race([Promise.allSettled([...this.inFlight]), grace])
    // Deliveries whose record waits for the event's own line (deliver()): recorded before the spool closes.
    await Promise.race([Promise.allSettled([...this.unrecorded]), grace])
    // The duplicates still owed are sent within what is left of the grace.
    await Promise.race([this.sendLater(), grace])
    clearTimeout(timer)
    await this.dispatcher?.destroy()
  }

  /** Forwards one event once, outside the queue (`webhooks events resend`). */
  async once(event: SpooledEvent): Promise<SendOutcome> {
    return this.send(event)
  }

  private async work(): Promise<void> {
    while (!this.stopped) {
      const event = this.queue.shift()
      this.releaseRoom()
      // --chaos reorder: this one goes behind the next.
      if (event && this.options.chaos?.reorder(event.seq, this.queue.length > 0)) {
        this.queue.splice(1, 0, event)
        continue
      }
      if (!event) {
        await new Promise<void>((resolve) => this.waiters.push(resolve))
        continue
      }
      // A delivery whose record waits for its line is the queue's until recorded (deliver()): a replay meanwhile does not settle it.
      if (!(await this.deliver(event))) this.queued.delete(event.seq)
    }
  }

  /**
   * Forwards one event until it is delivered, failed or the forwarder stops,
   * and records the outcome: a delivery's record is group-committed while the
   * worker goes on (UNRECORDED_MAX bounds what a crash repeats); a failure's
   * is awaited (rare, and its line must precede a resend's). Resolves true
   * for a delivery, which its record takes out of the queue once written.
   */
  private async deliver(event: SpooledEvent): Promise<boolean> {
    const {spool, maxAttempts, report} = this.options
    const minBackoff = this.options.minBackoffMs ?? 250
    const maxBackoff = this.options.maxBackoffMs ?? 10_000
    const {chaos} = this.options
    const chaosDelayMs = chaos?.delayMs() ?? 0
    if (chaosDelayMs > 0) await this.backoffs.sleep(chaosDelayMs)
    while (!this.stopped) {
      event.attempts++
      this.sending.add(event.seq)
      const outcome = await this.send(event).finally(() => this.sending.delete(event.seq))
      // An attempt cut short by stopping (its connection closed at the end of the grace) is not an outcome:
      // the event stays pending, and the next run forwards it first.
      if (outcome.status === undefined && this.stopped) return false
      const {status, error, durationMs, url} = outcome
      if (status !== undefined && status >= 200 && status < 300) {
        // Recorded and reported once the event's own line is on disk (the record follows it in the file, "received" is
        // printed before "delivered"), without holding this worker: the next event goes out meanwhile. Waiting here held
        // the next forward as long as this line's O_DSYNC write took (now and then 5–34 ms on the bench's disk). On that
        // disk an interleaved A/B showed no change in p99 (the slow writes and slow forwards were mostly one hiccup of the
        // machine); on a disk whose writes are slow, in-order forwards are no longer paced by them.
        const recorded = this.spooled(event).then((stored) => {
          // Not stored after all (disk full): the sender was not told 200 and sends it again; nothing to record.
          if (!stored) return
          // Marked in memory first (markDelivered's synchronous part), so whoever the report reaches (the inspector) reads the outcome.
          // Were the record lost in a crash, the event would be forwarded again, not lost.
          // A failed write is the spool's to report (disk-full); the outcome is rewritten once it can write again.
          // Lazy: it shares the next arrival's write and fdatasync, not one of its own per forward (in order, one every ~0.5 ms).
          const line = spool.markDelivered(event, status, attemptOf(outcome, event.attempts), {lazy: true}).catch(() => {})
          report({kind: 'response', event, status, durationMs, url})
          return line
        })
        // Not awaited: the next forward goes out while this record is synced with others; only past UNRECORDED_MAX does a worker wait.
        this.unrecorded.push(recorded)
        void recorded.then(() => {
          this.unrecorded.splice(this.unrecorded.indexOf(recorded), 1)
          this.queued.delete(event.seq)
        })
        while (this.unrecorded.length > UNRECORDED_MAX) await this.unrecorded[0]
        if (chaos) {
          // The chaos copies follow the original's report, as they always did.
          await recorded
          await this.chaosAfter(chaos, event, chaosDelayMs > 0, status)
        }
        return true
      }
      // Not stored after all (disk full): the sender was not told 200 and sends it again; nothing to record.
      if (!(await this.spooled(event))) return false
      const retryable = status === undefined ? !this.stopped : RETRYABLE(status)
      const reason = error ?? (status !== undefined && status >= 300 && status < 400 ? `redirect (${status}) not followed` : `HTTP ${status}`)
      if (!retryable || (maxAttempts > 0 && event.attempts >= maxAttempts)) {
        await spool.markFailed(event, reason, status, attemptOf(outcome, event.attempts, {error: reason})).catch(() => {})
        report({kind: 'failed', event, status, error: reason, durationMs, url})
        return false
      }
      const backoff = Math.min(maxBackoff, minBackoff * 2 ** Math.min(event.attempts - 1, 16))
      const delayMs = Math.max(Math.round(backoff / 2 + (Math.random() * backoff) / 2), Math.min(outcome.retryAfterMs ?? 0, 60_000))
      // Not awaited: the retry waits out its backoff anyway, and the line follows the event's own (spooled() above).
      spool.recordAttempt(event, attemptOf(outcome, event.attempts, {retryInMs: delayMs}), {lazy: true}).catch(() => {})
      report({kind: 'retry', event, status, error, durationMs, url, delayMs})
      // stop() cuts the backoff short; the event stays pending in the spool.
      await this.backoffs.sleep(delayMs)
    }
    return false
  }

  /** After an acknowledged event: the duplicates owed by earlier events, then this one's stale and bad-signature copies; its own duplicate waits for the next. */
  private async chaosAfter(chaos: Chaos, event: SpooledEvent, delayed: boolean, status: number): Promise<void> {
    if (delayed) chaos.record('delay', event.id, status)
    if (chaos.reordered(event.seq)) chaos.record('reorder', event.id, status)
    chaos.forget(event.seq)
    await this.sendLater()
    for (const copy of await chaos.copies(event.body, event.headers)) {
      if (copy.kind === 'duplicate') this.later.push({copy, event})
      else chaos.record(copy.kind, event.id, (await this.sendOnce({...event, body: copy.body, headers: copy.headers}, {})).status)
    }
  }

  private async sendLater(): Promise<void> {
    const {chaos} = this.options
    for (const {copy, event} of this.later.splice(0)) {
      chaos?.record(copy.kind, event.id, (await this.sendOnce({...event, body: copy.body, headers: copy.headers}, {})).status)
    }
  }

  /**
   * Waits for the event's own spool line before its outcome is written and
   * reported: the outcome line then follows it in the file, and "received"
   * is printed before "delivered". False when the line could not be written
   * (the pipeline answers 503, so the sender tries again).
   */
  private async spooled(event: SpooledEvent): Promise<boolean> {
    const durable = this.writing.get(event.seq)
    if (!durable) return true
    this.writing.delete(event.seq)
    return durable.then(
      () => true,
      () => false,
    )
  }

  private async send(event: SpooledEvent): Promise<SendOutcome> {
    const {tokens} = this.options
    if (!tokens) return this.sendOnce(event, {})
    const at = Date.now()
    try {
      return await sendWithBearer(tokens, (authorization) => this.sendOnce(event, {authorization}))
    } catch (error) {
      // The token endpoint failed: a failed attempt like any other, retried with backoff.
      return {error: `token endpoint: ${(error as Error).message}`, durationMs: 0, url: this.options.target.href, at}
    }
  }

  private urlAt(host: string): URL {
    const url = new URL(this.options.target.href)
    url.hostname = host.includes(':') ? `[${host}]` : host
    this.urls.set(host, url)
    return url
  }

  private async sendOnce(event: SpooledEvent, auth: Record<string, string>): Promise<SendOutcome> {
    const {Agent, exchange} = this.undici ?? (this.undici = await loadUndici())
    this.dispatcher ??= new Agent({keepAliveTimeout: 10_000, connect: {timeout: Math.min(this.options.timeoutMs, 10_000)}})
    const {target} = this.options
    const started = performance.now()
    const at = Date.now()
    let lastError = 'connection failed'
    for (const host of this.hosts) {
      const url = this.urls.get(host) ?? this.urlAt(host)
      try {
        // The first ANSWER_BODY_BYTES of the answer: a longer one is not read on (undici closes that connection).
        const answer = await exchange(
          this.dispatcher,
          url,
          {
            method: 'POST',
            headers: {...event.headers, ...this.options.headers, ...auth, host: target.host},
            body: event.body,
            // undici's own timers rather than an AbortSignal.timeout per forward, which
            // would keep a timer alive for the whole timeout after every answered request.
            headersTimeout: this.options.timeoutMs,
            bodyTimeout: this.options.timeoutMs,
          },
          ANSWER_BODY_BYTES,
        )
        if (this.hosts[0] !== host) this.hosts = [host, ...this.hosts.filter((other) => other !== host)]
        const outcome: SendOutcome = {
          status: answer.status,
          durationMs: performance.now() - started,
          url: target.href,
          retryAfterMs: parseRetryAfter(first(answer.headers['retry-after'])),
          at,
          headers: keptHeaders(answer.headers),
          body: answer.body,
        }
        if (answer.truncated) {
          outcome.truncated = true
          // Its length, when Content-Length says it.
          const declared = Number(first(answer.headers['content-length']))
          if (Number.isSafeInteger(declared) && declared > ANSWER_BODY_BYTES) outcome.bodyBytes = declared
        }
        return outcome
      } catch (error) {
        lastError = describe(error, this.options.timeoutMs)
        // Only a refused connection means "try the next address"; anything else happened at this one.
        if (code(error) !== 'ECONNREFUSED' && code(error) !== 'EADDRNOTAVAIL') break
      }
    }
    return {error: lastError, durationMs: performance.now() - started, url: target.href, at}
  }
}

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value)

function code(error: unknown): string | undefined {
  const failure = error as NodeJS.ErrnoException & {cause?: NodeJS.ErrnoException}
  return failure.code ?? failure.cause?.code
}

function describe(error: unknown, timeoutMs: number): string {
  const failure = error as Error
  const errno = code(error)
  if (failure.name === 'TimeoutError' || errno === 'UND_ERR_HEADERS_TIMEOUT' || errno === 'UND_ERR_BODY_TIMEOUT')
    return `timed out after ${timeoutMs} ms`
  if (errno === 'ECONNREFUSED') return 'connection refused'
  if (errno === 'ECONNRESET' || errno === 'UND_ERR_SOCKET') return 'connection reset'
  return errno ?? failure.message
}
