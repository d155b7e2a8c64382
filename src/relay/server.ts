/**
 * `ummah relay start`: the public end of the tunnel. The gateway posts to a
 * channel's ingress URL; `webhooks listen --relay` clients stream the
 * channel from their own cursors over a WebSocket they open (so a laptop
 * behind NAT needs no inbound port); channels and tokens are managed over a
 * small JSON API with the admin token. The routes are declared in
 * routes.ts; this module is the shell that joins the parts:
 *
 *   router     routes.ts: a request's route, or 404/405
 *   ingress    ingress.ts: deliveries stored exactly, 200 only once durable
 *   admin      admin.ts: channels and tokens, behind one access rule
 *   streams    streams.ts: the WebSocket upgrades and their lifecycle
 *   retention  retention.ts: trimming, paused across wall-clock jumps
 *
 * Each takes the injected clock (shared/clock.ts), so tests move time.
 */
import {type IncomingMessage, type Server, type ServerResponse, createServer as createHttpServer} from 'node:http'
import {createServer as createHttpsServer} from 'node:https'
import type {AddressInfo} from 'node:net'
import type {Duplex} from 'node:stream'

import {type Clock, systemClock} from '../shared/clock.js'
import {discardUnread} from '../shared/http-body.js'
import {sizeHeapForMemory} from '../shared/heap.js'
import {ChannelAdmin} from './admin.js'
import {Ingress} from './ingress.js'
import {NOT_FOUND, type Reply, errorReply, refuse, send} from './reply.js'
import {Retention} from './retention.js'
import {type AdminRouteName, RELAY_ROUTES, type RouteName, matchRoute} from './routes.js'
import type {RelayStore, StoreLogLine} from './store.js'
import {Streams} from './streams.js'

export {relayedHeaders} from './ingress.js'
export {MAX_STREAMS_PER_TOKEN} from './streams.js'

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
  /** Time as this relay reads it (tests move it); the system's by default. */
  clock?: Clock
}

export type RelayLogLine =
  | {type: 'ingress'; channel: string; cursor: string; bytes: number}
  | {type: 'ingress-failed'; channel: string; error: string}
  | {type: 'stream-open'; channel: string; cursor: string; client: string}
  | {type: 'stream-closed'; channel: string; client: string}
  | {type: 'trimmed'; channel: string; entries: number}
  | {type: 'clock-jump'; jumped_s: number; trims_paused_s: number}
  | StoreLogLine

export interface Relay {
  url: string
  publicUrl: string
  retention: Retention
  close(): Promise<void>
}

/** The HTTP routes' handlers: one per route that answers with a response (the stream route upgrades instead). */
type HttpRouteName = Exclude<RouteName, 'stream'>

export async function startRelay(options: RelayOptions): Promise<Relay> {
  sizeHeapForMemory()
  const {store} = options
  const clock = options.clock ?? systemClock
  const server = await listen(options, (request, response) => {
    route(request).then(
      (reply) => {
        send(response, reply)
        if (reply.drop) discardUnread(request)
      },
      (failure: Error) => send(response, errorReply(500, 'internal', failure.message)),
    )
  })
  const {port} = server.address() as AddressInfo
  const host = options.host.includes(':') ? `[${options.host}]` : options.host
  const url = `${options.tls ? 'https' : 'http'}://${host}:${port}`
  const publicUrl = (options.publicUrl ?? url).replace(/\/+$/, '')

  const ingress = new Ingress(store, {maxBodyBytes: options.maxBodyBytes, clock, log: options.log})
  const streams = new Streams(store, {adminToken: options.adminToken, maxStreamsPerToken: options.maxStreamsPerToken, log: options.log})
  const admin = new ChannelAdmin(store, {adminToken: options.adminToken, publicUrl, streams})
  const retention = new Retention(store, {retentionMs: options.retentionMs, clock, log: options.log})

  const health = async (): Promise<Reply> => {
    try {
      await store.health()
      return {status: 200, body: {ok: true, store: store.kind}}
    } catch (failure) {
      return errorReply(503, 'store_unavailable', `The ${store.kind} store does not answer: ${(failure as Error).message}`, {'retry-after': '5'})
    }
  }
  const adminRoute = (name: AdminRouteName) => (request: IncomingMessage, params: Record<string, string>) => admin.handle(name, request, params)
  const handlers: Record<HttpRouteName, (request: IncomingMessage, params: Record<string, string>) => Promise<Reply>> = {
    health,
    ingress: (request, params) => ingress.handle(request, params.channel, params.secret),
    listChannels: adminRoute('listChannels'),
    createChannel: adminRoute('createChannel'),
    getChannel: adminRoute('getChannel'),
    deleteChannel: adminRoute('deleteChannel'),
    createToken: adminRoute('createToken'),
    revokeToken: adminRoute('revokeToken'),
  }

  async function route(request: IncomingMessage): Promise<Reply> {
    const match = matchRoute(request.method ?? 'GET', (request.url ?? '/').split('?')[0])
    if (match.kind === 'none' || match.name === 'stream') return NOT_FOUND
    // Ingress checks the channel's secret before the method: a stranger learns nothing of the channel.
    if (match.kind === 'method' && RELAY_ROUTES[match.name].access !== 'secret') {
      return errorReply(405, 'method_not_allowed', `${match.allow.join(' or ')} only`, {allow: match.allow.join(', ')})
    }
    return handlers[match.name](request, match.params)
  }

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const target = new URL(request.url ?? '/', 'http://relay')
    const match = matchRoute(request.method ?? 'GET', target.pathname)
    if (match.kind !== 'route' || match.name !== 'stream') return refuse(socket, 404, 'Not Found')
    streams.upgrade(request, socket, head, match.params.channel, target.searchParams).catch(() => refuse(socket, 500, 'Internal Server Error'))
  })

  await retention.start()
  return {
    url,
    publicUrl,
    retention,
    async close() {
      retention.stop()
      streams.close()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      await store.close()
    },
  }
}

async function listen(options: RelayOptions, handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<Server> {
  const server: Server = options.tls ? createHttpsServer({cert: options.tls.cert, key: options.tls.key}, handler) : createHttpServer(handler)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  return server
}
