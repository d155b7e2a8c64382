/**
 * The stream route: a WebSocket upgrade per listener (protocol.ts), bounded
 * per token, resumed from the listener's cursor of the same channel
 * incarnation; and the streams' lifecycle (a deleted channel, a revoked
 * token, shutdown).
 */
import type {IncomingMessage} from 'node:http'
import type {Duplex} from 'node:stream'

import {WebSocketServer} from 'ws'

import {type Access, accessTo, incarnation} from './channels.js'
import {CLOSE} from './protocol.js'
import {refuse} from './reply.js'
import type {RelayLogLine} from './server.js'
import {CHANNEL_NAME, CURSOR, type RelayStore} from './store.js'
import {StreamSession} from './stream.js'
import type {ChannelStreams} from './admin.js'

/** Streams per token by default: a developer's laptop, a second terminal, a CI job and spares. */
export const MAX_STREAMS_PER_TOKEN = 8

export class Streams implements ChannelStreams {
  private readonly sessions = new Set<StreamSession>()
  private readonly wss = new WebSocketServer({noServer: true, maxPayload: 64 * 1024})

  constructor(
    private readonly store: RelayStore,
    private readonly options: {adminToken?: string; maxStreamsPerToken?: number; log?: (line: RelayLogLine) => void},
  ) {}

  async upgrade(request: IncomingMessage, socket: Duplex, head: Buffer, name: string, query: URLSearchParams): Promise<void> {
    if (!CHANNEL_NAME.test(name)) return refuse(socket, 404, 'Not Found')
    const channel = await this.store.getChannel(name)
    const access: Access = await accessTo(this.store, this.options.adminToken, request.headers.authorization, channel)
    if (access.kind === 'none') return refuse(socket, access.status, access.status === 401 ? 'Unauthorized' : 'Forbidden')
    if (!channel) return refuse(socket, 404, 'Not Found')
    const given = query.get('after') ?? '$'
    if (!CURSOR.test(given)) return refuse(socket, 400, 'Bad Request')
    // Each stream holds up to 4 MiB in flight and a store reader: one token cannot open them without bound.
    const holder = access.kind === 'client' ? access.tokenId : 'admin'
    const limit = this.options.maxStreamsPerToken ?? MAX_STREAMS_PER_TOKEN
    if ([...this.sessions].filter((session) => session.holder === holder).length >= limit) return refuse(socket, 429, 'Too Many Requests')
    // A cursor of another incarnation (the channel was deleted and made again) never skips this one's entries.
    const known = query.get('channel_id')
    const reset = known !== null && known !== incarnation(channel)
    const after = reset ? '0' : given
    const seqParam = query.get('after_seq')
    const afterSeq = reset ? 0 : seqParam !== null && /^\d{1,15}$/.test(seqParam) ? Number(seqParam) : after === '0' ? 0 : undefined
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      const session = new StreamSession(ws, this.store, name, access, after, incarnation(channel), holder, afterSeq, query.get('tentative') === '1')
      const client = `${request.socket.remoteAddress}:${request.socket.remotePort}`
      this.sessions.add(session)
      this.options.log?.({type: 'stream-open', channel: name, cursor: after, client})
      ws.once('close', () => {
        this.sessions.delete(session)
        this.options.log?.({type: 'stream-closed', channel: name, client})
      })
      void session.run()
    })
  }

  endChannel(name: string): void {
    for (const session of this.sessions) if (session.channel === name) session.end(CLOSE.channelDeleted, 'channel deleted')
  }

  async recheck(name: string): Promise<void> {
    for (const session of this.sessions) if (session.channel === name) await session.check()
  }

  close(): void {
    for (const session of this.sessions) session.end(1001, 'relay shutting down')
    this.wss.close()
  }
}
