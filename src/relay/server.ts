/**
 * `ummah relay start`: the public end of the tunnel. The gateway posts to a
 * channel's ingress URL; the entry is stored exactly (raw body bytes, the
 * delivery's headers, the arrival time) and answered 200 only once the store
 * says it is durable; `webhooks listen --relay` clients stream the channel
 * from their own cursors over a WebSocket they open (so a laptop behind NAT
 * needs no inbound port). Channels and tokens are managed over a small JSON
 * API with the admin token.
 *
 *   GET    /healthz                                  200 once ready
 *   POST   /in/CHANNEL/SECRET                        ingress (404 for a wrong channel or secret, 413 over --max-body)
 *   GET    /v1/channels                              admin
 *   POST   /v1/channels {"name"}                     admin: 201 with the ingress URL and a first client token
 *   GET    /v1/channels/CHANNEL                      admin, or that channel's token
 *   DELETE /v1/channels/CHANNEL                      admin
 *   POST   /v1/channels/CHANNEL/tokens               admin: 201 with the token (shown once)
 *   DELETE /v1/channels/CHANNEL/tokens/ID            admin: its streams close
 *   GET    /v1/channels/CHANNEL/stream?after=CURSOR  WebSocket (protocol.ts)
 */
import {type IncomingMessage, type Server, type ServerResponse, createServer as createHttpServer} from 'node:http'
import {createServer as createHttpsServer} from 'node:https'
import type {AddressInfo} from 'node:net'
import type {Duplex} from 'node:stream'

import {WebSocketServer} from 'ws'

import {sizeHeapForMemory} from '../shared/heap.js'
import {forwardableHeaders, readBody} from '../shared/http-body.js'
import {type Access, accessTo, channelView, incarnation, newChannel, newToken, sameSecret} from './channels.js'
import {CLOSE} from './protocol.js'
import {CHANNEL_NAME, CURSOR, type RelayStore} from './store.js'
import {StreamSession} from './stream.js'

export interface RelayOptions {
  host: string
  port: number
  store: RelayStore
  /** Where the gateway reaches this relay (ingress URLs are built on it); default http(s)://HOST:PORT. */
  publicUrl?: string
  adminToken?: string
  retentionMs: number
  maxBodyBytes: number
  /** Streams one token may hold open at once on this instance (a ninth is refused with 429). */
  maxStreamsPerToken?: number
  tls?: {cert: Buffer; key: Buffer}
  /** Happenings worth a line in the relay's log (the CLI prints them). */
  log?: (line: RelayLogLine) => void
}

export type RelayLogLine =
  | {type: 'ingress'; channel: string; cursor: string; bytes: number}
  | {type: 'ingress-failed'; channel: string; error: string}
  | {type: 'stream-open'; channel: string; cursor: string; client: string}
  | {type: 'stream-closed'; channel: string; client: string}
  | {type: 'trimmed'; channel: string; entries: number}
  | {type: 'clock-jump'; jumped_s: number; trims_paused_s: number}

/** A wall clock moving this much more (or less) than the time that passed is a jump, not a drift (NTP slews at 0.5 ms/s). */
const CLOCK_JUMP_MS = 60_000
/** How long trimming waits after a jump: time for a mistaken clock to be put right before any entry is judged by it. */
const TRIM_PAUSE_MS = 10 * 60_000

/** Streams per token by default: a developer's laptop, a second terminal, a CI job and spares. */
export const MAX_STREAMS_PER_TOKEN = 8

export interface Relay {
  url: string
  publicUrl: string
  close(): Promise<void>
}

// Headers a proxy in front of the relay adds: about the hop, not the delivery.
const PROXY_ADDED = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-real-ip', 'forwarded', 'via'])
const RETRY_STORE_S = 30
const ADMIN_BODY_BYTES = 16 * 1024

/** `drop`: the request's body is not read; its connection is closed once the answer is out. */
type Reply = {status: number; body: unknown; headers?: Record<string, string>; drop?: boolean}

const error = (status: number, code: string, message: string, headers?: Record<string, string>): Reply => ({status, body: {error: {code, message}}, headers})
const NOT_FOUND = error(404, 'not_found', 'Not found')

/** The headers kept with an entry: the delivery's own, without hop-by-hop and proxy-added ones. */
export function relayedHeaders(headers: IncomingMessage['headers']): Record<string, string> {
  const kept = forwardableHeaders(headers)
  for (const name of Object.keys(kept)) if (PROXY_ADDED.has(name)) delete kept[name]
  return kept
}

export async function startRelay(options: RelayOptions): Promise<Relay> {
  sizeHeapForMemory()
  const {store} = options
  const sessions = new Set<StreamSession>()
  const wss = new WebSocketServer({noServer: true, maxPayload: 64 * 1024})
  const handler = (request: IncomingMessage, response: ServerResponse) => {
    route(request).then(
      (reply) => {
        send(response, reply)
        if (reply.drop) response.once('finish', () => request.destroy())
      },
      (failure: Error) => send(response, error(500, 'internal', failure.message)),
    )
  }
  const server: Server = options.tls ? createHttpsServer({cert: options.tls.cert, key: options.tls.key}, handler) : createHttpServer(handler)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const {port} = server.address() as AddressInfo
  const host = options.host.includes(':') ? `[${options.host}]` : options.host
  const url = `${options.tls ? 'https' : 'http'}://${host}:${port}`
  const publicUrl = (options.publicUrl ?? url).replace(/\/+$/, '')

  async function route(request: IncomingMessage): Promise<Reply> {
    const path = (request.url ?? '/').split('?')[0]
    const parts = path.split('/').filter(Boolean)
    if (path === '/healthz') {
      try {
        await store.health()
        return {status: 200, body: {ok: true, store: store.kind}}
      } catch (failure) {
        return error(503, 'store_unavailable', `The ${store.kind} store does not answer: ${(failure as Error).message}`, {'retry-after': '5'})
      }
    }
    if (parts[0] === 'in' && parts.length === 3) return ingress(request, parts[1], parts[2])
    if (parts[0] === 'v1' && parts[1] === 'channels') return channels(request, parts.slice(2))
    return NOT_FOUND
  }

  /**
   * Any failure of the store (Redis away, a disk that cannot be written) is a
   * 503 with Retry-After and an `ingress-failed` line: the gateway tries again,
   * and is never told 200 for what was not stored.
   */
  async function ingress(request: IncomingMessage, name: string, secret: string): Promise<Reply> {
    try {
      return await storeDelivery(request, name, secret)
    } catch (failure) {
      const reason = (failure as NodeJS.ErrnoException).code ?? (failure as Error).message
      options.log?.({type: 'ingress-failed', channel: name, error: reason})
      return {...error(503, 'not_stored', `Not stored: ${reason}`, {'retry-after': String(RETRY_STORE_S), connection: 'close'}), drop: true}
    }
  }

  async function storeDelivery(request: IncomingMessage, name: string, secret: string): Promise<Reply> {
    const channel = CHANNEL_NAME.test(name) ? await store.getChannel(name) : undefined
    // Bodies of refused requests are not read (a stranger's megabytes cost nothing): the connection closes after the answer.
    if (!channel || !sameSecret(secret, channel.ingress_secret)) return {...NOT_FOUND, drop: true}
    if (request.method !== 'POST') return {...error(405, 'method_not_allowed', 'POST only', {allow: 'POST'}), drop: true}
    const body = await readBody(request, options.maxBodyBytes)
    if (!body) return {...error(413, 'payload_too_large', `Body over ${options.maxBodyBytes} bytes`, {connection: 'close'}), drop: true}
    // A failure to store is ingress()'s 503: the gateway must retry, never be told 200.
    const cursor = await store.append(name, {receivedAt: Date.now(), headers: relayedHeaders(request.headers), body})
    options.log?.({type: 'ingress', channel: name, cursor, bytes: body.length})
    return {status: 200, body: {received: true}}
  }

  async function channels(request: IncomingMessage, rest: string[]): Promise<Reply> {
    const method = request.method ?? 'GET'
    const [name, sub, id] = rest
    if (name !== undefined && !CHANNEL_NAME.test(name)) return NOT_FOUND
    const channel = name === undefined ? undefined : await store.getChannel(name)
    const access = await accessTo(store, options.adminToken, request.headers.authorization, channel)
    // A client token may read its own channel; everything else is the admin's.
    const clientRead = access.kind === 'client' && method === 'GET' && sub === undefined
    if (access.kind === 'none') return access.status === 401 ? error(401, 'unauthorized', 'Missing or unknown token') : error(403, 'forbidden', "This token is another channel's")
    if (access.kind !== 'admin' && !clientRead) return error(403, 'forbidden', 'This needs the admin token')
    if (name === undefined) {
      if (method === 'GET') return {status: 200, body: {data: (await store.listChannels()).map((each) => channelView(each, publicUrl))}}
      if (method !== 'POST') return error(405, 'method_not_allowed', 'GET or POST', {allow: 'GET, POST'})
      const input = await jsonBody(request)
      const wanted = typeof input?.name === 'string' ? input.name : undefined
      if (!wanted || !CHANNEL_NAME.test(wanted)) return error(400, 'invalid_name', 'name: lower-case letters, digits and dashes, 1 to 63, starting with a letter or digit')
      const created = newChannel(wanted)
      const {token, record} = newToken()
      created.tokens.push(record)
      if (!(await store.createChannel(created))) return error(409, 'exists', `Channel ${wanted} exists`)
      return {status: 201, body: {...channelView(created, publicUrl), token: {id: record.id, token}}}
    }
    if (!channel) return NOT_FOUND
    if (sub === undefined) {
      if (method === 'GET') return {status: 200, body: channelView(channel, publicUrl)}
      if (method !== 'DELETE') return error(405, 'method_not_allowed', 'GET or DELETE', {allow: 'GET, DELETE'})
      await store.deleteChannel(channel.name)
      for (const session of sessions) if (session.channel === channel.name) session.end(CLOSE.channelDeleted, 'channel deleted')
      return {status: 200, body: {name: channel.name, deleted: true}}
    }
    if (sub !== 'tokens') return NOT_FOUND
    if (id === undefined && method === 'POST') {
      const {token, record} = newToken()
      await store.updateChannel({...channel, tokens: [...channel.tokens, record]})
      return {status: 201, body: {id: record.id, token, channel: channel.name}}
    }
    if (id !== undefined && method === 'DELETE') {
      if (!channel.tokens.some((token) => token.id === id)) return NOT_FOUND
      await store.updateChannel({...channel, tokens: channel.tokens.filter((token) => token.id !== id)})
      for (const session of sessions) if (session.channel === channel.name) await session.check()
      return {status: 200, body: {id, revoked: true}}
    }
    return error(405, 'method_not_allowed', 'POST tokens, or DELETE tokens/ID')
  }

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgrade(request, socket, head).catch(() => refuse(socket, 500, 'Internal Server Error'))
  })

  async function upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const target = new URL(request.url ?? '/', 'http://relay')
    const parts = target.pathname.split('/').filter(Boolean)
    const name = parts[2]
    if (parts.length !== 4 || parts[0] !== 'v1' || parts[1] !== 'channels' || parts[3] !== 'stream' || !CHANNEL_NAME.test(name)) return refuse(socket, 404, 'Not Found')
    const channel = await store.getChannel(name)
    const access: Access = await accessTo(store, options.adminToken, request.headers.authorization, channel)
    if (access.kind === 'none') return refuse(socket, access.status, access.status === 401 ? 'Unauthorized' : 'Forbidden')
    if (!channel) return refuse(socket, 404, 'Not Found')
    const given = target.searchParams.get('after') ?? '$'
    if (!CURSOR.test(given)) return refuse(socket, 400, 'Bad Request')
    // Each stream holds up to 4 MiB in flight and a store reader: one token cannot open them without bound.
    const holder = access.kind === 'client' ? access.tokenId : 'admin'
    const limit = options.maxStreamsPerToken ?? MAX_STREAMS_PER_TOKEN
    if ([...sessions].filter((session) => session.holder === holder).length >= limit) return refuse(socket, 429, 'Too Many Requests')
    // A cursor of another incarnation (the channel was deleted and made again) never skips this one's entries.
    const known = target.searchParams.get('channel_id')
    const reset = known !== null && known !== incarnation(channel)
    const after = reset ? '0' : given
    const seqParam = target.searchParams.get('after_seq')
    const afterSeq = reset ? 0 : seqParam !== null && /^\d{1,15}$/.test(seqParam) ? Number(seqParam) : after === '0' ? 0 : undefined
    wss.handleUpgrade(request, socket, head, (ws) => {
      const session = new StreamSession(ws, store, name, access, after, incarnation(channel), holder, afterSeq)
      const client = `${request.socket.remoteAddress}:${request.socket.remotePort}`
      sessions.add(session)
      options.log?.({type: 'stream-open', channel: name, cursor: after, client})
      ws.once('close', () => {
        sessions.delete(session)
        options.log?.({type: 'stream-closed', channel: name, client})
      })
      void session.run()
    })
  }

  // Retention: often enough that nothing outlives it by more than a quarter of it (at most a minute late).
  const trimEvery = Math.min(60_000, Math.max(250, options.retentionMs / 4))
  // A wall clock that moved more than the time that passed (an NTP step, a VM restored, a bad RTC) pauses
  // trimming for TRIM_PAUSE_MS: entries would look days old that are not, and be trimmed unread.
  let lastWall = Date.now()
  let lastMono = performance.now()
  let pausedUntil = 0
  const trimAll = async () => {
    const wall = Date.now()
    const mono = performance.now()
    const jumpedMs = wall - lastWall - (mono - lastMono)
    lastWall = wall
    lastMono = mono
    if (Math.abs(jumpedMs) > CLOCK_JUMP_MS) {
      pausedUntil = mono + TRIM_PAUSE_MS
      options.log?.({type: 'clock-jump', jumped_s: Math.round(jumpedMs / 1000), trims_paused_s: TRIM_PAUSE_MS / 1000})
    }
    if (mono < pausedUntil) return
    for (const channel of await store.listChannels()) {
      const entries = await store.trim(channel.name, Date.now() - options.retentionMs)
      if (entries > 0) options.log?.({type: 'trimmed', channel: channel.name, entries})
    }
  }
  await trimAll()
  const trimmer = setInterval(() => void trimAll().catch(() => {}), trimEvery)
  trimmer.unref()

  return {
    url,
    publicUrl,
    async close() {
      clearInterval(trimmer)
      for (const session of sessions) session.end(1001, 'relay shutting down')
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      wss.close()
      await store.close()
    },
  }
}

function send(response: ServerResponse, reply: Reply): void {
  response.writeHead(reply.status, {'content-type': 'application/json', ...reply.headers})
  response.end(JSON.stringify(reply.body))
}

function refuse(socket: Duplex, status: number, text: string): void {
  const body = JSON.stringify({error: text})
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
}

async function jsonBody(request: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const body = await readBody(request, ADMIN_BODY_BYTES)
  if (!body || body.length === 0) return undefined
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}
