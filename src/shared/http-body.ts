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
