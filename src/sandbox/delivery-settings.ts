/**
 * Sandbox-only delivery settings of a webhook (`sandbox_delivery` on create,
 * update and patch), for testing handlers written for partner gateways: the
 * body's format (formats.ts), how deliveries authenticate (the webhook
 * schemes) and when they are retried. A partner format defaults to that
 * partner's retry policy.
 *
 *   {"format": "umm-services", "retry_policy": "hourly-3d",
 *    "auth": {"scheme": "basic", "username": "hooks", "password": "s3cret"}}
 */
import type {FieldErrors} from '../shared/errors.js'
import {MAX_API_KEY_HEADERS, SCHEME_NAMES, type SchemeName} from '../schemes/catalog.js'
import {type DeliveryAuth, schemeEntry} from '../schemes/registry.js'
import {DELIVERY_FORMATS, type DeliveryFormat} from './formats.js'

export const RETRY_POLICIES = ['ummah', 'hourly-3d', 'every-5m-x15', 'exponential-24h'] as const
export type RetryPolicy = (typeof RETRY_POLICIES)[number]

export type {DeliveryAuth}

export interface SandboxDelivery {
  /** Absent in data files from before formats: `ummah`. */
  format?: DeliveryFormat
  retry_policy: RetryPolicy
  auth: DeliveryAuth
}

/** Each partner's own schedule, when a partner format is chosen without a retry_policy. */
const FORMAT_POLICY: Record<DeliveryFormat, RetryPolicy> = {
  ummah: 'ummah',
  'umm-services': 'hourly-3d',
  numipay: 'every-5m-x15',
  generic: 'exponential-24h',
}

/**
 * Whether an answer counts as delivered: UMM Services' posting "is
 * considered to be successful if it gets an HTTP Response code of 200" (a
 * 202 is re-posted); every other policy takes any 2xx.
 */
export function isDelivered(policy: RetryPolicy, status: number | null): boolean {
  if (status === null) return false
  return policy === 'hourly-3d' ? status === 200 : status >= 200 && status < 300
}

const MINUTE = 60_000
const HOUR = 60 * MINUTE

/**
 * The waits before each retry, in ms (its length is the number of retries):
 * `ummah` the sandbox's own schedule; `hourly-3d` every hour for three days
 * (UMM Services); `every-5m-x15` every five minutes, 15 attempts in all
 * (Numipay); `exponential-24h` doubling from one minute while the total stays
 * within 24 hours (the generic gateway).
 */
export function retryDelays(policy: RetryPolicy, ummah: readonly number[]): number[] {
  switch (policy) {
    case 'ummah':
      return [...ummah]
    case 'hourly-3d':
      return Array.from({length: 72}, () => HOUR)
    case 'every-5m-x15':
      return Array.from({length: 14}, () => 5 * MINUTE)
    case 'exponential-24h': {
      const delays: number[] = []
      for (let delay = MINUTE, total = MINUTE; total <= 24 * HOUR; delay *= 2, total += delay) delays.push(delay)
      return delays
    }
  }
}

const text = (value: unknown) => typeof value === 'string' && value.length > 0

/** The settings from a request body's `sandbox_delivery`, or field errors. */
export function parseSandboxDelivery(value: unknown): {settings?: SandboxDelivery; errors?: FieldErrors} {
  if (value === undefined || value === null) return {}
  const field = 'sandbox_delivery'
  if (typeof value !== 'object' || Array.isArray(value)) return {errors: {[field]: ['Expected an object with retry_policy and auth.']}}
  const input = value as {format?: unknown; retry_policy?: unknown; auth?: Record<string, unknown>}
  const errors: FieldErrors = {}
  const format = input.format ?? 'ummah'
  if (!DELIVERY_FORMATS.includes(format as DeliveryFormat))
    errors[`${field}.format`] = [`"${String(format)}" is not a valid choice: ${DELIVERY_FORMATS.join(', ')}.`]
  const policy = input.retry_policy ?? FORMAT_POLICY[format as DeliveryFormat] ?? 'ummah'
  if (!RETRY_POLICIES.includes(policy as RetryPolicy))
    errors[`${field}.retry_policy`] = [`"${String(policy)}" is not a valid choice: ${RETRY_POLICIES.join(', ')}.`]
  const given = input.auth ?? {scheme: 'rsa-sha256'}
  if (typeof given !== 'object' || given === null || Array.isArray(given))
    return {errors: {[`${field}.auth`]: ['Expected an object with a scheme and its fields.']}}
  const auth = given as Record<string, unknown>
  if (!SCHEME_NAMES.includes(auth.scheme as SchemeName)) {
    errors[`${field}.auth.scheme`] = [`"${String(auth.scheme)}" is not a valid choice: ${SCHEME_NAMES.join(', ')}.`]
  } else {
    const entry = schemeEntry(auth.scheme as SchemeName)
    // Each field as the scheme's row declares it: a non-empty text, or 1 to 5 header pairs.
    for (const [name, spec] of Object.entries(entry.delivery)) {
      const problem = spec.kind === 'pairs' ? pairsProblem(auth[name], spec.required === true) : textProblem(auth[name], spec.required === true)
      if (problem) errors[`${field}.auth.${name}`] = [problem]
    }
    if (Object.keys(errors).length === 0 && entry.checkDelivery) {
      for (const [name, problem] of Object.entries(entry.checkDelivery(auth as DeliveryAuth))) errors[`${field}.auth.${name}`] = [problem]
    }
  }
  if (Object.keys(errors).length > 0) return {errors}
  // Only the scheme's own fields are kept: anything else in the body (of any size or depth) is not stored.
  const scheme = auth.scheme as SchemeName
  const kept: Record<string, unknown> = {scheme}
  for (const name of Object.keys(schemeEntry(scheme).delivery)) if (auth[name] !== undefined) kept[name] = auth[name]
  return {settings: {format: format as DeliveryFormat, retry_policy: policy as RetryPolicy, auth: kept as DeliveryAuth}}
}

function textProblem(value: unknown, required: boolean): string | undefined {
  if (value === undefined) return required ? 'This field is required.' : undefined
  return text(value) ? undefined : required ? 'This field is required.' : 'Must be a non-empty string.'
}

function pairsProblem(value: unknown, required: boolean): string | undefined {
  if (value === undefined && !required) return undefined
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.keys(value).length === 0)
    return `Give 1 to ${MAX_API_KEY_HEADERS} header name/value pairs.`
  if (Object.keys(value).length > MAX_API_KEY_HEADERS) return `At most ${MAX_API_KEY_HEADERS} headers.`
  return Object.values(value).every(text) ? undefined : 'Each header value must be a non-empty string.'
}
