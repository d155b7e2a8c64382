/**
 * `umm-services` request headers (UMM Services' webhook document): client_key,
 * product, payment_channel, idempotent_request_key and timestamp, each
 * checked against its documented pattern or values; the first that fails is named.
 */
import {randomUUID} from 'node:crypto'

import {type Scheme, safeEqual} from './types.js'

const PRODUCTS = ['retail_payments', 'business_payments']
const CHANNELS = ['retail_banking', 'commercial_banking', 'smb_banking', 'bank_bos', 'atm', 'kiosk', 'pos', 'mobile_banking', 'csm', 'online']
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$/

/**
 * The document contradicts itself on client_key: its pattern says 1 to 10
 * letters or digits, its own example (CLIAAADDD0910) has 13. The example
 * wins: 1 to 20 letters or digits (20, the document's bound on an Event id),
 * one rule for what `webhooks verify` accepts and what the sandbox sends.
 */
const CHECKS: ReadonlyArray<[string, (value: string) => string | undefined]> = [
  ['client_key', (value) => (/^[a-zA-Z0-9]{1,20}$/.test(value) ? undefined : 'must be 1 to 20 letters or digits')],
  [
    'product',
    (value) =>
      !/^[a-zA-Z0-9_.& -]{1,100}$/.test(value)
        ? 'has characters outside [a-zA-Z0-9_.& -] or is over 100'
        : PRODUCTS.includes(value)
          ? undefined
          : `must be one of ${PRODUCTS.join(', ')}`,
  ],
  [
    'payment_channel',
    (value) =>
      !/^[a-zA-Z0-9_.& -]{1,100}$/.test(value)
        ? 'has characters outside [a-zA-Z0-9_.& -] or is over 100'
        : CHANNELS.includes(value)
          ? undefined
          : `must be one of ${CHANNELS.join(', ')}`,
  ],
  ['idempotent_request_key', (value) => (/^[a-zA-Z0-9_=-]{1,50}$/.test(value) ? undefined : 'must be 1 to 50 of [a-zA-Z0-9_=-]')],
  [
    'timestamp',
    (value) =>
      TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value))
        ? undefined
        : 'must be an ISO 8601 date-time with milliseconds and offset, e.g. 2020-09-18T17:31:34.000-05:30',
  ],
]

/** The UMM Services request headers, in the document's order. */
export const UMM_REQUEST_HEADERS: readonly string[] = CHECKS.map(([name]) => name)

/** 2026-11-22T10:00:00.000+00:00 */
function isoWithOffset(date: Date): string {
  return date.toISOString().replace('Z', '+00:00')
}

/** What is wrong with one of the request headers (client_key, product, payment_channel, …), or undefined. */
export function ummHeaderProblem(name: string, value: string): string | undefined {
  return CHECKS.find(([header]) => header === name)?.[1](value)
}

export interface UmmServicesOptions {
  clientKey: string
  product?: string
  paymentChannel?: string
  /**
   * How the sender authenticates: the document's API-key headers, Basic
   * credentials or an OAuth2 bearer (a scheme of its own). Receiving, it is
   * required (umm-services-credentials: the request headers alone prove
   * nothing); sending, the sandbox adds it when configured.
   */
  credentials?: Scheme
  /** Receiving: the client_key the sender must send (compared in constant time). */
  expectedClientKey?: string
}

export function ummServicesScheme(options: UmmServicesOptions): Scheme {
  const {credentials, expectedClientKey} = options
  return {
    name: 'umm-services',
    headers: [...new Set([...(credentials?.headers ?? []), ...UMM_REQUEST_HEADERS])],
    verify(request) {
      // The credentials first, and always: a request without them is refused whatever its headers say.
      const authenticated = credentials?.verify(request) ?? {ok: true}
      if (!authenticated.ok) return authenticated
      for (const [name, check] of CHECKS) {
        const value = request.headers[name]
        if (value === undefined) return {ok: false, reason: `missing header ${name}`}
        const problem = check(value)
        if (problem) return {ok: false, reason: `header ${name} ${problem}`}
      }
      if (expectedClientKey !== undefined && !safeEqual(request.headers.client_key ?? '', expectedClientKey))
        return {ok: false, reason: 'header client_key is not the expected one'}
      return {ok: true}
    },
    sign: (body) => ({
      ...credentials?.sign(body),
      client_key: options.clientKey,
      product: options.product ?? 'retail_payments',
      payment_channel: options.paymentChannel ?? 'online',
      idempotent_request_key: randomUUID().replaceAll('-', ''),
      timestamp: isoWithOffset(new Date()),
    }),
  }
}
