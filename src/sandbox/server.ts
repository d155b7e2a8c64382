/**
 * The sandbox HTTP server: every endpoint of src/api/endpoints.ts under
 * /api/v1/, the hosted checkout, statement downloads and the sandbox helpers
 * under /_sandbox/. Requests are authenticated per test key (each key is its
 * own account), bodies are checked against the documented parameters, and
 * POSTs honour Idempotency-Key for 24 hours.
 */
import {createHash} from 'node:crypto'
import {type IncomingMessage, type Server, type ServerResponse, createServer} from 'node:http'
import type {AddressInfo} from 'node:net'

import {type Endpoint, type EndpointId, endpoints, pathProblems} from '../api/endpoints.js'
import {validateRequest} from '../api/validate.js'
import {parseDuration} from '../shared/duration.js'
import {checkoutPage, invoicePage, resultPage, threeDSecurePage} from './checkout.js'
import {DEFAULT_RETRY_DELAYS_MS, Deliverer} from './delivery.js'
import {SandboxError, badRequest, notFound} from './errors.js'
import {type Handler, createHandlers} from './handlers.js'
import {type CardOutcome, type Context, type PurchaseRecord, checkout, completeThreeDSecure, renewDue} from './payments.js'
import {type Account, SandboxStore, nowMs, own} from './store.js'
import {refreshStatement, statementRows, toCsv, toXlsx} from './statements.js'

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
}

export interface Sandbox {
  /** `http://127.0.0.1:PORT` */
  origin: string
  /** `http://127.0.0.1:PORT/api/v1` */
  apiBase: string
  store: SandboxStore
  close(): Promise<void>
}

const API_PREFIX = '/api/v1'
const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000
const TEST_KEY = /^sk_test_[A-Za-z0-9_-]{1,200}$/

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

const MAX_ADVANCE_MS = 100 * 365 * 86_400_000

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (body === undefined) {
    response.writeHead(status, headers)
    response.end()
    return
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  response.writeHead(status, {'content-type': 'application/json', ...headers})
  response.end(text)
}

function sendHtml(response: ServerResponse, status: number, html: string): void {
  response.writeHead(status, {'content-type': 'text/html; charset=utf-8'})
  response.end(html)
}

function redirect(response: ServerResponse, location: string): void {
  response.writeHead(303, {location})
  response.end()
}

class BodyTooLarge extends Error {}

function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    request.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        reject(new BodyTooLarge())
        request.removeAllListeners('data')
        request.resume()
        return
      }
      chunks.push(chunk)
    })
    request.on('end', () => resolve(Buffer.concat(chunks)))
    request.on('error', reject)
  })
}

function parseJsonObject(raw: Buffer): Record<string, unknown> {
  if (raw.length === 0) return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(raw.toString('utf8'))
  } catch (error) {
    throw badRequest({non_field_errors: [`JSON parse error - ${(error as Error).message}`]})
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badRequest({non_field_errors: ['Expected a JSON object.']})
  checkNesting(parsed)
  return parsed as Record<string, unknown>
}

/** The deepest a request body may nest: the documented bodies reach 4 (purchase.products[].name); 32 leaves room and keeps every later JSON.stringify (saving, answering) far from the stack's limit. */
const MAX_NESTING = 32

/** Refuses a body nested deeper than MAX_NESTING (walked without recursion, so the check itself cannot overflow). */
function checkNesting(value: unknown): void {
  const stack: Array<[unknown, number]> = [[value, 1]]
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!
    if (typeof current !== 'object' || current === null) continue
    if (depth > MAX_NESTING) throw badRequest({non_field_errors: [`JSON nested deeper than ${MAX_NESTING} levels.`]})
    for (const child of Array.isArray(current) ? current : Object.values(current)) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1])
  }
}

function bearer(request: IncomingMessage): string {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')
  const key = match?.[1]
  if (key?.startsWith('sk_live_')) {
    throw new SandboxError(401, {error: 'invalid_api_key', message: 'The sandbox is test mode only: live keys (sk_live_*) are refused. Use a test key (sk_test_*).'})
  }
  if (!key || !TEST_KEY.test(key)) throw new SandboxError(401, {error: 'invalid_api_key', message: 'The API key is missing, malformed, or revoked.'})
  return key
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const store = new SandboxStore(options.dataFile)
  const events = new Deliverer(store, {retryDelaysMs: options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS, timeoutMs: options.deliveryTimeoutMs ?? 10_000, timeScale: options.timeScale})
  const handlers: Record<EndpointId, Handler> = createHandlers({statementDelayMs: options.statementDelayMs ?? 2000})
  const routes = compileRoutes()
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024
  const helpersOn = options.helpers ?? true
  const inFlightKeys = new Set<string>()
  let origin = ''

  const contextFor = (account: Account, request: IncomingMessage): Context => ({
    store,
    account,
    events,
    origin: request.headers.host ? `http://${request.headers.host}` : origin,
  })

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
      typeof idempotencyKey === 'string' ? await idempotent(apiKey, account, idempotencyKey, `${request.method} ${path}`, raw, execute) : await execute()
    send(response, result.status, result.text || undefined, result.replayed ? {'idempotent-replayed': 'true'} : {})
  }

  /** Same key and request within 24 hours: the stored response. Same key, another request: 422. */
  async function idempotent(apiKey: string, account: Account, key: string, route: string, raw: Buffer, execute: () => Promise<{status: number; text: string}>) {
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
    if (inFlightKeys.has(slot)) throw new SandboxError(409, {error: 'idempotency_key_in_use', message: 'A request with this Idempotency-Key is still in progress.'})
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
  async function run(endpoint: Endpoint, account: Account, request: IncomingMessage, params: Record<string, string>, url: URL, body: Record<string, unknown>) {
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

  function purchaseForCheckout(id: string): {context: Context; purchase: PurchaseRecord} {
    const found = store.findPurchase(id)
    if (!found) throw notFound()
    return {context: {store, account: found.account, events, origin}, purchase: found.purchase}
  }

  function afterPayment(response: ServerResponse, purchase: PurchaseRecord, outcome: CardOutcome): void {
    if (outcome === 'requires_3ds') return redirect(response, `/checkout/${purchase.id}/3ds/`)
    const target = outcome === 'declined' ? purchase.failure_redirect : purchase.success_redirect
    redirect(response, target ?? `/checkout/${purchase.id}/done/${outcome === 'declined' ? '?declined=1' : ''}`)
  }

  async function hosted(request: IncomingMessage, response: ServerResponse, path: string, url: URL, raw: Buffer): Promise<void> {
    const match = /^\/(checkout|invoice)\/([^/]+)\/(3ds\/|done\/)?$/.exec(path)
    if (!match) throw notFound()
    const {context, purchase} = purchaseForCheckout(match[2])
    const [, kind, , step] = match
    if (kind === 'invoice') return sendHtml(response, 200, invoicePage(purchase))
    if (step === 'done/') return sendHtml(response, 200, resultPage(purchase, url.searchParams.has('declined')))
    const form = new URLSearchParams(raw.toString('utf8'))
    if (step === '3ds/') {
      if (request.method !== 'POST') return sendHtml(response, purchase.three_d_secure_pending ? 200 : 409, purchase.three_d_secure_pending ? threeDSecurePage(purchase) : resultPage(purchase))
      return afterPayment(response, purchase, await completeThreeDSecure(context, purchase, form.get('result') === 'pass'))
    }
    if (request.method !== 'POST') return sendHtml(response, purchase.status === 'created' ? 200 : 409, purchase.status === 'created' ? checkoutPage(purchase) : resultPage(purchase))
    if (purchase.status !== 'created') return sendHtml(response, 409, resultPage(purchase))
    try {
      afterPayment(response, purchase, await checkout(context, purchase, form.get('card_number') ?? ''))
    } catch (error) {
      if (!(error instanceof SandboxError) || error.status !== 400) throw error
      sendHtml(response, 400, checkoutPage(purchase, 'That is not a test card. Use 4242 4242 4242 4242.'))
    }
  }

  function download(response: ServerResponse, path: string): void {
    const match = /^\/files\/statements\/([^/]+)\/([0-9a-f]+)\.(csv|xlsx)$/.exec(path)
    const found = match ? store.findStatement(match[1]) : undefined
    if (!match || !found || found.statement.file_token !== match[2] || found.statement.format !== match[3]) throw notFound()
    const {account, statement} = found
    refreshStatement(account, statement)
    if (statement.status !== 'completed') throw new SandboxError(409, {error: 'Conflict', message: `The statement is ${statement.status}.`, status: statement.status})
    const rows = statementRows(account, statement.timezone ?? 'UTC')
    const file = statement.format === 'csv' ? toCsv(rows) : toXlsx(rows)
    response.writeHead(200, {
      'content-type': statement.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      'content-length': file.length,
      'content-disposition': `attachment; filename="${statement.id}.${statement.format}"`,
    })
    response.end(file)
  }

  async function helpers(request: IncomingMessage, response: ServerResponse, path: string, raw: Buffer): Promise<void> {
    const apiKey = bearer(request)
    const account = store.account(apiKey)
    const context = contextFor(account, request)
    const body = parseJsonObject(raw)
    const pay = /^\/_sandbox\/purchases\/([^/]+)\/pay\/?$/.exec(path)
    if (pay && request.method === 'POST') {
      const purchase = own(account.purchases, pay[1])
      if (!purchase) throw notFound()
      let outcome = await checkout(context, purchase, String(body.card ?? '4242424242424242'))
      if (outcome === 'requires_3ds') outcome = await completeThreeDSecure(context, purchase, body.three_d_secure !== 'fail')
      return send(response, 200, {outcome, purchase})
    }
    if (path === '/_sandbox/advance' && request.method === 'POST') {
      const ms = typeof body.seconds === 'number' ? body.seconds * 1000 : parseDuration(String(body.duration ?? ''))
      // At most 100 years at a time: a clock past that (or 1e308 s) is no clock.
      if (ms === undefined || !Number.isSafeInteger(ms) || ms < 0 || ms > MAX_ADVANCE_MS) throw badRequest({duration: ['Give a duration such as 30d, 12h, 15m or 90s, at most 100 years.']})
      account.clock_offset_ms += ms
      store.changed()
      const renewals = await renewDue(context)
      return send(response, 200, {now: Math.floor(nowMs(account) / 1000), advanced_seconds: ms / 1000, renewals})
    }
    if (path === '/_sandbox/reset' && request.method === 'POST') {
      store.resetAccount(apiKey)
      return send(response, 200, {reset: true})
    }
    if (path === '/_sandbox/clock' && request.method === 'GET') return send(response, 200, {now: Math.floor(nowMs(account) / 1000)})
    // The index: how `trigger` tells the sandbox from a real gateway, which answers 404 here.
    if (path === '/_sandbox/' && request.method === 'GET') return send(response, 200, {sandbox: true, helpers: ['POST purchases/{id}/pay', 'POST advance', 'POST reset', 'GET clock']})
    throw new SandboxError(404, {error: 'Not Found', detail: `No sandbox helper at ${path}`})
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://sandbox')
    let path = url.pathname
    try {
      const raw = await readBody(request, maxBodyBytes)
      if (path.startsWith(`${API_PREFIX}/`)) {
        path = path.slice(API_PREFIX.length)
        await api(request, response, path.endsWith('/') ? path : `${path}/`, url, raw)
      } else if (path.startsWith('/checkout/') || path.startsWith('/invoice/')) {
        await hosted(request, response, path.endsWith('/') ? path : `${path}/`, url, raw)
      } else if (path.startsWith('/files/')) {
        download(response, path)
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
    server.listen(options.port ?? 8420, options.host ?? '127.0.0.1', () => resolve())
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
