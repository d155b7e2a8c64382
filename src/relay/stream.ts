/**
 * One client's stream: every entry after its cursor, in order, at most
 * STREAM_WINDOW beyond its last ack, from a store reader of its own (so each
 * client of a channel has its own cursor: fan-out, not a consumer group).
 * Every 2 s, and at once when this instance revokes a token or deletes the
 * channel, the access is checked again: a revoked token's stream is closed.
 */
import type {WebSocket} from 'ws'

import {type Access, stillAllowed} from './channels.js'
import {CLOSE, type Hello, STREAM_WINDOW, WAITING_CAP, encodeEntry, keepAlive} from './protocol.js'
import type {RelayStore, StoreReader} from './store.js'

// A read blocks this long at most, so a closed or revoked stream is noticed within it.
const READ_BLOCK_MS = 1000
const RECHECK_MS = 2000
// Past this many bytes queued on the socket, reading pauses until it drains (a slow client holds no more than this in memory).
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024

export class StreamSession {
  private open = true
  private sent: string[] = []
  private wakeAck?: () => void
  private reader?: StoreReader

  constructor(
    private readonly ws: WebSocket,
    private readonly store: RelayStore,
    readonly channel: string,
    readonly access: Access,
    private cursor: string,
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
    void this.reader?.close()
  }

  async run(): Promise<void> {
    try {
      this.reader = await this.store.reader()
      if (this.cursor === '$') this.cursor = await this.store.latest(this.channel)
      const hello: Hello = {type: 'hello', channel: this.channel, cursor: this.cursor, waiting: await this.store.count(this.channel, this.cursor, WAITING_CAP)}
      this.ws.send(JSON.stringify(hello))
      let checked = Date.now()
      while (this.open) {
        if (Date.now() - checked >= RECHECK_MS) {
          checked = Date.now()
          if (!(await this.check())) return
        }
        if (this.sent.length >= STREAM_WINDOW || this.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
          await this.waitForAck()
          continue
        }
        const entries = await this.reader.read(this.channel, this.cursor, STREAM_WINDOW - this.sent.length, READ_BLOCK_MS)
        for (const entry of entries) {
          if (!this.open) return
          this.ws.send(encodeEntry(entry))
          this.sent.push(entry.cursor)
          this.cursor = entry.cursor
        }
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
    if (stillAllowed(this.access, channel)) return true
    this.end(channel ? CLOSE.tokenRevoked : CLOSE.channelDeleted, channel ? 'token revoked' : 'channel deleted')
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
