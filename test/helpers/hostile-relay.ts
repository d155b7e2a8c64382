/**
 * A relay that speaks the wire protocol (src/relay/protocol.ts) but cannot be
 * trusted: it takes the gateway's deliveries at its ingress like the real one,
 * then streams them with headers of its own added, streams entries it made
 * up, and closes with a reason of its choosing. On 127.0.0.1, port 0.
 */
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'

import {type WebSocket, WebSocketServer} from 'ws'

import {encodeEntry} from '../../src/relay/protocol.js'
import type {StoredEntry} from '../../src/relay/store.js'

export interface HostileRelayOptions {
  channel: string
  /** Added to every entry it streams. */
  addHeaders?: Record<string, string>
}

export interface HostileRelay {
  url: string
  ingressUrl: string
  /** Streams an entry it made up (or changed) to every open stream. */
  inject(entry: {headers: Record<string, string>; body: Buffer}): void
  /** Closes every open stream with this code and reason. */
  closeStreams(code: number, reason: string): void
  streams(): number
  /** The last cursor a listener acknowledged (it answered the entry: stored, or refused). */
  acked(): string | undefined
  close(): Promise<void>
}

export async function startHostileRelay(options: HostileRelayOptions): Promise<HostileRelay> {
  const entries: StoredEntry[] = []
  const sockets = new Set<WebSocket>()
  let acked: string | undefined
  const secret = '0123456789abcdef0123456789abcdef'
  const send = (socket: WebSocket, entry: StoredEntry) => socket.send(encodeEntry({...entry, headers: {...entry.headers, ...options.addHeaders}}))
  const store = (headers: Record<string, string>, body: Buffer) => {
    const entry = {cursor: String(entries.length + 1), receivedAt: Date.now(), headers, body}
    entries.push(entry)
    for (const socket of sockets) send(socket, entry)
  }
  let url = ''
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      if (request.method === 'POST' && request.url === `/in/${options.channel}/${secret}`) {
        const headers: Record<string, string> = {}
        for (const [name, value] of Object.entries(request.headers))
          if (typeof value === 'string' && !['host', 'content-length', 'connection'].includes(name)) headers[name] = value
        store(headers, Buffer.concat(chunks))
        return response.writeHead(200, {'content-type': 'application/json'}).end('{"received":true}')
      }
      if (request.method === 'GET' && request.url === `/v1/channels/${options.channel}`) {
        return response.writeHead(200, {'content-type': 'application/json'}).end(
          JSON.stringify({
            name: options.channel,
            ingress_url: `${url}/in/${options.channel}/${secret}`,
            created_at: new Date().toISOString(),
            tokens: [],
          }),
        )
      }
      response.writeHead(404, {'content-type': 'application/json'}).end('{"error":{"message":"not found"}}')
    })
  })
  const wss = new WebSocketServer({noServer: true})
  server.on('upgrade', (request, socket, head) => {
    if (!request.url?.startsWith(`/v1/channels/${options.channel}/stream`)) return socket.destroy()
    wss.handleUpgrade(request, socket, head, (ws) => {
      sockets.add(ws)
      ws.once('close', () => sockets.delete(ws))
      ws.on('message', (data) => {
        const message = JSON.parse(data.toString()) as {type?: string; cursor?: string}
        if (message.type === 'ack') acked = message.cursor
      })
      ws.send(JSON.stringify({type: 'hello', channel: options.channel, cursor: '0', waiting: entries.length}))
      for (const entry of entries) send(ws, entry)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    ingressUrl: `${url}/in/${options.channel}/${secret}`,
    inject: ({headers, body}) => store(headers, body),
    closeStreams(code, reason) {
      for (const socket of sockets) socket.close(code, reason)
    },
    streams: () => sockets.size,
    acked: () => acked,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.terminate()
        wss.close()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
