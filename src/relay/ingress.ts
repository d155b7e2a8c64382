/**
 * Ingress: the gateway's deliveries to `POST /in/CHANNEL/SECRET`, stored
 * exactly (raw body bytes, the delivery's headers, the arrival time) and
 * answered 200 only once the store says they are durable.
 */
import type {IncomingMessage} from 'node:http'

import type {Clock} from '../shared/clock.js'
import {forwardableHeaders, readBody} from '../shared/http-body.js'
import {sameSecret} from './channels.js'
import {NOT_FOUND, type Reply, errorReply} from './reply.js'
import {CHANNEL_NAME, type RelayStore} from './store.js'
import type {RelayLogLine} from './server.js'

// Headers a proxy in front of the relay adds: about the hop, not the delivery.
const PROXY_ADDED = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-real-ip', 'forwarded', 'via'])
/** Retry-After of a delivery that could not be stored: the gateway's own backoff is longer; a store back within 30 s loses no time. */
const RETRY_STORE_S = 30

/** The headers kept with an entry: the delivery's own, without hop-by-hop and proxy-added ones. */
export function relayedHeaders(headers: IncomingMessage['headers']): Record<string, string> {
  const kept = forwardableHeaders(headers)
  for (const name of Object.keys(kept)) if (PROXY_ADDED.has(name)) delete kept[name]
  return kept
}

export class Ingress {
  constructor(
    private readonly store: RelayStore,
    private readonly options: {maxBodyBytes: number; clock: Clock; log?: (line: RelayLogLine) => void},
  ) {}

  /**
   * Any failure of the store (Redis away, a disk that cannot be written) is a
   * 503 with Retry-After and an `ingress-failed` line: the gateway tries again,
   * and is never told 200 for what was not stored.
   */
  async handle(request: IncomingMessage, name: string, secret: string): Promise<Reply> {
    try {
      return await this.accept(request, name, secret)
    } catch (failure) {
      const reason = (failure as NodeJS.ErrnoException).code ?? (failure as Error).message
      this.options.log?.({type: 'ingress-failed', channel: name, error: reason})
      return {...errorReply(503, 'not_stored', `Not stored: ${reason}`, {'retry-after': String(RETRY_STORE_S), connection: 'close'}), drop: true}
    }
  }

  private async accept(request: IncomingMessage, name: string, secret: string): Promise<Reply> {
    const channel = CHANNEL_NAME.test(name) ? await this.store.getChannel(name) : undefined
    // Bodies of refused requests are not kept: read and thrown away after the answer, up to 8 MiB in 2 s, then cut (discardUnread).
    if (!channel || !sameSecret(secret, channel.ingress_secret)) return {...NOT_FOUND, drop: true}
    if (request.method !== 'POST') return {...errorReply(405, 'method_not_allowed', 'POST only', {allow: 'POST'}), drop: true}
    const {maxBodyBytes} = this.options
    const body = await readBody(request, maxBodyBytes)
    if (!body) return {...errorReply(413, 'payload_too_large', `Body over ${maxBodyBytes} bytes`), drop: true}
    // A failure to store is handle()'s 503: the gateway must retry, never be told 200.
    const cursor = await this.store.append(name, {receivedAt: this.options.clock.now(), headers: relayedHeaders(request.headers), body})
    this.options.log?.({type: 'ingress', channel: name, cursor, bytes: body.length})
    return {status: 200, body: {received: true}}
  }
}
