/**
 * One HTTP request over Node's own `http`/`https`, for the API client and
 * statement downloads. A command sends one or a few requests, so start-up is
 * what matters: these modules are built into Node, and their parser is native,
 * whereas undici costs ~30 ms to load plus a synchronous WebAssembly compile
 * of its parser and a ~90 ms wait at exit for V8's background tier-up of it.
 * The webhook relay, which sends thousands of requests, uses undici.
 * HTTPS_PROXY/HTTP_PROXY/NO_PROXY are honoured (src/api/proxy.ts, loaded only
 * when one of them is set).
 */
import type {Agent as HttpAgent, IncomingMessage} from 'node:http'

const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy']

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
  const [http, https] = await Promise.all([import('node:http'), import('node:https')])
  const proxies = PROXY_VARIABLES.some((name) => env[name]?.trim()) ? (await import('./proxy.js')).proxyRouting(env) : undefined
  const agents: Record<string, HttpAgent> = {}
  const agentFor = (protocol: string) => (agents[protocol] ??= protocol === 'https:' ? new https.Agent({keepAlive: true}) : new http.Agent({keepAlive: true}))
  return {
    request: (url, options) =>
      new Promise<HttpResponse>((resolve, reject) => {
        const send = url.protocol === 'https:' ? https.request : http.request
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

/** The whole body as text. */
export async function readText(body: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of body) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}
