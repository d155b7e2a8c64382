/**
 * One interface for every webhook authentication scheme: the
 * receiving side verifies a request, the sending side adds what the receiver
 * checks. Header names are lower-case, as Node gives them.
 */
import {createHash, timingSafeEqual} from 'node:crypto'

import type {DeliveryFormat} from './catalog.js'
import type {Verdict} from './signature.js'

export type {Verdict}

export interface WebhookRequest {
  headers: Record<string, string | undefined>
  body: Buffer
}

export interface Scheme {
  readonly name: string
  verify(request: WebhookRequest): Verdict
  /** The headers the sending side adds for this body. */
  sign(body: Buffer): Record<string, string>
  /**
   * The request headers this scheme's deliveries carry (lower-case): with
   * content-type and user-agent, the only ones a listener forwards to the app,
   * so nothing a relay or proxy adds on the way reaches it.
   */
  readonly headers: readonly string[]
}

/** What every delivery carries, whatever its scheme. */
export const DELIVERY_HEADERS = ['content-type', 'user-agent'] as const

/**
 * Equality that takes the same time wherever the inputs differ: both sides
 * are hashed to 32 bytes first, so neither the first differing byte nor a
 * length difference shows in the timing.
 */
export function safeEqual(received: string | Buffer, expected: string | Buffer): boolean {
  const digest = (value: string | Buffer) => createHash('sha256').update(value).digest()
  return timingSafeEqual(digest(received), digest(expected))
}

/**
 * What `POST /_sandbox/webhooks/{id}/samples` answers: one genuinely signed
 * delivery per event name of the webhook's format, and what a receiver can
 * check of them (the sandbox answers it; `webhooks check-app` reads it).
 */
export interface SampleSet {
  format: DeliveryFormat
  scheme: string
  /** The signature covers the body's bytes. */
  signs_body: boolean
  /** The headers that prove the sender (changed: forged; removed: missing). */
  credential_headers: string[]
  samples: Array<{name: string; body: string; headers: Record<string, string>}>
}
