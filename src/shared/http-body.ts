/** A request's body for the servers that take deliveries (the listener's receiver, the relay's ingress). */
import type {IncomingMessage} from 'node:http'

/** Headers of one hop or of the message's framing: never kept from a delivery, never set by a flag. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'expect',
])

/** The headers of a received delivery worth keeping and forwarding; with `only`, just those named there. */
export function forwardableHeaders(headers: Record<string, string | string[] | undefined>, only?: ReadonlySet<string>): Record<string, string> {
  const kept: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || (only && !only.has(name.toLowerCase()))) continue
    kept[name] = Array.isArray(value) ? value.join(', ') : value
  }
  return kept
}

/** What a refused request's sender may still write (read and thrown away) before its connection is cut, and for how long. */
const LINGER_BYTES = 8 * 1024 * 1024
const LINGER_MS = 2000

/**
 * After an answer given without reading the whole body (413, a stranger's
 * 404): the rest is read and thrown away, up to LINGER_BYTES within
 * LINGER_MS, and only past those is the connection cut. Cut at once, the
 * socket was reset under a sender still writing, and the sender's kernel
 * dropped the answer unread: `fetch failed` (ECONNRESET) where it should have
 * read 413, in one CI run on Node 22. Such an answer must not say
 * `connection: close`, on which Node closes the socket as soon as it is written.
 */
export function discardUnread(request: IncomingMessage): void {
  if (request.complete) return
  let drained = 0
  const timer = setTimeout(() => request.socket.destroy(), LINGER_MS)
  timer.unref()
  request.on('data', (chunk: Buffer) => {
    drained += chunk.length
    if (drained <= LINGER_BYTES) return
    clearTimeout(timer)
    request.socket.destroy()
  })
  request.once('end', () => clearTimeout(timer))
  request.once('close', () => clearTimeout(timer))
  request.resume()
}

/** The whole body, or undefined past `limit`. Stream events rather than `for await`, whose async iterator costs ~2 KB of garbage per request at thousands of requests a second. */
export function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
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
