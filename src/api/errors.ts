/**
 * The error family. Every failure the CLI reports is an UmmahError with a
 * stable `code`, the exit code of DESIGN §3 and, where there is one, a hint
 * that says what to do next. API failures are mapped from the documented
 * bodies: `{"error","message","details"}` and `{"error","detail"}`.
 */

export const ExitCode = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  auth: 3,
  notFound: 4,
  conflict: 5,
  rateLimited: 6,
  network: 7,
  interrupted: 130,
} as const

export interface UmmahErrorOptions {
  code: string
  exitCode: number
  hint?: string
  cause?: unknown
}

export class UmmahError extends Error {
  readonly code: string
  readonly exitCode: number
  readonly hint?: string

  constructor(message: string, options: UmmahErrorOptions) {
    super(message, {cause: options.cause})
    this.name = new.target.name
    this.code = options.code
    this.exitCode = options.exitCode
    this.hint = options.hint
  }

  /** Extra lines shown under the message (field errors). */
  detailLines(): string[] {
    return []
  }

  toJSON(): Record<string, unknown> {
    return {code: this.code, message: this.message, ...(this.hint ? {hint: this.hint} : {})}
  }
}

/** Bad flags, arguments or input: nothing was sent. */
export class UsageError extends UmmahError {
  constructor(message: string, hint?: string) {
    super(message, {code: 'usage', exitCode: ExitCode.usage, hint})
  }
}

/**
 * Input that failed the local checks, keyed by the flag it came from
 * (`--email`, `--product #2`): nothing was sent.
 */
export class InputError extends UsageError {
  readonly problems: FieldErrors

  constructor(problems: FieldErrors, hint?: string) {
    const entries = Object.entries(problems)
    super(entries.length === 1 ? `${entries[0][0]}: ${entries[0][1].join(' ')}` : `${entries.length} flags are invalid`, hint)
    this.problems = problems
  }

  override detailLines(): string[] {
    const entries = Object.entries(this.problems)
    return entries.length === 1 ? [] : entries.map(([flag, messages]) => `${flag}: ${messages.join(' ')}`)
  }

  override toJSON(): Record<string, unknown> {
    return {...super.toJSON(), fields: this.problems}
  }
}

/** No usable key, or the key was refused before any request. */
export class AuthConfigError extends UmmahError {
  constructor(message: string, hint?: string) {
    super(message, {code: 'no_api_key', exitCode: ExitCode.auth, hint})
  }
}

export type FieldErrors = Record<string, string[]>

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

  constructor(message: string, context: ApiErrorContext, options: UmmahErrorOptions) {
    super(message, options)
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
    return {...super.toJSON(), status: this.status, method: this.method, path: this.path, response: this.body}
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

  constructor(message: string, options: {code: string; url: string; attempts: number; hint?: string; cause?: unknown}) {
    super(message, {code: options.code, exitCode: ExitCode.network, hint: options.hint, cause: options.cause})
    this.url = options.url
    this.attempts = options.attempts
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
  const code = isRecord(body) && typeof body.error === 'string' ? snake(body.error) : `http_${status}`
  const where = `${method} ${path}`
  const tried = context.attempts > 1 ? ` after ${context.attempts} attempts` : ''
  const make = <E extends ApiError>(
    Kind: new (message: string, context: ApiErrorContext, options: UmmahErrorOptions) => E,
    message: string,
    exitCode: number,
    hint?: string,
  ) => new Kind(message, context, {code, exitCode, hint})

  switch (true) {
    case status === 400: {
      const fields = Object.keys(fieldErrorsOf(body)).length
      return make(
        BadRequestError,
        fields > 0 ? `The gateway rejected ${where} (400): ${fields} field${fields === 1 ? '' : 's'} invalid` : `The gateway rejected ${where} (400): ${said ?? 'Bad Request'}`,
        ExitCode.usage,
        'Fix the request and try again.',
      )
    }
    case status === 401:
      return make(
        AuthenticationError,
        `Authentication failed (401): ${sentence(said ?? 'the API key was not accepted')}`,
        ExitCode.auth,
        'Run `ummah login` or pass a valid key with --api-key or UMMAH_SECRET_KEY.',
      )
    case status === 403:
      return make(PermissionError, `Permission denied for ${where} (403): ${sentence(said ?? 'Forbidden')}`, ExitCode.auth, 'Use a key that has access to this resource.')
    case status === 402:
      return make(PaymentError, `Payment failed (402): ${sentence(said ?? 'Payment Required')}`, ExitCode.conflict, 'Use another payment method or card.')
    case status === 404:
      return make(NotFoundError, `Not found: ${where} (404): ${sentence(said ?? 'Not Found')}`, ExitCode.notFound, 'Check the ID, and that the profile (test or live) is the one that owns it.')
    case status === 409:
      return make(ConflictError, `Conflict (409): ${sentence(said ?? 'the operation is not allowed in the current state')}`, ExitCode.conflict, conflictHint(context.currentStatus ?? statusIn(body)))
    case status === 422:
      return make(
        UnprocessableError,
        `Unprocessable (422): ${sentence(said ?? 'the request is semantically invalid')}`,
        ExitCode.conflict,
        /idempoten/i.test(said ?? '') ? 'That Idempotency-Key was used with a different body: omit --idempotency-key or pass a new one.' : undefined,
      )
    case status === 429:
      return make(
        RateLimitError,
        `Rate limited by the gateway${tried} (429)`,
        ExitCode.rateLimited,
        context.retryAfterSeconds === undefined ? 'Wait a moment and try again.' : `Try again in ${Math.ceil(context.retryAfterSeconds)} s.`,
      )
    case status >= 500:
      return make(ServerError, `The gateway failed on ${where}${tried} (${status}): ${sentence(said ?? 'Server Error')}`, ExitCode.network, 'Try again shortly; the request is safe to repeat.')
    default:
      return make(ApiError, `Unexpected response to ${where} (${status}): ${sentence(said ?? 'no details')}`, ExitCode.unexpected)
  }
}

function statusIn(body: unknown): string | undefined {
  return isRecord(body) && typeof body.status === 'string' ? body.status : undefined
}

function conflictHint(status: string | undefined): string {
  return status ? `The object is currently "${status}", which does not allow this.` : 'Retrieve the object to see its current state.'
}

function snake(text: string): string {
  return text.trim().toLowerCase().replaceAll(/[^a-z0-9]+/g, '_').replaceAll(/^_|_$/g, '')
}
