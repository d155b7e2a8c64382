/**
 * The one way to ask a running listener what happened: its inspector's
 * loopback API (server.ts), found through the listener's lock and state file
 * (`runningInspector`), with the per-run token the state file keeps (0600).
 * `trigger --wait` and `webhooks expect` read the listener through this, not
 * a second reader of its spool.
 */
import {request} from 'node:http'

import {UmmahError, UsageError} from '../shared/errors.js'
import {runningInspector} from '../webhooks/listen.js'
import type {Detail, ListRow} from './model.js'

/** One answer is at most what a page of 1,000 rows or one event's detail takes (a 1 MiB body as base64 and text, 20 answers of 64 KiB): 16 MiB. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024
/** A loopback request that takes longer than this finds a listener that is not answering. */
const REQUEST_TIMEOUT_MS = 10_000

export interface ListenerInfo {
  webhook_id: string
  /** The event types its webhook is subscribed to. */
  events: string[] | 'all'
  forward: string
  source: string
}

export interface RowQuery {
  type?: string
  /** Unix seconds. */
  since?: number
  before?: number
  limit?: number
}

export class ListenerClient {
  private constructor(
    private readonly base: URL,
    private readonly token: string,
  ) {}

  /** The running listener of this profile; none (or one without its inspector) is a usage error naming the command to start one. */
  static async connect(profile: string): Promise<ListenerClient> {
    const url = new URL(await runningInspector(profile))
    const token = new URLSearchParams(url.hash.slice(1)).get('token') ?? ''
    return new ListenerClient(new URL(url.origin), token)
  }

  /** Every row matching the query, newest first, following the pages. */
  async rows(query: RowQuery): Promise<ListRow[]> {
    const rows: ListRow[] = []
    let before: number | undefined
    // A listener keeps at most its pending events and 200 finished ones: a few pages at most; 100 bounds a listener gone wrong.
    for (let page = 0; page < 100; page++) {
      const params = new URLSearchParams()
      if (query.type) params.set('type', query.type)
      if (query.since !== undefined) params.set('since', String(query.since))
      params.set('limit', String(query.limit ?? 1000))
      if (before !== undefined) params.set('before', String(before))
      const answer = (await this.get(`/api/events?${params}`)) as {events: ListRow[]; next: number | null}
      rows.push(...answer.events)
      if (answer.next === null) break
      before = answer.next
    }
    return rows
  }

  /** The listener: its webhook, forward target and source. */
  info(): Promise<ListenerInfo> {
    return this.get('/api/info') as Promise<ListenerInfo>
  }

  /** A usage error (nothing caused yet) when the listener's webhook is not subscribed to this event type: the wait could only time out. */
  async mustReceive(type: string, profile: string): Promise<void> {
    const {events} = await this.info()
    if (events === 'all' || events.includes(type)) return
    throw new UsageError(
      `The listener of profile "${profile}" receives ${events.length === 0 ? 'no events' : `only ${events.join(', ')}`}: ${type} would never reach it`,
      `Restart it with --events including ${type}, or without --events.`,
    )
  }

  /** One event whole: headers, body, every attempt and the app's answers. */
  event(seq: number): Promise<Detail> {
    return this.get(`/api/events/${seq}`) as Promise<Detail>
  }

  private get(path: string): Promise<unknown> {
    const url = new URL(path, this.base)
    return new Promise((resolve, reject) => {
      const failed = (why: string) =>
        reject(
          new UmmahError(`The listener's inspector at ${this.base.origin} ${why}`, {
            code: 'connection_failed',
            hint: 'Check that `ummah webhooks listen` is still running (ummah webhooks inspect).',
          }),
        )
      const sent = request(url, {headers: {'x-inspector-token': this.token}, timeout: REQUEST_TIMEOUT_MS}, (response) => {
        const chunks: Buffer[] = []
        let size = 0
        response.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size > MAX_ANSWER_BYTES) return response.destroy(new Error('answered more than 16 MiB'))
          chunks.push(chunk)
        })
        response.on('error', (error) => failed(error.message))
        response.on('end', () => {
          let body: unknown
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
          } catch {
            return failed(`answered ${response.statusCode} with something that is not JSON`)
          }
          if (response.statusCode === 200) return resolve(body)
          failed(`answered ${response.statusCode}: ${String((body as {error?: unknown}).error ?? '')}`)
        })
      })
      sent.on('timeout', () => sent.destroy(new Error(`did not answer within ${REQUEST_TIMEOUT_MS / 1000} s`)))
      sent.on('error', (error) => failed((error as NodeJS.ErrnoException).code === 'ECONNREFUSED' ? 'refused the connection' : error.message))
      sent.end()
    })
  }
}
