/** `webhooks events list|resend`: the listener's spool, read and replayed outside a running listener. */
import {existsSync} from 'node:fs'

import {UmmahError, UsageError} from '../shared/errors.js'
import {Forwarder} from './forward.js'
import {parseForwardTarget} from './forward-target.js'
import {readState, spoolFile} from './listen.js'
import {STALE_AFTER_S, createdOn} from './pipeline.js'
import {Spool} from './spool.js'

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

async function openSpool(profile: string): Promise<Spool | undefined> {
  return existsSync(spoolFile(profile)) ? Spool.open(spoolFile(profile), {compact: false}) : undefined
}

/** Every spooled event, oldest first. */
export async function readSpool(profile: string): Promise<EventRow[]> {
  const spool = await openSpool(profile)
  if (!spool) return []
  const now = Date.now() / 1000
  const rows = spool.all().map((event) => {
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
  })
  await spool.close()
  return rows
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
