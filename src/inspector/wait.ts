/**
 * Waiting for what a running listener did with events: `trigger --wait`,
 * `trigger --count` and `webhooks expect`. The listener is polled through
 * its inspector API (client.ts) for events of one type received since the
 * wait began; each new event is read once and assigned to what it answers
 * (a caused object, a `--where` match), and the wait ends when every
 * expectation has its outcome or the deadline passes.
 */
import {percentile} from '../shared/numbers.js'
import type {Detail, ListRow} from './model.js'
import type {ListenerClient} from './client.js'

/** What the app did with one event, as the listener saw it. */
export interface Delivery {
  seq: number
  id: string
  type: string
  /** Unix seconds. */
  received_at: number
  /** acknowledged: the app answered 2xx; rejected: it answered something else, or the listener gave up; waiting: neither yet. */
  outcome: Outcome
  state: string
  attempts: number
  /** The app's status on its last attempt (null: no answer, see `error`). */
  status: number | null
  error: string | null
  /** How long the app took to answer its last attempt. */
  latency_ms: number | null
  /** The first lines of the app's last answer, for a rejected event. */
  answer?: string
}

export type Outcome = 'acknowledged' | 'rejected' | 'waiting'

/** How often the listener is asked: 50 ms adds at most that to a wait, and ~20 loopback requests a second cost it nothing measurable. */
export const POLL_MS = 50
/** The lines of a rejecting answer shown: enough for an error message and its first frames. */
const ANSWER_LINES = 8
const ANSWER_CHARS = 1000

export function outcomeOf(row: ListRow): Outcome {
  if (row.state === 'delivered') return 'acknowledged'
  if (row.state === 'failed') return 'rejected'
  // An answer outside 2xx is the app's word, whatever its retries may bring: CI fails on it now.
  if (row.last_status !== null && (row.last_status < 200 || row.last_status > 299)) return 'rejected'
  return 'waiting'
}

/** The first lines of an answer's text. */
export function firstLines(text: string | null | undefined): string | undefined {
  if (!text) return undefined
  const lines = text.split('\n').slice(0, ANSWER_LINES).join('\n')
  return lines.length > ANSWER_CHARS ? `${lines.slice(0, ANSWER_CHARS)}…` : lines
}

export interface WatchOptions {
  client: ListenerClient
  type: string
  /** Unix seconds: events received before this are not looked at. */
  since: number
  /** ms since the epoch. */
  deadline: number
  /** The key of what this event answers, or undefined when it answers nothing (read once per event). */
  classify(detail: Detail): string | undefined
  /** Whether the wait is over, given the deliveries so far by key. */
  done(byKey: ReadonlyMap<string, readonly Delivery[]>): boolean
  /** Told of each poll's deliveries (a progress line); optional. */
  progress?: (byKey: ReadonlyMap<string, readonly Delivery[]>) => void
  pollMs?: number
}

export interface WatchResult {
  byKey: Map<string, Delivery[]>
  timedOut: boolean
}

export async function watch(options: WatchOptions): Promise<WatchResult> {
  const {client} = options
  const keys = new Map<number, string | null>()
  const answers = new Map<number, string | undefined>()
  for (;;) {
    const rows = await client.rows({type: options.type, since: options.since})
    const byKey = new Map<string, Delivery[]>()
    // Oldest first, so a key's first delivery is the original and later ones its duplicates.
    for (const row of rows.reverse()) {
      if (!keys.has(row.seq)) keys.set(row.seq, options.classify(await client.event(row.seq)) ?? null)
      const key = keys.get(row.seq)
      if (key === null || key === undefined) continue
      const outcome = outcomeOf(row)
      if (outcome === 'rejected' && !answers.has(row.seq)) answers.set(row.seq, firstLines((await client.event(row.seq)).answers.at(-1)?.body))
      const delivery: Delivery = {
        seq: row.seq,
        id: row.id,
        type: row.type,
        received_at: row.received_at,
        outcome,
        state: row.state,
        attempts: row.attempts,
        status: row.last_status,
        error: row.last_error,
        latency_ms: row.last_ms,
        ...(outcome === 'rejected' && answers.get(row.seq) !== undefined ? {answer: answers.get(row.seq)} : {}),
      }
      byKey.set(key, [...(byKey.get(key) ?? []), delivery])
    }
    options.progress?.(byKey)
    if (options.done(byKey)) return {byKey, timedOut: false}
    const left = options.deadline - Date.now()
    if (left <= 0) return {byKey, timedOut: true}
    await new Promise((resolve) => setTimeout(resolve, Math.min(left, options.pollMs ?? POLL_MS)))
  }
}

/** Latency percentiles (nearest rank) over the acknowledged deliveries. */
export function percentiles(values: number[]): {p50: number | null; p95: number | null; p99: number | null} {
  const sorted = [...values].sort((a, b) => a - b)
  return {p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99)}
}
