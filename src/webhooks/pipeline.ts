/**
 * The one way a delivery goes through the listener: verify → spool → forward.
 * Deliveries come from an EventSource (the local HTTP receiver today; a
 * connection out to `ummah relay` next), which hands each one to the
 * pipeline's Intake and answers the sender with what it returns. Everything
 * that happens is emitted as a typed ListenLine to one sink; rendering it
 * (text or NDJSON) is the CLI's business.
 *
 * The answers are the delivery promise: 200 only once the event is durably
 * spooled (or was already); 403 only for a signature that does not verify;
 * 503 while the listener is starting or cannot write its spool, so the
 * sender retries instead of giving up on a genuine delivery.
 */
import {createHash} from 'node:crypto'

import {forwardableHeaders} from '../shared/http-body.js'
import {type ForwardReport, Forwarder, type ForwarderOptions} from './forward.js'
import {DELIVERY_HEADERS, type WebhookRequest} from '../schemes/types.js'
import type {ChaosSummary} from './chaos.js'
import type {Verdict} from '../schemes/signature.js'
import type {Spool, SpooledEvent} from './spool.js'
import type {ReplayResult} from './events.js'

/** An event's state as the inspector shows it (stale is shown beside it). */
export type EventState = 'pending' | 'delivering' | 'retrying' | 'delivered' | 'failed'

/** What the listener reports, one per line; `--format json` prints these objects as NDJSON. */
export type ListenLine =
  | {
      type: 'ready'
      url: string
      forward: string
      webhook_id: string
      public_key: string
      events: string[] | 'all'
      pending: number
      key_changed: boolean
      previous_webhook_id?: string
      relay?: string
      channel?: string
      /** The inspector's URL, with its per-run token. */
      inspector?: string
      /** `--chaos`: the seed its choices came from (`--seed` repeats them). */
      chaos_seed?: number
    }
  | {type: 'event'; id: string; event_type: string; seq?: number; verified: boolean; duplicate?: boolean}
  | ({
      type: 'response'
      id: string
      event_type: string
      status: number
      method: 'POST'
      url: string
      duration_ms: number
      attempt: number
    } & Staleness)
  | ({
      type: 'retry'
      id: string
      event_type: string
      status?: number
      error?: string
      url: string
      duration_ms: number
      attempt: number
      retry_in_ms: number
    } & Staleness)
  | ({
      type: 'error'
      id?: string
      event_type?: string
      status?: number
      error: string
      url?: string
      attempt?: number
      stage: 'forward' | 'receive' | 'webhook'
    } & Staleness)
  | {type: 'disk-full'; path: string; code: string; error: string}
  | {type: 'disk-ok'; path: string}
  | {type: 'damaged'; path: string; lines: number}
  | {
      type: 'relay'
      state: 'connected' | 'disconnected' | 'missed'
      relay: string
      channel: string
      waiting?: number
      resumed?: boolean
      error?: string
      retry_in_s?: number
      missed?: number
    }
  | {type: 'stopping'; in_flight: number; grace_ms: number}
  | {
      type: 'summary'
      received: number
      delivered: number
      failed: number
      pending: number
      rejected: number
      duplicates: number
      /** `--chaos`: what the app did with each kind. */
      chaos?: ChaosSummary
    }

/** Set on a forward of an event created over STALE_AFTER_S ago. */
export interface Staleness {
  /** Seconds between the event's `created_on` and this forward. */
  age_s?: number
  stale?: true
}

/**
 * The API reference's replay protection refuses `created_on` more than 10
 * minutes from now (400 "stale event"): an event that waited in the spool
 * while the app was down or the laptop slept is flagged, so that 400 makes sense.
 */
export const STALE_AFTER_S = 600

export interface Delivery {
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

export interface Answer {
  status: number
  body: Record<string, unknown>
  headers?: Record<string, string>
}

/** The pipeline's entry, as an EventSource sees it. */
export interface Intake {
  receive(delivery: Delivery): Promise<Answer>
  /** A delivery the source refused itself (too large): counted and reported like the pipeline's own refusals. */
  refused(status: number, reason: string, type?: string, id?: string): void
}

/** Where deliveries come from. */
export interface EventSource {
  /** Starts taking deliveries; what the sender should post to (the webhook's callback). */
  start(intake: Intake): Promise<{url: string}>
  close(): Promise<void>
}

export interface PipelineOptions {
  spool: Spool
  verify: (request: WebhookRequest) => Verdict
  /**
   * The delivery headers the scheme defines (Scheme.headers): only these,
   * content-type and user-agent are kept and forwarded; whatever a relay or
   * proxy added on the way (x-forwarded-for, cookie, authorization…) is dropped.
   */
  deliveryHeaders: readonly string[]
  skipVerify: boolean
  /** What checks signatures, as each event's verdict names it: the scheme and the key's fingerprint. */
  checkedBy?: () => string
  /** Where deliveries come from, kept with each event: `receiver`, or `relay <channel>`. */
  source?: string
  forward: Omit<ForwarderOptions, 'spool' | 'report'>
  emit: (line: ListenLine) => void
  now?: () => number
}

export interface Counts {
  received: number
  delivered: number
  failed: number
  rejected: number
  duplicates: number
}

// How soon a sender should try again while the listener starts (seconds), and while its disk is full.
const RETRY_STARTING_S = 2
const RETRY_DISK_S = 30

export class Pipeline implements Intake {
  readonly counts: Counts = {received: 0, delivered: 0, failed: 0, rejected: 0, duplicates: 0}
  private readonly forwarder: Forwarder
  private open = false
  private readonly keep: ReadonlySet<string>

  constructor(private readonly options: PipelineOptions) {
    this.keep = new Set([...DELIVERY_HEADERS, ...options.deliveryHeaders])
    this.forwarder = new Forwarder({...options.forward, spool: options.spool, report: (report) => options.emit(this.forwardLine(report))})
  }

  /** Takes deliveries from now on (before: 503), and forwards what an earlier run left pending, first and in order. */
  start(): number {
    const pending = this.options.spool.pending()
    for (const event of pending) this.forwarder.enqueue(event)
    this.forwarder.start()
    this.open = true
    return pending.length
  }

  async receive(delivery: Delivery): Promise<Answer> {
    // Before the webhook's key is known a genuine delivery would fail verification: never refuse it for a reason of our own.
    if (!this.open) return {status: 503, headers: {'retry-after': String(RETRY_STARTING_S)}, body: {error: 'starting, try again'}}
    const {body} = delivery
    const {id, type, created} = identify(body)
    const verdict = this.options.verify({headers: delivery.headers as Record<string, string | undefined>, body})
    if (!verdict.ok && !this.options.skipVerify) {
      this.refused(403, verdict.reason, type, id)
      return {status: 403, body: {error: 'Invalid signature'}}
    }
    // No await unless the backlog is full: calls made in order are spooled in that order (the relay source relies on it).
    const full = this.forwarder.room()
    if (full) await full
    const admission = await this.options.spool.admit({
      id,
      type,
      headers: forwardableHeaders(delivery.headers, this.keep),
      body,
      verdict: {ok: verdict.ok, by: this.options.checkedBy?.() ?? 'signature', ...(verdict.ok ? {} : {reason: verdict.reason})},
      source: this.options.source,
    })
    if (admission.duplicate) {
      this.counts.duplicates++
      this.options.emit({type: 'event', id, event_type: type, verified: true, duplicate: true})
      return {status: 200, body: {received: true, duplicate: true}}
    }
    const {event, durable} = admission
    // Parsed once, here: the forward lines ask for it again.
    createdOnCache.set(event, created)
    // Forwarding may start while the line is written: were it not stored, the sender gets no 200 and sends it again (at least once, never lost).
    this.forwarder.enqueue(event, durable)
    try {
      await durable
    } catch (error) {
      // Reported once per outage by the spool's health line (disk-full); the sender retries.
      return {
        status: 503,
        headers: {'retry-after': String(RETRY_DISK_S)},
        body: {error: `not stored: ${(error as NodeJS.ErrnoException).code ?? 'write failed'}`},
      }
    }
    this.counts.received++
    // Reported once spooled, so a reported event survives a crash.
    this.options.emit({type: 'event', id: event.id, event_type: event.type, seq: event.seq, verified: verdict.ok})
    return {status: 200, body: {received: true}}
  }

  refused(status: number, reason: string, type?: string, id?: string): void {
    this.counts.rejected++
    this.options.emit({type: 'error', stage: 'receive', status, error: reason, id, event_type: type})
  }

  /** Forwards a stored event once more, outside the queue (the inspector's replay), recording the app's answer. */
  async replay(event: SpooledEvent): Promise<ReplayResult> {
    const {replayEvent} = await import('./events.js')
    return replayEvent(this.options.spool, this.forwarder, event, !this.forwarder.holds(event.seq))
  }

  /** Where an event is now, as the inspector shows it. */
  stateOf(event: SpooledEvent): EventState {
    if (event.status !== 'pending') return event.status
    if (this.forwarder.sendingNow(event.seq)) return 'delivering'
    return event.answers.at(-1)?.retryInMs === undefined ? 'pending' : 'retrying'
  }

  /** Forwards under way, for the line a stop prints. */
  inFlight(): number {
    return this.forwarder.forwarding()
  }

  /** Stops taking work; waits up to `graceMs` for forwards in progress (they stay pending otherwise). */
  async stop(graceMs: number): Promise<void> {
    this.open = false
    await this.forwarder.stop(graceMs)
  }

  private forwardLine(report: ForwardReport): ListenLine {
    const {event} = report
    const common = {
      id: event.id,
      event_type: event.type,
      url: report.url,
      attempt: event.attempts,
      duration_ms: Math.round(report.durationMs),
      ...this.staleness(event),
    }
    switch (report.kind) {
      case 'response':
        this.counts.delivered++
        return {type: 'response', ...common, status: report.status, method: 'POST'}
      case 'retry':
        return {type: 'retry', ...common, status: report.status, error: report.error, retry_in_ms: report.delayMs}
      case 'failed':
        this.counts.failed++
        return {type: 'error', stage: 'forward', ...common, status: report.status, error: report.error}
    }
  }

  private staleness(event: SpooledEvent): Staleness {
    const created = createdOn(event)
    if (created === undefined) return {}
    const age = Math.max(0, Math.round((this.options.now ?? Date.now)() / 1000 - created))
    return age > STALE_AFTER_S ? {age_s: age, stale: true} : {}
  }
}

const createdOnCache = new WeakMap<object, number | undefined>()

/** The event's `created_on` (Unix seconds), when its body has one; parsed once per event (at receipt, or for one from an earlier run, when first asked). */
export function createdOn(event: {body: Buffer}): number | undefined {
  if (!createdOnCache.has(event)) createdOnCache.set(event, identify(event.body).created)
  return createdOnCache.get(event)
}

/** The event's id, type and `created_on` from its JSON; a body without an id is keyed by its digest. */
function identify(body: Buffer): {id: string; type: string; created?: number} {
  const digest = () => `sha256-${createHash('sha256').update(body).digest('hex').slice(0, 32)}`
  try {
    const parsed = JSON.parse(body.toString('utf8')) as {id?: unknown; type?: unknown; event_type?: unknown; created_on?: unknown}
    const type = typeof parsed.type === 'string' ? parsed.type : typeof parsed.event_type === 'string' ? parsed.event_type : 'unknown'
    const created = typeof parsed.created_on === 'number' && Number.isFinite(parsed.created_on) ? parsed.created_on : undefined
    return {id: typeof parsed.id === 'string' && parsed.id ? parsed.id : digest(), type, created}
  } catch {
    return {id: digest(), type: 'unknown'}
  }
}
