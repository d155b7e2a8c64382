/** `webhooks events list|show|resend`: the listener's spool, read and replayed outside a running listener. */
import {randomUUID} from 'node:crypto'
import {existsSync} from 'node:fs'

import {UmmahError, UsageError} from '../shared/errors.js'
import type {Attempt} from './answers.js'
import {Forwarder, attemptOf} from './forward.js'
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
  /** How its signature was checked on arrival (null for events kept from before verdicts were recorded). */
  verdict: {verified: boolean; by: string; reason: string | null} | null
  /** `receiver` (the local port) or `relay <channel>`. */
  source: string | null
  /** What the app answered to each forward, oldest first (the last 20). */
  answers: AnswerView[]
}

/** One forward and the app's answer, as `--json` and the inspector show it. */
export interface AnswerView {
  attempt: number
  /** When the forward started, Unix seconds with milliseconds. */
  sent_at: number
  duration_ms: number
  status: number | null
  error: string | null
  headers: Record<string, string>
  /** The first 64 KiB of the answer as text when it is UTF-8 (`body_base64` is the exact bytes kept). */
  body: string | null
  body_base64: string | null
  /** Bytes kept; the answer went on when `truncated` (`answer_bytes` is its length when the app said). */
  body_bytes: number
  truncated: boolean
  answer_bytes: number | null
  /** The body was let go to keep the spool's answers within their budget. */
  dropped: boolean
  retry_in_ms: number | null
  replay: boolean
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

/** Bytes as text when they are valid UTF-8, else null. */
export function utf8(bytes: Buffer): string | null {
  try {
    return new TextDecoder('utf-8', {fatal: true}).decode(bytes)
  } catch {
    return null
  }
}

export function answerView(attempt: Attempt): AnswerView {
  return {
    attempt: attempt.n,
    sent_at: attempt.at / 1000,
    duration_ms: attempt.durationMs,
    status: attempt.status ?? null,
    error: attempt.error ?? null,
    headers: attempt.headers ?? {},
    body: attempt.body ? utf8(attempt.body) : null,
    body_base64: attempt.body ? attempt.body.toString('base64') : null,
    body_bytes: attempt.body?.length ?? 0,
    truncated: attempt.truncated ?? false,
    answer_bytes: attempt.bodyBytes ?? null,
    dropped: attempt.dropped ?? false,
    retry_in_ms: attempt.retryInMs ?? null,
    replay: attempt.replay ?? false,
  }
}

/** Not delivered, and created over STALE_AFTER_S before `now` (Unix seconds): an app with the reference's replay check refuses it. */
export function isStale(event: SpooledEvent, now: number): boolean {
  const created = createdOn(event)
  return event.status !== 'delivered' && created !== undefined && now - created > STALE_AFTER_S
}

export function rowOf(event: SpooledEvent, now: number): EventRow {
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
    stale: isStale(event, now),
    verdict: event.verdict ? {verified: event.verdict.ok, by: event.verdict.by, reason: event.verdict.reason ?? null} : null,
    source: event.source ?? null,
    answers: event.answers.map(answerView),
  }
}

/** An event whole: its row, and the request as received. */
export function detailOf(event: SpooledEvent, now: number): EventDetail {
  return {
    ...rowOf(event, now),
    headers: event.headers,
    body_bytes: event.body.length,
    body: utf8(event.body),
    body_base64: event.body.toString('base64'),
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
  return detailOf(event, Date.now() / 1000)
}

export interface ReplayResult {
  id: string
  type: string
  status: number
  url: string
  duration_ms: number
  attempt: number
}

/**
 * Forwards a stored event's exact bytes and headers once more and records the
 * answer as a replay attempt; `settles`: a 2xx marks an event that is not
 * delivered as delivered (false inside a running listener for an event its
 * queue still holds: the queue decides). forward_failed when the app did not
 * answer 2xx (the attempt is recorded all the same).
 */
export async function replayEvent(spool: Spool, forwarder: Forwarder, event: SpooledEvent, settles = true): Promise<ReplayResult> {
  const outcome = await forwarder.once(event)
  event.attempts++
  const ok = outcome.status !== undefined && outcome.status >= 200 && outcome.status < 300
  const reason = outcome.error ?? `HTTP ${outcome.status}`
  const attempt = attemptOf(outcome, event.attempts, {replay: true, ...(ok ? {} : {error: reason})})
  await (ok && settles && event.status !== 'delivered' ? spool.markDelivered(event, outcome.status!, attempt) : spool.recordAttempt(event, attempt))
  if (!ok)
    throw new UmmahError(`Resending ${event.id} to ${outcome.url} failed: ${reason}`, {
      code: 'forward_failed',
      hint: 'Check that your app is running.',
    })
  return {
    id: event.id,
    type: event.type,
    status: outcome.status!,
    url: outcome.url,
    duration_ms: Math.round(outcome.durationMs),
    attempt: event.attempts,
  }
}

/**
 * `events resend --edit`: the event's body to edit (indented, with a new id
 * so the listener and the app take the copy as a new event) and the
 * listener's webhook the sandbox signs it for.
 */
export async function editableEvent(profile: string, id: string): Promise<{webhookId: string; text: string}> {
  const [event, state] = await Promise.all([showEvent(profile, id), readState(profile)])
  if (!state.webhook_id) throw new UsageError(`Profile "${profile}" has no listener webhook to sign for`, 'Run `ummah webhooks listen` once first.')
  if (event.body === null) throw new UsageError(`Event ${id} is not text, so it cannot be edited`, 'Resend its exact bytes without --edit.')
  let text = event.body
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>
    if (typeof parsed.id === 'string') parsed.id = `evt-${randomUUID()}`
    text = `${JSON.stringify(parsed, null, 2)}\n`
  } catch {
    // Not JSON: edited as the text it is (the sandbox refuses it unless the edit makes it JSON).
  }
  return {webhookId: state.webhook_id, text}
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
    return await replayEvent(spool, forwarder, event)
  } finally {
    await forwarder.stop(0)
    await spool.close()
  }
}
