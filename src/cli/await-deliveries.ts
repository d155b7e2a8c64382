/**
 * `trigger --wait`, `trigger --count N --rate R` and `webhooks expect`: wait
 * for the running listener to have forwarded events and the app to have
 * answered. trigger causes the event (N times, paced) and knows its events by
 * the objects each fixture run created (an event of the type whose body
 * carries one of their ids is that run's; a second one is a duplicate);
 * expect takes the events the app itself caused, chosen by a jq filter.
 */
import type {ListenerClient} from '../inspector/client.js'
import type {JqFilter} from './jq.js'
import {type Delivery, percentiles, watch} from '../inspector/wait.js'
import {type CausedReport, type DeliveryReport, type GatewayDelivery, causedIds, gatewayWords, sourceTypeOf} from './delivery-check.js'

/** Fixture runs in flight at once in a burst: enough for 100/s at a 100 ms round trip, few enough not to look like an attack. */
const MAX_IN_FLIGHT = 16
/** At most this many events that never arrived are looked up in the gateway's delivery log (each is a request). */
const GATEWAY_LOOKUPS = 5

export interface TriggerWaitOptions {
  event: string
  count: number
  /** Runs started per second (undefined: as fast as MAX_IN_FLIGHT allows). */
  perSecond?: number
  waitMs: number
  listener: ListenerClient
  /** Causes the event once: the fixture's responses. */
  cause(): Promise<Record<string, unknown>>
  /** The gateway's delivery log for an object. */
  deliveries(id: string, sourceType: string): Promise<GatewayDelivery[]>
  progress?: (text: string) => void
}

export async function triggerAndWait(options: TriggerWaitOptions): Promise<DeliveryReport> {
  const {event, count} = options
  // A second of slack: the listener stamps an arrival with its own clock, read a moment after this one.
  const since = Date.now() / 1000 - 1
  const runs = await causeAll(options)
  const owner = new Map<string, number>()
  runs.forEach((ids, run) => ids.forEach((id) => owner.set(id, run)))
  const waitStarted = Date.now()
  const {byKey, timedOut} = await watch({
    client: options.listener,
    type: event,
    since,
    deadline: waitStarted + options.waitMs,
    classify: (detail) => {
      const body = detail.body ?? Buffer.from(detail.body_base64, 'base64').toString('latin1')
      for (const [id, run] of owner) if (body.includes(id)) return String(run)
      return undefined
    },
    // Done when every run has an outcome; for one event, as soon as the app rejected it too.
    done: (found) => runs.every((_, run) => (found.get(String(run))?.[0]?.outcome ?? 'waiting') !== 'waiting'),
    progress: options.progress && count > 1 ? progressLine(options.progress, count) : undefined,
  })
  const events: CausedReport[] = []
  let lookups = 0
  for (const [run, ids] of runs.entries()) {
    const seen = byKey.get(String(run)) ?? []
    const delivery = seen[0] ?? null
    const caused: CausedReport = {object_id: ids[0] ?? '', delivery, duplicates: Math.max(0, seen.length - 1)}
    if (timedOut && (!delivery || delivery.outcome === 'waiting') && lookups < GATEWAY_LOOKUPS) {
      lookups++
      caused.stopped_at = await whereItStopped(options, ids, Boolean(delivery))
    }
    events.push(caused)
  }
  return report(event, events, Date.now() - waitStarted)
}

/** Runs the fixture `count` times, starting at most `perSecond` a second and MAX_IN_FLIGHT at once; each run's created ids, in order. */
async function causeAll(options: TriggerWaitOptions): Promise<string[][]> {
  const runs: string[][] = []
  const started = Date.now()
  const spacingMs = options.perSecond ? 1000 / options.perSecond : 0
  const inFlight = new Set<Promise<void>>()
  for (let run = 0; run < options.count; run++) {
    const due = started + run * spacingMs
    if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()))
    if (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight)
    const done: Promise<void> = options.cause().then((responses) => {
      runs[run] = causedIds(responses)
    })
    const tracked = done.finally(() => inFlight.delete(tracked))
    inFlight.add(tracked)
    // A failed run fails the burst, after the runs under way finish (nothing is left half-sent).
    tracked.catch(() => {})
  }
  const results = await Promise.allSettled([...inFlight])
  const failed = results.find((result) => result.status === 'rejected')
  if (failed) throw (failed as PromiseRejectedResult).reason
  return runs
}

async function whereItStopped(options: TriggerWaitOptions, ids: string[], listenerSaw: boolean): Promise<string> {
  const sourceType = sourceTypeOf(options.event)
  const webhookId = (await options.listener.info()).webhook_id
  for (const id of ids) {
    try {
      const records = await options.deliveries(id, sourceType)
      if (records.length > 0) return gatewayWords(options.event, records, listenerSaw, webhookId)
    } catch {
      // An id that is not a source object (a client's, a template's): the next one.
    }
  }
  return gatewayWords(options.event, [], listenerSaw)
}

function progressLine(print: (text: string) => void, count: number) {
  let last = -1
  return (found: ReadonlyMap<string, readonly Delivery[]>) => {
    const answered = [...found.values()].filter((seen) => seen[0].outcome !== 'waiting').length
    // A line per 10% of the burst, not one per poll.
    const step = Math.floor((answered / count) * 10)
    if (step === last) return
    last = step
    print(`${answered}/${count} answered by the app`)
  }
}

export interface ExpectOptions {
  type: string
  /** `--where`: a jq filter over the payload; an event matches when it yields something other than false or null. */
  where?: JqFilter
  count: number
  /** Events received up to this long before the wait began count too (the step that caused them may have run first). */
  sinceMs: number
  withinMs: number
  listener: ListenerClient
}

/** `webhooks expect`: `count` events of the type matching `where`, each acknowledged by the app, within the time. */
export async function expectEvents(options: ExpectOptions): Promise<DeliveryReport> {
  const started = Date.now()
  const {byKey, timedOut} = await watch({
    client: options.listener,
    type: options.type,
    since: (started - options.sinceMs) / 1000,
    deadline: started + options.withinMs,
    classify: (detail) => (matches(detail.body, options.where) ? String(detail.seq) : undefined),
    done: (found) => {
      const firsts = [...found.values()].map((seen) => seen[0].outcome)
      return firsts.includes('rejected') || firsts.filter((outcome) => outcome === 'acknowledged').length >= options.count
    },
  })
  const rank = {rejected: 0, acknowledged: 1, waiting: 2} as const
  const matched = [...byKey.values()].map((seen) => seen[0]).sort((a, b) => rank[a.outcome] - rank[b.outcome] || a.seq - b.seq)
  // Every rejection, then enough of the rest (acknowledged first) to make up the count.
  const rejected = matched.filter((delivery) => delivery.outcome === 'rejected')
  const chosen = [
    ...rejected,
    ...matched.filter((delivery) => delivery.outcome !== 'rejected').slice(0, Math.max(0, options.count - rejected.length)),
  ]
  const events: CausedReport[] = chosen.map((delivery) => ({object_id: delivery.id, delivery, duplicates: 0}))
  for (let missing = events.length; missing < options.count; missing++) {
    events.push({
      object_id: '',
      delivery: null,
      duplicates: 0,
      ...(timedOut ? {stopped_at: `no ${options.type} event${options.where ? ' matching --where' : ''} was received`} : {}),
    })
  }
  return report(options.type, events, Date.now() - started)
}

function matches(body: string | null, where: JqFilter | undefined): boolean {
  if (!where) return true
  if (body === null) return false
  let payload: unknown
  try {
    payload = JSON.parse(body)
  } catch {
    return false
  }
  const {text, error} = where.apply(payload, {indent: false})
  const last = text.split('\n').at(-1) ?? ''
  return !error && last !== '' && last !== 'false' && last !== 'null'
}

export function report(event: string, events: CausedReport[], waitedMs: number): DeliveryReport {
  const acknowledged = events.flatMap((caused) => (caused.delivery?.outcome === 'acknowledged' ? [caused.delivery] : []))
  const failed = events.filter((caused) => caused.delivery?.outcome === 'rejected').length
  const latencies = acknowledged.map((delivery) => delivery.latency_ms ?? 0)
  return {
    event,
    ok: acknowledged.length === events.length,
    waited_ms: waitedMs,
    counts: {
      caused: events.length,
      delivered: acknowledged.length,
      failed,
      waiting: events.length - acknowledged.length - failed,
      duplicates: events.reduce((sum, caused) => sum + caused.duplicates, 0),
    },
    latency_ms: percentiles(latencies),
    slowest: [...acknowledged]
      .sort((a, b) => (b.latency_ms ?? 0) - (a.latency_ms ?? 0))
      .slice(0, 5)
      .map((delivery) => ({id: delivery.id, latency_ms: delivery.latency_ms ?? 0})),
    events,
  }
}
