/** `webhooks events list|show|resend`: the listener's spool, read and replayed outside a running listener. */
import {existsSync} from 'node:fs'

import {UmmahError, UsageError} from '../shared/errors.js'
import {Forwarder} from './forward.js'
import {parseForwardTarget} from './forward-target.js'
import {readState, spoolFile} from './listen.js'
import {STALE_AFTER_S, createdOn} from './pipeline.js'
import {Spool, type SpooledEvent} from './spool.js'

export interface EventRow {
  id: string
  type: string
  status: string
  attempts: number
  response_status: number | null
  error: string | null
  received_at: number
  /** The event's own `created_on`, when its body has one. */
  created_on: number | null
  /** Not yet delivered and created over 10 minutes ago: an app with the reference's replay check answers 400 "stale event". */
  stale: boolean
}

/** One event whole: the row, and the request as the listener received it. */
export interface EventDetail extends EventRow {
  /** The delivery's headers as received (the ones the listener keeps and forwards). */
  headers: Record<string, string>
  body_bytes: number
  /** The body as text when it is UTF-8 (the exact bytes are `body_base64`). */
  body: string | null
  body_base64: string
}

async function openSpool(profile: string): Promise<Spool | undefined> {
  return existsSync(spoolFile(profile)) ? Spool.open(spoolFile(profile), {compact: false}) : undefined
}

function rowOf(event: SpooledEvent, now: number): EventRow {
  const created = createdOn(event)
  return {
    id: event.id,
    type: event.type,
    status: event.status,
    attempts: event.attempts,
    response_status: event.responseStatus ?? null,
    error: event.error ?? null,
    received_at: Math.floor(event.receivedAt / 1000),
    created_on: created ?? null,
    stale: event.status !== 'delivered' && created !== undefined && now - created > STALE_AFTER_S,
  }
}

/** Every spooled event, oldest first. */
export async function readSpool(profile: string): Promise<EventRow[]> {
  const spool = await openSpool(profile)
  if (!spool) return []
  const now = Date.now() / 1000
  const rows = spool.all().map((event) => rowOf(event, now))
  await spool.close()
  return rows
}

/** The event with this id, whole; not_found (exit 4) when the spool no longer keeps it. */
export async function showEvent(profile: string, id: string): Promise<EventDetail> {
  const spool = await openSpool(profile)
  const event = spool?.find(id)
  await spool?.close()
  if (!event) throw new UmmahError(`No event ${id} in the listener spool`, {code: 'not_found', hint: 'See `ummah webhooks events list`.'})
  const text = new TextDecoder('utf-8', {fatal: true})
  let body: string | null
  try {
    body = text.decode(event.body)
  } catch {
    body = null
  }
  return {...rowOf(event, Date.now() / 1000), headers: event.headers, body_bytes: event.body.length, body, body_base64: event.body.toString('base64')}
}

export async function resendEvent(profile: string, id: string, options: {forward?: string; timeoutMs: number}) {
  const forward = options.forward ?? (await readState(profile)).forward
  if (!forward) throw new UsageError('No target to resend to', 'Pass --forward, e.g. --forward localhost:3000/webhook.')
  const spool = await openSpool(profile)
  const event = spool?.find(id)
  if (!spool || !event) {
    await spool?.close()
    throw new UmmahError(`No event ${id} in the listener spool`, {code: 'not_found', hint: 'See `ummah webhooks events list`.'})
  }
  const forwarder = new Forwarder({
    target: parseForwardTarget(forward),
    spool,
    timeoutMs: options.timeoutMs,
    maxAttempts: 1,
    concurrency: 1,
    headers: {},
    report: () => {},
  })
  try {
    const outcome = await forwarder.once(event)
    if (outcome.status === undefined || outcome.status >= 300) {
      throw new UmmahError(`Resending ${id} to ${outcome.url} failed: ${outcome.error ?? `HTTP ${outcome.status}`}`, {
        code: 'forward_failed',
        hint: 'Check that your app is running.',
      })
    }
    event.attempts++
    await spool.markDelivered(event, outcome.status)
    return {id, type: event.type, status: outcome.status, url: outcome.url, duration_ms: Math.round(outcome.durationMs)}
  } finally {
    await forwarder.stop(0)
    await spool.close()
  }
}
