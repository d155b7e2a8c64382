/**
 * The listener's receiving side: an HTTP server the gateway delivers to.
 * Each delivery is size-checked (413), verified (403 when the signature is
 * wrong), de-duplicated by event id, written durably to the spool and only
 * then answered 200 and handed to the forwarder.
 */
import {createHash} from 'node:crypto'
import {type IncomingMessage, type Server, type ServerResponse, createServer} from 'node:http'
import type {AddressInfo} from 'node:net'

import {forwardableHeaders} from './forward.js'
import type {WebhookRequest} from './schemes/types.js'
import type {Verdict} from './signature.js'
import type {Spool, SpooledEvent} from './spool.js'

export type ReceiveReport =
  | {kind: 'event'; event: SpooledEvent; verified: boolean}
  | {kind: 'duplicate'; id: string; type: string}
  | {kind: 'rejected'; status: number; reason: string; type?: string; id?: string}

export interface ReceiverOptions {
  host: string
  /** Ports to try in order (the last run's first, then 0 for any free one). */
  ports: number[]
  spool: Spool
  /** Checks a delivery (the webhook's RSA key by default, or a partner scheme); failures are refused unless skipVerify. */
  verify: (request: WebhookRequest) => Verdict
  /** Answers `POST …/oauth/token` for the oauth2 scheme, where this listener issues the bearers it checks. */
  tokenEndpoint?: (authorization: string | undefined, form: string) => {status: number; body: Record<string, unknown>}
  skipVerify: boolean
  maxBodyBytes: number
  report: (report: ReceiveReport) => void
  /** Resolves when the forwarder has room for another event (backpressure). */
  room: () => Promise<void>
  /** A delivery to forward; `durable` resolves once its spool line is on disk. */
  accepted: (event: SpooledEvent, durable: Promise<void>) => void
}

export interface Receiver {
  url: string
  port: number
  /** Stops accepting; resolves when open requests have finished. */
  close(): Promise<void>
}

export async function startReceiver(options: ReceiverOptions): Promise<Receiver> {
  const server = createServer((request, response) => {
    handle(options, request, response).catch((error: Error) => {
      if (!response.headersSent) reply(response, 500, {error: error.message})
    })
  })
  const port = await listenOnFirst(server, options.host, options.ports)
  const host = options.host.includes(':') ? `[${options.host}]` : options.host
  return {
    url: `http://${host}:${port}/`,
    port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        server.closeIdleConnections()
      }),
  }
}

async function listenOnFirst(server: Server, host: string, ports: number[]): Promise<number> {
  for (const [index, port] of ports.entries()) {
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(port, host, () => {
          server.off('error', reject)
          resolve()
        })
      })
      return (server.address() as AddressInfo).port
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || index === ports.length - 1) throw error
    }
  }
  throw new Error('no port to listen on')
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, {'content-type': 'application/json'})
  response.end(JSON.stringify(body))
}

/** The whole body, or undefined past `limit`. Stream events rather than `for await`, whose async iterator costs ~2 KB of garbage per request at thousands of requests a second. */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(request.headers['content-length'])
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve(undefined)
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= limit) {
        chunks.push(chunk)
        return
      }
      request.off('data', onData)
      resolve(undefined)
    }
    request.on('data', onData)
    request.once('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)))
    request.once('error', reject)
  })
}

/** The event's id and type from its JSON; a body without them is keyed by its digest. */
function identify(body: Buffer): {id: string; type: string} {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as {id?: unknown; type?: unknown; event_type?: unknown}
    const type = typeof parsed.type === 'string' ? parsed.type : typeof parsed.event_type === 'string' ? parsed.event_type : 'unknown'
    if (typeof parsed.id === 'string' && parsed.id) return {id: parsed.id, type}
    return {id: `sha256-${createHash('sha256').update(body).digest('hex').slice(0, 32)}`, type}
  } catch {
    return {id: `sha256-${createHash('sha256').update(body).digest('hex').slice(0, 32)}`, type: 'unknown'}
  }
}

async function handle(options: ReceiverOptions, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.method !== 'POST') {
    response.setHeader('allow', 'POST')
    reply(response, 405, {error: 'Method Not Allowed'})
    return
  }
  const body = await readBody(request, options.maxBodyBytes)
  if (!body) {
    options.report({kind: 'rejected', status: 413, reason: `body over ${options.maxBodyBytes} bytes`})
    response.setHeader('connection', 'close')
    reply(response, 413, {error: 'Payload Too Large'})
    request.destroy()
    return
  }
  if (options.tokenEndpoint && (request.url ?? '').split('?')[0].endsWith('/oauth/token')) {
    const {status, body: answer} = options.tokenEndpoint(request.headers.authorization, body.toString('utf8'))
    reply(response, status, answer)
    return
  }
  const {id, type} = identify(body)
  const verdict = options.verify({headers: request.headers as Record<string, string | undefined>, body})
  if (!verdict.ok && !options.skipVerify) {
    options.report({kind: 'rejected', status: 403, reason: verdict.reason, type, id})
    reply(response, 403, {error: 'Invalid signature'})
    return
  }
  if (options.spool.seen(id)) {
    options.report({kind: 'duplicate', id, type})
    reply(response, 200, {received: true, duplicate: true})
    return
  }
  await options.room()
  const {event, durable} = options.spool.append({id, type, headers: forwardableHeaders(request.headers), body})
  // Forwarding may start while the line is being written: a crash before it is
  // durable means no 200, so the gateway sends it again (at least once, never lost).
  options.accepted(event, durable)
  await durable
  // Reported once spooled, so a reported event survives a crash.
  options.report({kind: 'event', event, verified: verdict.ok})
  reply(response, 200, {received: true})
}
