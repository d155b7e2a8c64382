/**
 * One HTTP request over Node's own `http`/`https`, for the API client and
 * statement downloads. A command sends one or a few requests, so start-up is
 * what matters: these modules are built into Node, and their parser is native,
 * whereas undici costs ~30 ms to load plus a synchronous WebAssembly compile
 * of its parser and a ~90 ms wait at exit for V8's background tier-up of it.
 * The listener's forwarder, which sends thousands of requests to the app, uses undici (webhooks/undici.ts).
 * HTTPS_PROXY/HTTP_PROXY/NO_PROXY are honoured (src/api/proxy.ts, loaded only
 * when one of them is set).
 */
import type {Agent as HttpAgent, IncomingMessage} from 'node:http'

const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy']

/** Whether a proxy variable is set: only then is src/api/proxy.ts loaded. */
export function proxyConfigured(env: Record<string, string | undefined>): boolean {
  return PROXY_VARIABLES.some((name) => env[name]?.trim())
}

export interface HttpRequest {
  method: string
  headers?: Record<string, string>
  body?: Buffer | string
  /** Aborts the whole exchange (a per-attempt deadline). */
  signal?: AbortSignal
  /** Fails with ETIMEDOUT when no connection is made within this time. */
  connectTimeoutMs?: number
}

export interface HttpResponse {
  statusCode: number
  headers: IncomingMessage['headers']
  /** The body as a stream; consume it or call `resume()`. */
  body: IncomingMessage
}

export interface HttpTransport {
  request(url: URL, request: HttpRequest): Promise<HttpResponse>
  /** Closes pooled keep-alive sockets so the process can exit at once. */
  close(): void
}

/** A keep-alive connection pool per protocol, created on first use. */
export async function createTransport(env: Record<string, string | undefined> = process.env): Promise<HttpTransport> {
  const http = await import('node:http')
  // node:https (and TLS under it, ~8 ms of a start-up here) only once an https URL is asked for: the sandbox is http.
  const https = () => process.getBuiltinModule('node:https')
  const proxies = proxyConfigured(env) ? (await import('./proxy.js')).proxyRouting(env) : undefined
  const agents: Record<string, HttpAgent> = {}
  const agentFor = (protocol: string) =>
    (agents[protocol] ??= protocol === 'https:' ? new (https().Agent)({keepAlive: true}) : new http.Agent({keepAlive: true}))
  return {
    request: (url, options) =>
      new Promise<HttpResponse>((resolve, reject) => {
        const send = url.protocol === 'https:' ? https().request : http.request
        const settings = {method: options.method, headers: options.headers, signal: options.signal}
        const outgoing = proxies?.route(url, settings) ?? send(url, {...settings, agent: agentFor(url.protocol)})
        outgoing.once('response', (response) => resolve({statusCode: response.statusCode ?? 0, headers: response.headers, body: response}))
        outgoing.on('error', reject)
        if (options.connectTimeoutMs !== undefined) {
          const {connectTimeoutMs} = options
          outgoing.on('socket', (socket) => {
            // A pooled socket is already connected.
            if (!socket.connecting) return
            const timer = setTimeout(() => {
              outgoing.destroy(Object.assign(new Error(`connect timed out after ${connectTimeoutMs} ms`), {code: 'ETIMEDOUT'}))
            }, connectTimeoutMs)
            socket.once('connect', () => clearTimeout(timer))
            socket.once('close', () => clearTimeout(timer))
          })
        }
        outgoing.end(options.body)
      }),
    close() {
      proxies?.close()
      for (const agent of Object.values(agents)) agent.destroy()
    },
  }
}

/**
 * The most of an API response read: the largest page the gateway documents
 * is 100 objects of a few kB, so 64 MiB is room for any answer and a bound
 * on what a server that never stops sending can cost (statement files are
 * streamed to disk instead, unbounded).
 */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024

/** A response longer than the client reads. */
export class ResponseTooLarge extends Error {
  readonly code = 'RESPONSE_TOO_LARGE'
}

/** The whole body as text; a body over `limit` bytes (declared or sent) stops the read with ResponseTooLarge. */
export async function readText(body: IncomingMessage, limit = MAX_RESPONSE_BYTES): Promise<string> {
  const declared = Number(body.headers['content-length'])
  const tooLarge = () => {
    body.destroy()
    return new ResponseTooLarge(`the response is over ${Math.round(limit / 1024 / 1024)} MiB`)
  }
  if (Number.isFinite(declared) && declared > limit) throw tooLarge()
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    size += (chunk as Buffer).length
    if (size > limit) throw tooLarge()
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** The system's word for a failed request (ECONNREFUSED, TimeoutError), as ConnectionError.errno keeps it. */
export function networkCode(error: unknown): string {
  if (!(error instanceof Error)) return 'UNKNOWN'
  // AbortSignal.timeout() rejects with a DOMException whose numeric legacy `code` means nothing here.
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'TimeoutError'
  for (const candidate of [(error as NodeJS.ErrnoException).code, (error.cause as NodeJS.ErrnoException | undefined)?.code]) {
    if (typeof candidate === 'string') return candidate
  }
  return 'UNKNOWN'
}
