/**
 * What the inspector's page reads: a page of the list (filtered, newest
 * first, paged by seq so nothing grows with the event count), one event whole
 * with "copy as curl", and the refused deliveries the spool never keeps.
 */
import {detailOf, type EventDetail, isStale} from '../webhooks/events.js'
import type {EventState} from '../webhooks/pipeline.js'
import type {Inspection} from '../webhooks/listen.js'
import type {SpooledEvent} from '../webhooks/spool.js'

/** Rows per page: the first paint of a list of any length draws this many. */
export const PAGE_ROWS = 100
/** The most rows one page may ask for (`?limit=`): a burst's 1,000 events in one answer of ~300 kB. */
export const MAX_PAGE_ROWS = 1000

export interface ListRow {
  seq: number
  id: string
  type: string
  received_at: number
  source: string | null
  verified: boolean | null
  state: EventState | 'refused'
  stale: boolean
  attempts: number
  last_status: number | null
  last_error: string | null
  last_ms: number | null
  /** Why a refused delivery was refused. */
  reason?: string
}

export interface Filters {
  type?: string
  state?: string
  /** Free text, looked for in the body's bytes. */
  text?: string
  /** Only events received at or after this time (Unix seconds): `trigger --wait` and `webhooks expect` ask for what came since they began. */
  since?: number
}

export function rowOf(inspection: Inspection, event: SpooledEvent, now = Date.now() / 1000): ListRow {
  const last = event.answers.at(-1)
  return {
    seq: event.seq,
    id: event.id,
    type: event.type,
    received_at: event.receivedAt / 1000,
    source: event.source ?? null,
    verified: event.verdict?.ok ?? null,
    state: inspection.stateOf(event),
    stale: isStale(event, now),
    attempts: event.attempts,
    last_status: last?.status ?? event.responseStatus ?? null,
    last_error: last?.error ?? event.error ?? null,
    last_ms: last ? last.durationMs : null,
  }
}

export function matches(inspection: Inspection, event: SpooledEvent, filters: Filters): boolean {
  if (filters.type && event.type !== filters.type) return false
  if (filters.since !== undefined && event.receivedAt / 1000 < filters.since) return false
  if (filters.state && (filters.state === 'stale' ? !isStale(event, Date.now() / 1000) : inspection.stateOf(event) !== filters.state)) return false
  return !filters.text || event.body.includes(filters.text) || event.id.includes(filters.text)
}

/** Up to PAGE_ROWS rows older than `before` (newest first), and where the next page starts. */
export function listPage(inspection: Inspection, filters: Filters, before = Number.POSITIVE_INFINITY, limit = PAGE_ROWS) {
  const events = inspection.spool.all()
  const rows: ListRow[] = []
  let index = events.length - 1
  while (index >= 0 && events[index].seq >= before) index--
  for (; index >= 0 && rows.length < limit; index--) if (matches(inspection, events[index], filters)) rows.push(rowOf(inspection, events[index]))
  const types = [...new Set(events.map((event) => event.type))].sort()
  return {events: rows, next: index >= 0 && rows.length === limit ? rows.at(-1)!.seq : null, kept: events.length, types}
}

export interface Detail extends EventDetail {
  seq: number
  state: ListRow['state']
  /** The request as a shell command: the exact bytes (base64-decoded) and headers, to the forward target. */
  curl: string
}

const shellQuote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`

export function detail(inspection: Inspection, event: SpooledEvent): Detail {
  const headers = Object.entries(event.headers).map(([name, value]) => `-H ${shellQuote(`${name}: ${value}`)}`)
  // Through base64, so any byte (a newline at the end, invalid UTF-8) arrives exactly.
  const curl = [
    `printf %s ${shellQuote(event.body.toString('base64'))} | base64 -d |`,
    `curl -sS -X POST ${shellQuote(inspection.forward)}`,
    ...headers,
    '--data-binary @-',
  ].join(' \\\n  ')
  return {...detailOf(event, Date.now() / 1000), seq: event.seq, state: inspection.stateOf(event), curl}
}

/** Deliveries refused (bad signature, too large): never spooled, so the inspector keeps the last REFUSED_KEPT itself. */
export const REFUSED_KEPT = 200

export class RefusedLog {
  private readonly rows: ListRow[] = []
  private next = -1

  add(entry: {status?: number; reason: string; type?: string; id?: string}): ListRow {
    const row: ListRow = {
      // Negative seqs: never an event's.
      seq: this.next--,
      id: entry.id ?? '-',
      type: entry.type ?? 'unknown',
      received_at: Date.now() / 1000,
      source: null,
      verified: false,
      state: 'refused',
      stale: false,
      attempts: 0,
      last_status: entry.status ?? null,
      last_error: null,
      last_ms: null,
      reason: entry.reason,
    }
    this.rows.push(row)
    if (this.rows.length > REFUSED_KEPT) this.rows.shift()
    return row
  }

  /** Newest first. */
  list(): ListRow[] {
    return [...this.rows].reverse()
  }
}
