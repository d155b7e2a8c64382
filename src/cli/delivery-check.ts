/**
 * `trigger --wait`, `trigger --count` and `webhooks expect`: what the app did
 * with the events, as a report (the output, `--json` or text) and a verdict
 * (exit 0, or an AssertionFailed with exit 1). The waiting itself is the
 * inspector's (src/inspector/wait.ts); the gateway's delivery log says where
 * an event that never reached the listener stopped.
 */
import {AssertionFailed} from '../shared/errors.js'
import type {Delivery} from '../inspector/wait.js'
import {formatDuration} from '../shared/duration.js'

/** The gateway's record of one delivery attempt (`GET /webhooks/deliveries/`). */
export interface GatewayDelivery {
  event?: string
  /** The sandbox says which webhook a record is for; a record of another webhook (or the success callback) is not the listener's. */
  webhook_id?: string | null
  status?: string
  response_code?: number | null
  error?: string | null
  url?: string
  attempt?: number
}

/**
 * The ids of the objects a fixture run created: each response's own `id`
 * (not the ids inside it: a purchase names its client, which other runs
 * share). An event carrying one of them is this run's.
 */
export function causedIds(responses: Record<string, unknown>): string[] {
  const ids = new Set<string>()
  for (const response of Object.values(responses)) {
    const id = (response as {id?: unknown} | null)?.id
    // Ids shorter than 8 characters could match inside unrelated text.
    if (typeof id === 'string' && id.length >= 8) ids.add(id)
  }
  return [...ids]
}

/** The delivery log's `source_type` of an event type's object. */
export function sourceTypeOf(eventType: string): string {
  return eventType.startsWith('billing_template.') ? 'billing_template_client' : 'purchase'
}

/** Where a delivery that never reached the listener stopped, in the gateway's words. */
export function gatewayWords(type: string, records: GatewayDelivery[], listenerSaw: boolean, webhookId?: string): string {
  const mine = records.filter((record) => (record.event ?? type) === type && (record.webhook_id === undefined || record.webhook_id === webhookId))
  // The log's order is the gateway's (newest first in the sandbox): the last attempt is the highest-numbered.
  const last = mine.reduce<GatewayDelivery | undefined>(
    (latest, record) => (!latest || (record.attempt ?? 0) >= (latest.attempt ?? 0) ? record : latest),
    undefined,
  )
  const gateway = !last
    ? `the gateway has not sent ${type} yet`
    : `the gateway's delivery of ${type}: ${last.status ?? 'unknown'} after ${mine.length} attempt${mine.length === 1 ? '' : 's'} (last: ${
        last.response_code ?? last.error ?? 'no answer'
      })`
  return `${gateway}; the listener ${listenerSaw ? 'received it' : 'received nothing'}`
}

export interface CausedReport {
  /** What the fixture created (its first object's id). */
  object_id: string
  delivery: Delivery | null
  /** The listener received the same event for this object more than once. */
  duplicates: number
  /** Where it stopped, when nothing was acknowledged or rejected in time. */
  stopped_at?: string
}

export interface DeliveryReport extends Record<string, unknown> {
  event: string
  ok: boolean
  waited_ms: number
  counts: {caused: number; delivered: number; failed: number; waiting: number; duplicates: number}
  latency_ms: {p50: number | null; p95: number | null; p99: number | null}
  /** The five slowest acknowledged events. */
  slowest: Array<{id: string; latency_ms: number}>
  events: CausedReport[]
}

/** The verdict on a report: nothing, or the error that makes it exit 1. */
export function verdictOf(report: DeliveryReport, what: string): AssertionFailed | undefined {
  const rejected = report.events.find((event) => event.delivery?.outcome === 'rejected')
  if (rejected?.delivery) {
    const {status, error, id, answer, attempts} = rejected.delivery
    const more = report.counts.failed > 1 ? ` (and ${report.counts.failed - 1} more)` : ''
    const message =
      status !== null
        ? `The app answered ${status} to ${report.event} ${id}${more}`
        : `The app could not be reached for ${report.event} ${id}${more}: ${error ?? 'no answer'} after ${attempts} attempt${attempts === 1 ? '' : 's'}`
    return new AssertionFailed(message, report, {
      code: 'app_rejected',
      hint: answer
        ? "Its answer's first lines follow; `ummah webhooks inspect` shows every attempt."
        : '`ummah webhooks inspect` shows every attempt.',
      lines: answer ? answer.split('\n') : [],
    })
  }
  const missing = report.events.filter((event) => event.delivery?.outcome !== 'acknowledged')
  if (missing.length === 0) return undefined
  const first = missing[0]
  return new AssertionFailed(
    `${report.events.length === 1 ? 'No acknowledgement' : `${missing.length} of ${report.events.length} ${what} not acknowledged`} within ${formatDuration(report.waited_ms)}: ${
      first.stopped_at ?? (first.delivery ? `the app has not answered ${first.delivery.id} yet` : 'the listener received nothing')
    }`,
    report,
    {code: 'not_delivered', hint: 'Is the listener forwarding to the app? `ummah webhooks inspect` shows what it received.'},
  )
}

/** The report for a person: one line per event for a few, a summary table for a burst. */
export function reportLines(report: DeliveryReport): string[] {
  const lines: string[] = []
  const ms = (value: number | null) => (value === null ? '-' : `${value} ms`)
  if (report.events.length <= 3) {
    for (const event of report.events) {
      const delivery = event.delivery
      if (!delivery) lines.push(`✗ ${report.event} for ${event.object_id}: not received`)
      else if (delivery.outcome === 'acknowledged')
        lines.push(`✓ ${report.event} ${delivery.id}: the app answered ${delivery.status} in ${ms(delivery.latency_ms)}`)
      else if (delivery.outcome === 'rejected')
        lines.push(
          `✗ ${report.event} ${delivery.id}: the app answered ${delivery.status ?? delivery.error ?? 'nothing'} (attempt ${delivery.attempts})`,
        )
      else lines.push(`… ${report.event} ${delivery.id}: ${delivery.state}, not answered yet`)
    }
    return lines
  }
  const {counts, latency_ms: latency} = report
  lines.push(
    `${report.event}: ${counts.caused} caused, ${counts.delivered} delivered, ${counts.failed} failed, ${counts.waiting} waiting, ${counts.duplicates} duplicates`,
    `The app's latency: p50 ${ms(latency.p50)}, p95 ${ms(latency.p95)}, p99 ${ms(latency.p99)}`,
  )
  if (report.slowest.length > 0) lines.push('Slowest:', ...report.slowest.map((event) => `  ${event.id}  ${event.latency_ms} ms`))
  return lines
}

/** The report's lines, for a result that is a delivery report (a plain `trigger` returns the objects it made). */
export async function reportView(result: unknown): Promise<string[] | undefined> {
  return typeof result === 'object' && result !== null && 'counts' in result && 'events' in result ? reportLines(result as DeliveryReport) : undefined
}
