/**
 * One client's stream: every entry after its cursor, in order, at most
 * STREAM_WINDOW beyond its last ack, from a store reader of its own (so each
 * client of a channel has its own cursor: fan-out, not a consumer group).
 * Every 2 s, and at once when this instance revokes a token or deletes the
 * channel, the access is checked again: a revoked token's stream is closed.
 */
import type {WebSocket} from 'ws'

import {type Access, incarnation, stillAllowed} from './channels.js'
import {CLOSE, type Hello, STREAM_WINDOW, WAITING_CAP, encodeEntry, keepAlive} from './protocol.js'
import type {RelayStore, StoreReader} from './store.js'

// A read blocks this long at most, so a closed stream is noticed within it.
const READ_BLOCK_MS = 1000
// Access is checked again this often, on a timer of its own (not between reads, which a backlog or a
// blocked read delays): a revoked token's stream closes within ~1 s on every instance, inside the documented 2 s.
const RECHECK_MS = 1000
/**
 * Bytes in flight per stream: checked before each send, so a client that
 * does not read holds at most this much queued on its socket (plus one
 * entry), and reads fetch only about this much at a time.
 */
export const MAX_BUFFERED_BYTES = 4 * 1024 * 1024
// Entries per read before their size is known (then: as many as fit MAX_BUFFERED_BYTES, 1 to the window).
const FIRST_READ = 16

export class StreamSession {
  private open = true
  private sent: string[] = []
  private wakeAck?: () => void
  private reader?: StoreReader
  /** Entries sent before they were durable: the newest one's number, the newest durable number known, the last one told. */
  private tentativeSent = 0
  private durable = 0
  private told = 0
  private unwatch?: () => void

  constructor(
    private readonly ws: WebSocket,
    private readonly store: RelayStore,
    readonly channel: string,
    readonly access: Access,
    private cursor: string,
    /** The incarnation streamed: one made again under the same name ends this stream. */
    private readonly channelId: string,
    /** Whose stream it is (a client token's id, or `admin`), for the streams-per-token bound. */
    readonly holder: string,
    /** The number of the last entry the client read (0: none), when it says: entries trimmed since are reported. */
    private readonly afterSeq: number | undefined,
    /** The client takes entries before they are durable, and `durable` notices (protocol.ts). */
    private readonly tentative: boolean,
  ) {
    ws.on('message', (data, binary) => {
      if (binary) return
      try {
        const message = JSON.parse(data.toString()) as {type?: unknown; cursor?: unknown}
        if (message.type === 'ack' && typeof message.cursor === 'string') this.acked(message.cursor)
      } catch {
        // Not ours: ignored.
      }
    })
    ws.on('close', () => this.stop())
    ws.on('error', () => this.stop())
    keepAlive(ws)
  }

  private acked(cursor: string): void {
    const index = this.sent.indexOf(cursor)
    if (index < 0) return
    this.sent = this.sent.slice(index + 1)
    this.wakeAck?.()
  }

  /** Ends the stream with a close code (revoked token, deleted channel, shutdown). */
  end(code: number, reason: string): void {
    if (!this.open) return
    this.ws.close(code, reason)
    this.stop()
  }

  private stop(): void {
    this.open = false
    this.wakeAck?.()
    this.unwatch?.()
    void this.reader?.close()
  }

  /** The store's newest durable number: a notice to the client when entries it was sent tentatively are now covered. */
  private durableAt(seq: number): void {
    this.durable = seq
    if (!this.open || this.tentativeSent <= this.told || seq <= this.told) return
    this.told = seq
    this.ws.send(JSON.stringify({type: 'durable', seq}))
  }

  async run(): Promise<void> {
    try {
      this.reader = await this.store.reader()
      const missed = this.afterSeq === undefined || this.cursor === '$' ? 0 : await this.store.missed(this.channel, this.afterSeq)
      let seq: number | undefined
      if (this.cursor === '$') {
        // The cursor first: an entry appended between the two reads is after it (streamed, never skipped); its
        // number may then be counted as read, which at worst undercounts a later "trimmed" report by one.
        this.cursor = await this.store.latest(this.channel)
        seq = await this.store.latestSeq(this.channel)
      }
      const hello: Hello = {
        type: 'hello',
        channel: this.channel,
        channel_id: this.channelId,
        cursor: this.cursor,
        waiting: await this.store.count(this.channel, this.cursor, WAITING_CAP),
        ...(missed > 0 ? {missed} : {}),
        ...(seq === undefined ? {} : {seq}),
      }
      this.ws.send(JSON.stringify(hello))
      if (this.tentative && this.store.watchDurable) this.unwatch = this.store.watchDurable(this.channel, (seq) => this.durableAt(seq))
      const recheck = setInterval(() => void this.check().catch(() => {}), RECHECK_MS)
      recheck.unref()
      this.ws.once('close', () => clearInterval(recheck))
      let entrySize = 0
      let checked = Date.now()
      try {
        while (this.open) {
          // Also here: a read of a channel deleted meanwhile answers at once, and the loop must not outrun the timer.
          if (Date.now() - checked >= RECHECK_MS) {
            checked = Date.now()
            if (!(await this.check())) return
          }
          if (this.sent.length >= STREAM_WINDOW || this.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
            await this.waitForAck()
            continue
          }
          const room = STREAM_WINDOW - this.sent.length
          const count = entrySize === 0 ? Math.min(FIRST_READ, room) : Math.max(1, Math.min(room, Math.floor(MAX_BUFFERED_BYTES / entrySize)))
          const entries = await this.reader.read(this.channel, this.cursor, count, READ_BLOCK_MS, this.tentative)
          // Nothing, at once (the channel is gone): give timers and sockets a turn rather than spin.
          if (entries.length === 0) await new Promise((resolve) => setImmediate(resolve))
          for (const entry of entries) {
            // Checked before each send: what is not sent is read again from the store later, after the cursor.
            if (!this.open || this.ws.bufferedAmount > MAX_BUFFERED_BYTES) break
            // Stored meanwhile (its notice came before this send): sent as durable.
            const early = entry.tentative === true && entry.seq! > this.durable
            if (early) this.tentativeSent = entry.seq!
            const frame = encodeEntry(entry, early)
            entrySize = Math.max(1, Math.round(entrySize === 0 ? frame.length : (entrySize * 7 + frame.length) / 8))
            this.ws.send(frame)
            this.sent.push(entry.cursor)
            this.cursor = entry.cursor
          }
        }
      } finally {
        clearInterval(recheck)
      }
    } catch (error) {
      if (this.open) this.end(1011, `store: ${(error as Error).message}`.slice(0, 120))
    } finally {
      this.stop()
    }
  }

  /** Whether the access still holds; closes the stream when not. */
  async check(): Promise<boolean> {
    const channel = await this.store.getChannel(this.channel)
    if (stillAllowed(this.access, channel, this.channelId)) return true
    const revoked = channel !== undefined && incarnation(channel) === this.channelId
    this.end(revoked ? CLOSE.tokenRevoked : CLOSE.channelDeleted, revoked ? 'token revoked' : 'channel deleted')
    return false
  }

  private waitForAck(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, READ_BLOCK_MS)
      function done() {
        clearTimeout(timer)
        resolve()
      }
      this.wakeAck = done
    })
  }
}
