/**
 * The HTTP client for the gateway, on Node's own http/https (http.ts): Bearer auth, JSON bodies,
 * connect and per-attempt timeouts, keep-alive, and retries of 429, 5xx and
 * connection failures with exponential backoff, full jitter and Retry-After.
 * Every POST carries one Idempotency-Key, reused by all of its retries, so a
 * retried create never creates twice.
 */
import {randomUUID} from '../shared/lazy-crypto.js'
import {setTimeout as sleep} from 'node:timers/promises'

import {type HttpTransport, ResponseTooLarge, createTransport, networkCode, readText} from './http.js'
import type {ProxyFailure} from './proxy.js'

import {isLoopbackHost} from '../shared/hosts.js'
import {maskKey, redact} from '../shared/secrets.js'
import {describeProblem, resolveWithin, underBase} from '../shared/urls.js'
import {ConflictError, ConnectionError, errorFromResponse} from './errors.js'
import {UmmahError} from '../shared/errors.js'
import {MAX_RETRIES, REQUEST_TIMEOUT_SECONDS} from '../shared/defaults.js'

export type Query = Record<string, string | string[] | number | boolean | undefined>

export interface ClientOptions {
  apiKey: string
  /** e.g. `https://gate.ummah.com/api/v1`; paths are appended to it. */
  apiBase: string
  userAgent: string
  /** Per attempt, from sending the request to the end of the response body. */
  timeoutMs?: number
  connectTimeoutMs?: number
  maxRetries?: number
  /** First backoff ceiling; doubles each retry up to retryMaxDelayMs. */
  retryBaseDelayMs?: number
  retryMaxDelayMs?: number
  /** The longest Retry-After the client will wait out; longer ones fail at once. */
  maxRetryAfterMs?: number
  /** Receives `--debug` trace lines, already redacted. */
  trace?: (line: string) => void
}

export interface RequestOptions {
  method: string
  /** A path relative to the API base (`/purchases/`), or an absolute URL on the same origin (a `next` link). */
  path: string
  query?: Query
  body?: unknown
  /** For POST; one is generated when absent. */
  idempotencyKey?: string
  headers?: Record<string, string>
}

export interface PreparedRequest {
  method: string
  url: URL
  headers: Record<string, string>
  payload: string | undefined
}

export interface ApiResponse<T = unknown> {
  status: number
  headers: Record<string, string>
  /** Parsed JSON, the text when the body is not JSON, or undefined when empty. */
  body: T
  text: string
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504])
const RETRYABLE_NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'TimeoutError'])

const DEFAULTS = {
  timeoutMs: REQUEST_TIMEOUT_SECONDS * 1000,
  connectTimeoutMs: 10_000,
  maxRetries: MAX_RETRIES,
  retryBaseDelayMs: 500,
  retryMaxDelayMs: 8000,
  maxRetryAfterMs: 60_000,
}

export class ApiClient {
  readonly apiBase: URL
  /** The sandbox's helpers, `/_sandbox/` on the API base's origin: the one root besides the base a request may go to. */
  readonly helpersBase: URL
  private readonly options: typeof DEFAULTS & ClientOptions
  private transport?: Promise<HttpTransport>

  constructor(options: ClientOptions) {
    this.options = {...DEFAULTS, ...(stripUndefined(options) as ClientOptions)}
    this.apiBase = new URL(options.apiBase.endsWith('/') ? options.apiBase : `${options.apiBase}/`)
    this.helpersBase = new URL('/_sandbox/', this.apiBase)
  }

  /**
   * The request exactly as request() would send it: method, URL, headers
   * (the key in them whole: the output boundary masks it wherever it is
   * printed) and body. `--dry-run` prints this and sends nothing.
   */
  prepare(request: RequestOptions): PreparedRequest {
    const method = request.method.toUpperCase()
    const url = this.resolve(request.path, request.query)
    const headers: Record<string, string> = {...this.baseHeaders(), ...request.headers}
    let payload: string | undefined
    if (request.body !== undefined) {
      payload = typeof request.body === 'string' ? request.body : JSON.stringify(request.body)
      headers['content-type'] ??= 'application/json'
    }
    if (method === 'POST') headers['idempotency-key'] = request.idempotencyKey ?? randomUUID()
    return {method, url, headers, payload}
  }

  async request<T = unknown>(request: RequestOptions): Promise<ApiResponse<T>> {
    const {method, url, headers, payload} = this.prepare(request)

    const {maxRetries} = this.options
    for (let attempt = 1; ; attempt++) {
      const started = performance.now()
      this.trace(`> ${method} ${url.href}${attempt > 1 ? ` (attempt ${attempt})` : ''}`)
      for (const [name, value] of Object.entries(headers)) this.trace(`> ${name}: ${value}`)
      if (payload !== undefined) this.trace(`> ${truncate(payload)}`)

      let response: ApiResponse<T>
      try {
        response = await this.send<T>(method, url, headers, payload)
      } catch (error) {
        const code = networkCode(error)
        this.trace(`x ${code} after ${Math.round(performance.now() - started)} ms`)
        if (attempt <= maxRetries && RETRYABLE_NETWORK_CODES.has(code)) {
          await this.backoff(attempt, undefined, code)
          continue
        }
        throw connectionError(error, code, url, attempt)
      }

      this.trace(`< ${response.status} in ${Math.round(performance.now() - started)} ms`)
      for (const [name, value] of Object.entries(response.headers)) this.trace(`< ${name}: ${value}`)
      if (response.text) this.trace(`< ${truncate(response.text)}`)
      if (response.status < 400) return response

      const retryAfterMs = parseRetryAfter(response.headers['retry-after'])
      const waitable = retryAfterMs === undefined || retryAfterMs <= this.options.maxRetryAfterMs
      if (attempt <= maxRetries && RETRYABLE_STATUS.has(response.status) && waitable) {
        await this.backoff(attempt, retryAfterMs, String(response.status))
        continue
      }
      throw await this.failure(method, url, response, attempt, retryAfterMs)
    }
  }

  get<T = unknown>(path: string, query?: Query): Promise<ApiResponse<T>> {
    return this.request<T>({method: 'GET', path, query})
  }

  /** Releases pooled keep-alive connections so the process can exit at once. */
  async close(): Promise<void> {
    const transport = await this.transport
    transport?.close()
  }

  private async send<T>(method: string, url: URL, headers: Record<string, string>, payload: string | undefined): Promise<ApiResponse<T>> {
    this.transport ??= createTransport()
    const signal = AbortSignal.timeout(this.options.timeoutMs)
    const response = await (
      await this.transport
    ).request(url, {method, headers, body: payload, signal, connectTimeoutMs: this.options.connectTimeoutMs})
    const text = await readText(response.body)
    const flatHeaders: Record<string, string> = {}
    for (const [name, value] of Object.entries(response.headers)) {
      if (value !== undefined) flatHeaders[name] = Array.isArray(value) ? value.join(', ') : value
    }
    return {status: response.statusCode, headers: flatHeaders, body: parseBody(text, flatHeaders['content-type']) as T, text}
  }

  /**
   * Resolves a path against the base by the one rule (src/shared/urls.ts):
   * the final URL must be on the base's origin, under its path, so the key
   * never leaves it, whatever the spelling of the path or of a `next` link.
   */
  resolve(path: string, query?: Query): URL {
    let {url, problem} = underBase(this.apiBase, path)
    if (problem === 'path') ({url, problem} = resolveWithin(this.helpersBase, path))
    if (!url) {
      throw new UmmahError(`Refusing to send the API key to ${JSON.stringify(path)}: ${describeProblem(problem!, this.apiBase)}`, {
        code: 'foreign_url',
        hint: 'Pass a path relative to the API base, e.g. /purchases/ID/.',
      })
    }
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value === undefined) continue
      for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(name, String(item))
    }
    return url
  }

  private async backoff(attempt: number, retryAfterMs: number | undefined, reason: string): Promise<void> {
    const ceiling = Math.min(this.options.retryMaxDelayMs, this.options.retryBaseDelayMs * 2 ** (attempt - 1))
    const jitter = Math.random() * ceiling
    const delay = Math.max(retryAfterMs ?? 0, jitter)
    this.trace(`~ ${reason}: retrying in ${Math.round(delay)} ms${retryAfterMs === undefined ? '' : ' (Retry-After)'}`)
    await sleep(delay)
  }

  private async failure(method: string, url: URL, response: ApiResponse<unknown>, attempts: number, retryAfterMs: number | undefined) {
    const path = url.pathname.startsWith(this.apiBase.pathname) ? `/${url.pathname.slice(this.apiBase.pathname.length)}` : url.pathname
    const context = {
      method,
      path,
      status: response.status,
      body: response.body,
      attempts,
      retryAfterSeconds: retryAfterMs === undefined ? undefined : retryAfterMs / 1000,
    }
    const error = errorFromResponse(context)
    if (error instanceof ConflictError) {
      const currentStatus = await this.currentStatus(path)
      if (currentStatus) return errorFromResponse({...context, currentStatus})
    }
    return error
  }

  /** For a 409 on an action (`/purchases/ID/refund/`), the status of the object it acted on. */
  private async currentStatus(actionPath: string): Promise<string | undefined> {
    const objectPath = /^(\/[a-z_]+\/[^/]+\/)[a-z_]+\/$/.exec(actionPath)?.[1]
    if (!objectPath) return undefined
    try {
      const {body} = await this.send<Record<string, unknown>>('GET', this.resolve(objectPath, undefined), this.baseHeaders(), undefined)
      return typeof body?.status === 'string' ? body.status : undefined
    } catch {
      return undefined
    }
  }

  private baseHeaders(): Record<string, string> {
    return {accept: 'application/json', authorization: `Bearer ${this.options.apiKey}`, 'user-agent': this.options.userAgent}
  }

  private trace(line: string): void {
    if (!this.options.trace) return
    const masked = line.replace(/^> authorization: Bearer .*/i, `> authorization: Bearer ${maskKey(this.options.apiKey)}`)
    this.options.trace(redact(masked, [this.options.apiKey]))
  }
}

/** Retry-After as delay-seconds or an HTTP date, in milliseconds. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined
  const trimmed = value.trim()
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

function parseBody(text: string, contentType: string | undefined): unknown {
  if (text === '') return undefined
  if (contentType?.includes('json') || /^\s*[[{]/.test(text)) {
    try {
      return JSON.parse(text)
    } catch {
      return text
    }
  }
  return text
}

function connectionError(error: unknown, errno: string, url: URL, attempts: number): UmmahError {
  if (error instanceof UmmahError) return error
  if (error instanceof ResponseTooLarge) {
    return new UmmahError(`The answer to ${url.pathname} was not read whole: ${error.message}`, {
      code: 'response_too_large',
      hint: 'Ask for less (filters, --limit); nothing more was read.',
      cause: error,
    })
  }
  const tried = attempts > 1 ? ` after ${attempts} attempts` : ''
  const {proxy, proxyReason} = error as Partial<ProxyFailure>
  if (proxy) {
    return new ConnectionError(`The connection to ${url.origin} failed${tried}: proxy ${proxy} ${proxyReason}`, {
      code: 'proxy_failed',
      errno,
      url: url.href,
      attempts,
      cause: error,
      hint: 'Check HTTPS_PROXY / HTTP_PROXY (and the credentials in it), or exempt the host with NO_PROXY.',
    })
  }
  const what = errno === 'TimeoutError' ? 'timed out' : errno === 'ECONNREFUSED' ? 'was refused' : `failed (${errno})`
  const sandbox = isLoopbackHost(url.hostname)
  return new ConnectionError(`The connection to ${url.origin} ${what}${tried}`, {
    code: 'connection_failed',
    errno,
    url: url.href,
    attempts,
    cause: error,
    hint: sandbox
      ? 'Is the local gateway running? Start it with `ummah sandbox start`.'
      : errno === 'TimeoutError'
        ? 'Raise --timeout, or check your network.'
        : 'Check your network and the API base (--api-base, UMMAH_API_BASE).',
  })
}

function truncate(text: string, limit = 2000): string {
  const oneLine = text.replaceAll(/\s*\n\s*/g, ' ')
  return oneLine.length > limit ? `${oneLine.slice(0, limit)}… (${oneLine.length} chars)` : oneLine
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}
