/**
 * What the relay and `webhooks listen --relay` say to each other over the
 * stream's WebSocket (`GET /v1/channels/NAME/stream?after=CURSOR&after_seq=N&channel_id=ID`, with
 * `Authorization: Bearer TOKEN`):
 *
 *   relay → client, text:   {"type":"hello","channel":…,"channel_id":…,"cursor":…,"waiting":N}
 *   relay → client, binary: one entry: 4-byte big-endian length of a JSON
 *                           {"cursor","seq","received_at","headers"[,"tentative":true]}, that JSON, then the body's exact bytes
 *   relay → client, text:   {"type":"durable","seq":N}: every entry numbered up to N is durable (or failed for good)
 *   client → relay, text:   {"type":"ack","cursor":…}: everything up to it is stored on the client
 *
 * A client that adds `tentative=1` to the query is sent an entry of the
 * embedded store while the relay is still writing it (`tentative`), so the
 * relay's durable write is not on the event's way to the app. Such an entry
 * may yet fail to be stored (the sender got no 200 and sends it again: the
 * listener recognises its id), and after a crash of the relay its number may
 * be given to another entry: the client's resume cursor moves past it only
 * once a `durable` notice (or a later entry sent as durable) covers its number.
 *
 * The relay sends at most STREAM_WINDOW entries beyond the last ack. Close
 * codes above 4000 say why the relay ended a stream; the client gives up on
 * those rather than reconnecting.
 */
import type {WebSocket} from 'ws'

import type {StoredEntry} from './store.js'

/** Entries sent and not yet acknowledged, per client. */
export const STREAM_WINDOW = 256

export const CLOSE = {
  tokenRevoked: 4401,
  channelDeleted: 4404,
} as const

export interface Hello {
  type: 'hello'
  channel: string
  /** The channel's incarnation (channels.ts): the client keeps it with its cursor. */
  channel_id: string
  /**
   * Where this stream starts: the client's cursor, or what `$` resolved to
   * (the newest entry now), or `0` when the client's cursor belonged to
   * another incarnation. The client keeps it from the hello on, so a
   * reconnect before its first entry resumes exactly there.
   */
  cursor: string
  /** Entries after the client's cursor when it connected (counted up to WAITING_CAP). */
  waiting: number
  /** Entries after the client's place trimmed before it read them (retention): it says so, loudly. */
  missed?: number
  /** The number of the entry at `cursor` when the relay resolved it (`$`): the client counts from there. */
  seq?: number
}

export const WAITING_CAP = 100_000

/** `tentative`: sent before it is durable (see above); only an entry with a seq can be. */
export function encodeEntry(entry: StoredEntry, tentative = false): Buffer {
  const meta = Buffer.from(
    JSON.stringify({
      cursor: entry.cursor,
      ...(entry.seq === undefined ? {} : {seq: entry.seq}),
      received_at: entry.receivedAt,
      headers: entry.headers,
      ...(tentative && entry.seq !== undefined ? {tentative: true} : {}),
    }),
  )
  const length = Buffer.allocUnsafe(4)
  length.writeUInt32BE(meta.length)
  return Buffer.concat([length, meta, entry.body])
}

export function decodeEntry(frame: Buffer): StoredEntry {
  if (frame.length < 4) throw new Error('entry frame shorter than its header')
  const length = frame.readUInt32BE(0)
  if (4 + length > frame.length) throw new Error('entry frame shorter than its header')
  const meta = JSON.parse(frame.toString('utf8', 4, 4 + length)) as {
    cursor?: unknown
    seq?: unknown
    received_at?: unknown
    headers?: unknown
    tentative?: unknown
  }
  const headers = meta.headers
  if (
    typeof meta.cursor !== 'string' ||
    typeof meta.received_at !== 'number' ||
    typeof headers !== 'object' ||
    headers === null ||
    Array.isArray(headers) ||
    !Object.values(headers).every((value) => typeof value === 'string')
  ) {
    throw new Error('entry frame has a malformed header')
  }
  const seq = typeof meta.seq === 'number' && Number.isSafeInteger(meta.seq) && meta.seq > 0 ? meta.seq : undefined
  return {
    cursor: meta.cursor,
    ...(seq === undefined ? {} : {seq}),
    receivedAt: meta.received_at,
    headers: headers as Record<string, string>,
    body: frame.subarray(4 + length),
    // Without a number there is no notice that could cover it: such an entry is taken as durable, as before this flag.
    ...(meta.tentative === true && seq !== undefined ? {tentative: true as const} : {}),
  }
}

/** A `durable` notice's number, or undefined when the text is not one. */
export function durableNotice(text: string): number | undefined {
  try {
    const message = JSON.parse(text) as {type?: unknown; seq?: unknown}
    return message.type === 'durable' && typeof message.seq === 'number' && Number.isSafeInteger(message.seq) && message.seq >= 0
      ? message.seq
      : undefined
  } catch {
    return undefined
  }
}

// Both ends ping this often: a dead connection (a laptop asleep, a cable pulled) is noticed within two intervals.
const PING_MS = 15_000

/** Pings the peer every PING_MS; one that sent nothing (no pong, no message) since the last ping is cut off. */
export function keepAlive(socket: WebSocket, intervalMs = PING_MS): void {
  let alive = true
  const heard = () => (alive = true)
  socket.on('pong', heard)
  socket.on('message', heard)
  const timer = setInterval(() => {
    if (!alive) {
      socket.terminate()
      return
    }
    alive = false
    socket.ping()
  }, intervalMs)
  timer.unref()
  socket.once('close', () => clearInterval(timer))
}
