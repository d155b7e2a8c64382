/**
 * The sandbox HTTP server: the shell that joins its parts. Every endpoint of
 * src/api/endpoints.ts under /api/v1/ (router.ts finds it, handlers/ answer
 * it, idempotency.ts keeps POSTs with an Idempotency-Key for 24 hours), the
 * hosted pages (checkout.ts), statement downloads (statements.ts) and the
 * helpers under /_sandbox/ (helpers.ts). Requests are authenticated per test
 * key (each key is its own account) and bodies are checked against the
 * documented parameters. Time is each account's clock (store.ts `nowMs`),
 * which `sandbox advance` and `sandbox clock` move.
 */
import {type IncomingMessage, type Server, type ServerResponse, createServer} from 'node:http'
import type {AddressInfo} from 'node:net'

import type {Endpoint, EndpointId} from '../api/endpoints.js'
import {validateRequest} from '../api/validate.js'
import {serveHosted} from './checkout.js'
import {DEFAULT_RETRY_DELAYS_MS, Deliverer} from './delivery.js'
import {SandboxError, badRequest} from './errors.js'
import {type Handler, createHandlers} from './handlers/index.js'
import {runHelper} from './helpers.js'
import {BodyTooLarge, bearer, parseJsonObject, readBody, send} from './http.js'
import type {Context} from './payments.js'
import {type Account, SandboxStore} from './store.js'
import {ApiRouter} from './router.js'
import {type Answer, Idempotency} from './idempotency.js'
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
const withSlash = (path: string) => (path.endsWith('/') ? path : `${path}/`)

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const store = new SandboxStore(options.dataFile, options.onSaveError)
  const events = new Deliverer(store, {
    retryDelaysMs: options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS,
    timeoutMs: options.deliveryTimeoutMs ?? 10_000,
    timeScale: options.timeScale,
  })
  const handlers: Record<EndpointId, Handler> = createHandlers({statementDelayMs: options.statementDelayMs ?? 2000})
  const router = new ApiRouter(API_PREFIX)
  const idempotency = new Idempotency(store)
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024
  const helpersOn = options.helpers ?? true
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
    const {endpoint, params} = router.route(request.method, path)
    const body = endpoint.method === 'GET' || endpoint.method === 'DELETE' ? {} : parseJsonObject(raw)
    const account = store.account(apiKey)

    const execute = () => run(endpoint, account, request, params, url, body)
    const idempotencyKey = request.method === 'POST' ? request.headers['idempotency-key'] : undefined
    const result: Answer =
      typeof idempotencyKey === 'string'
        ? await idempotency.run(apiKey, account, idempotencyKey, `${request.method} ${path}`, raw, execute)
        : await execute()
    send(response, result.status, result.text || undefined, result.replayed ? {'idempotent-replayed': 'true'} : {})
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
