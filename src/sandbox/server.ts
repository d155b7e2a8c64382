/**
 * The sandbox HTTP server, as plumbing: every endpoint of src/api/endpoints.ts
 * under /api/v1/ (handlers/), the hosted pages (checkout.ts), statement
 * downloads (statements.ts) and the helpers under /_sandbox/ (helpers.ts).
 * Requests are authenticated per test key (each key is its own account),
 * bodies are checked against the documented parameters, and POSTs honour
 * Idempotency-Key for 24 hours.
 */
import {createHash} from 'node:crypto'
import {type IncomingMessage, type Server, type ServerResponse, createServer} from 'node:http'
import type {AddressInfo} from 'node:net'

import {type Endpoint, type EndpointId, endpoints} from '../api/endpoints.js'
import {pathProblems} from '../api/paths.js'
import {validateRequest} from '../api/validate.js'
import {serveHosted} from './checkout.js'
import {DEFAULT_RETRY_DELAYS_MS, Deliverer} from './delivery.js'
import {SandboxError, badRequest, notFound} from './errors.js'
import {type Handler, createHandlers} from './handlers/index.js'
import {runHelper} from './helpers.js'
import {BodyTooLarge, bearer, parseJsonObject, readBody, send} from './http.js'
import type {Context} from './payments.js'
import {type Account, SandboxStore, nowMs} from './store.js'
import {serveDownload} from './statements.js'
import {LOCAL_HOST, SANDBOX_PORT} from '../shared/defaults.js'

export interface SandboxOptions {
  port?: number
  host?: string
  /** Keep state in this file across restarts. */
  dataFile?: string
  /** Waits before each webhook retry; its length is the number of retries. */
  retryDelaysMs?: readonly number[]
  deliveryTimeoutMs?: number
  /** Webhook retry schedules run this many times faster. */
  timeScale?: number
  statementDelayMs?: number
  maxBodyBytes?: number
  /** False: no /_sandbox/ helpers (404, as on the real gateway), to try what works with documented endpoints only. */
  helpers?: boolean
  /** The merchant (brand) name the hosted pages show. */
  merchant?: string
  /** A save of dataFile that failed, once per reason (the command prints it). */
  onSaveError?: (message: string) => void
}

export interface Sandbox {
  /** `http://127.0.0.1:PORT` */
  origin: string
  /** `http://127.0.0.1:PORT/api/v1` */
  apiBase: string
  store: SandboxStore
  close(): Promise<void>
}

export const DEFAULT_MERCHANT = 'Sandbox Store'

const API_PREFIX = '/api/v1'
const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000

interface Route {
  endpoint: Endpoint
  pattern: RegExp
  names: string[]
}

function compileRoutes(): Route[] {
  return endpoints
    .map((endpoint) => {
      const names: string[] = []
      const source = endpoint.path.replaceAll(/\{(\w+)\}/g, (_, name: string) => {
        names.push(name)
        return '([^/]+)'
      })
      return {endpoint, pattern: new RegExp(`^${source}$`), names}
    })
    .sort((a, b) => a.names.length - b.names.length)
}

/** A path segment decoded; a malformed escape (`%E0%A4%A`) decodes to '' (no object has an empty id). */
function decodePathValue(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return ''
  }
}

const withSlash = (path: string) => (path.endsWith('/') ? path : `${path}/`)

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const store = new SandboxStore(options.dataFile, options.onSaveError)
  const events = new Deliverer(store, {
    retryDelaysMs: options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS,
    timeoutMs: options.deliveryTimeoutMs ?? 10_000,
    timeScale: options.timeScale,
  })
  const handlers: Record<EndpointId, Handler> = createHandlers({statementDelayMs: options.statementDelayMs ?? 2000})
  const routes = compileRoutes()
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024
  const helpersOn = options.helpers ?? true
  const inFlightKeys = new Set<string>()
  let origin = ''

  const contextFor = (account: Account, request?: IncomingMessage): Context => ({
    store,
    account,
    events,
    origin: request?.headers.host ? `http://${request.headers.host}` : origin,
  })

  const hostedSettings = {
    merchant: options.merchant ?? DEFAULT_MERCHANT,
    purchase(id: string) {
      const found = store.findPurchase(id)
      return found && {context: contextFor(found.account), purchase: found.purchase}
    },
  }

  async function api(request: IncomingMessage, response: ServerResponse, path: string, url: URL, raw: Buffer): Promise<void> {
    const apiKey = bearer(request)
    const matches = routes.map((route) => ({route, match: route.pattern.exec(path)})).filter(({match}) => match)
    if (matches.length === 0) throw new SandboxError(404, {error: 'Not Found', detail: `No endpoint at ${API_PREFIX}${path}`})
    const found = matches.find(({route}) => route.endpoint.method === request.method)
    if (!found) {
      const allowed = [...new Set(matches.map(({route}) => route.endpoint.method))].join(', ')
      throw new SandboxError(405, {error: 'Method Not Allowed', detail: `Method "${request.method}" not allowed. Allowed: ${allowed}.`})
    }
    const {endpoint} = found.route
    const params = Object.fromEntries(found.route.names.map((name, index) => [name, decodePathValue(found.match![index + 1])]))
    // An id that cannot be one (`..`, `a/b` encoded, malformed escapes) names nothing here.
    if (Object.keys(pathProblems(endpoint, params)).length > 0) throw notFound()
    const body = endpoint.method === 'GET' || endpoint.method === 'DELETE' ? {} : parseJsonObject(raw)
    const account = store.account(apiKey)

    const execute = () => run(endpoint, account, request, params, url, body)
    const idempotencyKey = request.method === 'POST' ? request.headers['idempotency-key'] : undefined
    const result: {status: number; text: string; replayed?: boolean} =
      typeof idempotencyKey === 'string'
        ? await idempotent(apiKey, account, idempotencyKey, `${request.method} ${path}`, raw, execute)
        : await execute()
    send(response, result.status, result.text || undefined, result.replayed ? {'idempotent-replayed': 'true'} : {})
  }

  /** Same key and request within 24 hours: the stored response. Same key, another request: 422. */
  async function idempotent(
    apiKey: string,
    account: Account,
    key: string,
    route: string,
    raw: Buffer,
    execute: () => Promise<{status: number; text: string}>,
  ) {
    const fingerprint = createHash('sha256').update(`${route}\n`).update(raw).digest('hex')
    const previous = account.idempotency[key]
    if (previous && nowMs(account) - previous.created_at < IDEMPOTENCY_TTL_MS) {
      if (previous.fingerprint !== fingerprint) {
        throw new SandboxError(422, {
          error: 'idempotency_key_reused',
          message: 'This Idempotency-Key was already used with a different request; use a new key for a new request.',
        })
      }
      return {status: previous.status, text: previous.body, replayed: true}
    }
    const slot = `${apiKey}\n${key}`
    if (inFlightKeys.has(slot))
      throw new SandboxError(409, {error: 'idempotency_key_in_use', message: 'A request with this Idempotency-Key is still in progress.'})
    inFlightKeys.add(slot)
    try {
      const {status, text} = await execute()
      if (status < 500) account.idempotency[key] = {fingerprint, status, body: text, created_at: nowMs(account)}
      store.changed()
      return {status, text, replayed: false}
    } finally {
      inFlightKeys.delete(slot)
    }
  }

  /** Runs a handler; errors become their documented bodies so idempotent replays return them too. */
  async function run(
    endpoint: Endpoint,
    account: Account,
    request: IncomingMessage,
    params: Record<string, string>,
    url: URL,
    body: Record<string, unknown>,
  ) {
    try {
      const errors = validateRequest(endpoint, {body, query: Object.fromEntries(url.searchParams)})
      if (Object.keys(errors).length > 0) throw badRequest(errors)
      const result = await handlers[endpoint.id](contextFor(account, request), {params, query: url.searchParams, body})
      return {status: result.status, text: result.body === undefined ? '' : JSON.stringify(result.body)}
    } catch (error) {
      if (!(error instanceof SandboxError)) throw error
      return {status: error.status, text: JSON.stringify(error.body)}
    }
  }

  async function helpers(request: IncomingMessage, response: ServerResponse, path: string, raw: Buffer): Promise<void> {
    const apiKey = bearer(request)
    const result = await runHelper(contextFor(store.account(apiKey), request), request, path, parseJsonObject(raw), apiKey)
    send(response, 200, result)
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://sandbox')
    const path = url.pathname
    try {
      const raw = await readBody(request, maxBodyBytes)
      if (path.startsWith(`${API_PREFIX}/`)) {
        await api(request, response, withSlash(path.slice(API_PREFIX.length)), url, raw)
      } else if (path.startsWith('/checkout/') || path.startsWith('/invoice/')) {
        await serveHosted(hostedSettings, request, response, withSlash(path), url, raw)
      } else if (path.startsWith('/files/')) {
        serveDownload(store, response, path)
      } else if (path === '/_sandbox/health' && request.method === 'GET') {
        // For scripts waiting on a sandbox: no key needed, and there with --no-helpers too.
        send(response, 200, {ok: true, helpers: helpersOn})
      } else if (path.startsWith('/_sandbox/') && helpersOn) {
        await helpers(request, response, path, raw)
      } else {
        throw new SandboxError(404, {error: 'Not Found', detail: `Nothing at ${path}; the API is under ${API_PREFIX}/.`})
      }
    } catch (error) {
      if (response.headersSent) return
      if (error instanceof BodyTooLarge) {
        send(response, 413, {error: 'Payload Too Large', detail: `Request bodies are limited to ${maxBodyBytes} bytes.`}, {connection: 'close'})
      } else if (error instanceof SandboxError) {
        send(response, error.status, error.body)
      } else {
        send(response, 500, {error: 'server_error', message: (error as Error).message})
      }
    }
  }

  const server: Server = createServer((request, response) => {
    void handle(request, response)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? SANDBOX_PORT, options.host ?? LOCAL_HOST, () => resolve())
  })
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  origin = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address.port}`

  return {
    origin,
    apiBase: `${origin}${API_PREFIX}`,
    store,
    async close() {
      await events.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      store.flush()
    },
  }
}
