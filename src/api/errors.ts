/**
 * The API's errors: one class per failure kind (stripe-node's model), each
 * with its code from the table in src/shared/errors.ts and a hint that says
 * what to do next. Mapped from the documented bodies:
 * `{"error","message","details"}` and `{"error","detail"}`; the gateway's own
 * `error` word is kept as `gatewayCode` (`card_declined`).
 */

import {type ErrorCode, type FieldErrors, UmmahError} from '../shared/errors.js'

/** No usable key, or the key was refused before any request. */
export class AuthConfigError extends UmmahError {
  constructor(message: string, hint?: string) {
    super(message, {code: 'no_api_key', hint})
  }
}

export interface ApiErrorContext {
  method: string
  path: string
  status: number
  body: unknown
  attempts: number
  retryAfterSeconds?: number
  /** For a 409: the status of the object the request acted on, when the client could read it. */
  currentStatus?: string
}

export class ApiError extends UmmahError {
  readonly status: number
  readonly method: string
  readonly path: string
  /** The response body as the gateway sent it (parsed when it was JSON). */
  readonly body: unknown
  readonly fieldErrors: FieldErrors
  readonly attempts: number

  /** The gateway's `error` word in snake case (`card_declined`, `not_found`), when the body had one. */
  readonly gatewayCode?: string

  constructor(message: string, context: ApiErrorContext, options: {code: ErrorCode; hint?: string}) {
    super(message, options)
    this.gatewayCode = isRecord(context.body) && typeof context.body.error === 'string' ? snake(context.body.error) : undefined
    this.status = context.status
    this.method = context.method
    this.path = context.path
    this.body = context.body
    this.attempts = context.attempts
    this.fieldErrors = fieldErrorsOf(context.body)
  }

  override detailLines(): string[] {
    return Object.entries(this.fieldErrors).map(([field, messages]) => `${field}: ${messages.join(' ')}`)
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      ...(this.gatewayCode ? {gateway_code: this.gatewayCode} : {}),
      status: this.status,
      method: this.method,
      path: this.path,
      response: this.body,
    }
  }
}

export class BadRequestError extends ApiError {}
export class AuthenticationError extends ApiError {}
export class PermissionError extends ApiError {}
export class PaymentError extends ApiError {}
export class NotFoundError extends ApiError {}
export class ConflictError extends ApiError {}
export class UnprocessableError extends ApiError {}
export class RateLimitError extends ApiError {}
export class ServerError extends ApiError {}

/** The request never got an HTTP answer: refused, reset, timed out. */
export class ConnectionError extends UmmahError {
  readonly url: string
  readonly attempts: number
  /** The system's word for the failure: ECONNREFUSED, ECONNRESET, TimeoutError. */
  readonly errno: string

  constructor(
    message: string,
    options: {
      code: 'connection_failed' | 'proxy_failed' | 'download_failed'
      errno: string
      url: string
      attempts: number
      hint?: string
      cause?: unknown
    },
  ) {
    super(message, {code: options.code, hint: options.hint, cause: options.cause})
    this.url = options.url
    this.attempts = options.attempts
    this.errno = options.errno
  }

  override toJSON(): Record<string, unknown> {
    return {...super.toJSON(), errno: this.errno}
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** `details` as documented: field → messages. Other shapes (decline codes) are kept as single strings. */
function fieldErrorsOf(body: unknown): FieldErrors {
  if (!isRecord(body) || !isRecord(body.details)) return {}
  const result: FieldErrors = {}
  for (const [field, value] of Object.entries(body.details)) {
    result[field] = Array.isArray(value) ? value.map(String) : [String(value)]
  }
  return result
}

/** The human text of a documented error body: `message`, else `detail`, else `error`. */
export function gatewayMessage(body: unknown): string | undefined {
  if (typeof body === 'string') return body.trim().split('\n')[0]?.slice(0, 200) || undefined
  if (!isRecord(body)) return undefined
  for (const key of ['message', 'detail', 'error']) {
    if (typeof body[key] === 'string' && body[key]) return body[key] as string
  }
  return undefined
}

function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`
}

/** Builds the typed error for an HTTP failure status. */
export function errorFromResponse(context: ApiErrorContext): ApiError {
  const {status, method, path, body} = context
  const said = gatewayMessage(body)
  const where = `${method} ${path}`
  const tried = context.attempts > 1 ? ` after ${context.attempts} attempts` : ''
  const make = <E extends ApiError>(
    Kind: new (message: string, context: ApiErrorContext, options: {code: ErrorCode; hint?: string}) => E,
    message: string,
    code: ErrorCode,
    hint?: string,
  ) => new Kind(message, context, {code, hint})

  switch (true) {
    case status === 400: {
      const fields = Object.keys(fieldErrorsOf(body)).length
      return make(
        BadRequestError,
        fields > 0
          ? `The gateway rejected ${where} (400): ${fields} field${fields === 1 ? '' : 's'} invalid`
          : `The gateway rejected ${where} (400): ${said ?? 'Bad Request'}`,
        'bad_request',
        'Fix the request and try again.',
      )
    }
    case status === 401:
      return make(
        AuthenticationError,
        `Authentication failed (401): ${sentence(said ?? 'the API key was not accepted')}`,
        'authentication_failed',
        'Run `ummah login` or pass a valid key with --api-key or UMMAH_SECRET_KEY.',
      )
    case status === 403:
      return make(
        PermissionError,
        `Permission denied for ${where} (403): ${sentence(said ?? 'Forbidden')}`,
        'permission_denied',
        'Use a key that has access to this resource.',
      )
    case status === 402:
      return make(
        PaymentError,
        `Payment failed (402): ${sentence(said ?? 'Payment Required')}`,
        'payment_failed',
        'Use another payment method or card.',
      )
    case status === 404:
      return make(
        NotFoundError,
        `Not found: ${where} (404): ${sentence(said ?? 'Not Found')}`,
        'not_found',
        'Check the ID, and that the profile (test or live) is the one that owns it.',
      )
    case status === 409:
      return make(
        ConflictError,
        `Conflict (409): ${sentence(said ?? 'the operation is not allowed in the current state')}`,
        'conflict',
        conflictHint(context.currentStatus ?? statusIn(body), said),
      )
    case status === 422:
      return make(
        UnprocessableError,
        `Unprocessable (422): ${sentence(said ?? 'the request is semantically invalid')}`,
        'unprocessable',
        /idempoten/i.test(said ?? '') ? 'That Idempotency-Key was used with a different body: omit --idempotency-key or pass a new one.' : undefined,
      )
    case status === 429:
      return make(
        RateLimitError,
        `Rate limited by the gateway${tried} (429)`,
        'rate_limited',
        context.retryAfterSeconds === undefined ? 'Wait a moment and try again.' : `Try again in ${Math.ceil(context.retryAfterSeconds)} s.`,
      )
    case status >= 500:
      return make(
        ServerError,
        `The gateway failed on ${where}${tried} (${status}): ${sentence(said ?? 'Server Error')}`,
        'server_error',
        'Try again shortly; the request is safe to repeat.',
      )
    default:
      return make(ApiError, `Unexpected response to ${where} (${status}): ${sentence(said ?? 'no details')}`, 'unexpected_response')
  }
}

function statusIn(body: unknown): string | undefined {
  return isRecord(body) && typeof body.status === 'string' ? body.status : undefined
}

/** What to do about a 409; the status only when the gateway's own words did not already name it (said once, not twice). */
function conflictHint(status: string | undefined, said: string | undefined): string {
  if (status && said?.includes(status)) return 'Nothing was changed.'
  return status ? `The object is currently "${status}", which does not allow this.` : 'Retrieve the object to see its current state.'
}

function snake(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replaceAll(/[^a-z0-9]+/g, '_')
    .replaceAll(/^_|_$/g, '')
}
