/**
 * The listener's second EventSource: a WebSocket out to `ummah relay`
 * (so the laptop opens no inbound port), streaming one channel from the
 * last cursor this listener stored. Entries go to the pipeline in order, up
 * to BATCH at a time (their spool writes share an fsync), and are answered in
 * order: 200 (spooled) or 403 (signature refused: never forwarded) moves the
 * cursor past the entry; 503 (starting, disk full) waits the Retry-After and
 * offers the entry again. The cursor is acknowledged to the relay and saved
 * on disk at most every SAVE_MS, so a `kill -9` re-receives at most that
 * much, which the spool recognises by event id and does not forward again.
 * An entry the relay sent while still writing it (`tentative`, protocol.ts)
 * is forwarded at once, but the saved cursor moves past it only once the
 * relay says its number is durable: a relay that crashed before storing it
 * may give that number to another entry, which this listener must not skip.
 *
 * On a lost connection it reconnects, trying the next URL of --relay, with
 * backoff (1, 2, 4 … 30 s), and resumes from the cursor. Close codes 44xx
 * (token revoked, channel deleted) and an HTTP 401/403/404 at connect are
 * final: `failed` resolves with the reason and the listener stops.
 */
import {proxyConfigured} from '../api/http.js'
import WebSocket from 'ws'

import {UmmahError} from '../shared/errors.js'
import {relayUrl} from '../relay/admin-client.js'
import {routePath} from '../relay/routes.js'
import {CLOSE, type Hello, decodeEntry, durableNotice, keepAlive} from '../relay/protocol.js'
import type {StoredEntry} from '../relay/store.js'
import type {EventSource, Intake, ListenLine} from './pipeline.js'
import {Sleeps} from '../shared/clock.js'

export interface RelaySourceOptions {
  /** Relay base URLs, tried in turn. */
  urls: string[]
  token: string
  channel: string
  /** The channel's ingress URL (the gateway webhook's callback). */
  ingressUrl: string
  /** The cursor to resume after (`0`: from the first entry; `$`: the newest, resolved by the relay's hello). */
  cursor: string
  /** The channel's incarnation the cursor belongs to, sent with it: the relay never skips by a cursor of another. */
  channelId?: string
  /** The number of the entry at the cursor, sent with it: the relay says how many after it were trimmed unread. */
  cursorSeq?: number
  saveCursor: (position: {cursor: string; channelId?: string; seq?: number}) => Promise<void>
  emit: (line: ListenLine) => void
}

// Entries offered to the pipeline at once: their spool lines share one write and fsync. The next batch waits for this
// one's answers (its spool write). Offering each entry as it arrives was tried twice, in interleaved A/B runs of the
// bench: the relay path's p99 was no better (2.72 / 3.50 ms against 3.06 / 3.29; events over 6 ms 6 / 13 against
// 11 / 10 of 5,000), and it cost CPU (410 / 421 µs an event against 368 / 370; 2,523 / 2,477 events/s against
// 2,828 / 2,773): smaller group commits.
const BATCH = 64
const SAVE_MS = 200
/**
 * Entries taken tentatively and not yet covered by a durable notice, kept to
 * move the cursor when one comes: the relay notices after each write (a few
 * entries), so this bound only matters for a relay that never does; past it
 * the oldest are forgotten and the cursor moves later, never further.
 */
const UNCONFIRMED_MAX = 4096
const BACKOFF_S = [1, 2, 4, 8, 16, 30]
const CONNECT_TIMEOUT_MS = 10_000
const FINAL_CLOSES = new Set<number>([CLOSE.tokenRevoked, CLOSE.channelDeleted])

/** A connection attempt that will not get better by trying again. */
class FinalError extends UmmahError {}

export class RelaySource implements EventSource {
  private socket?: WebSocket
  private stopped = false
  /** The reconnect backoff and a 503's Retry-After: close() (or a final close from the relay) cuts them short. */
  private readonly pauses = new Sleeps()
  private inbox: StoredEntry[] = []
  private processing?: Promise<void>
  /** Where this listener resumes and what it saves: past entries it stored that the relay holds durably. */
  private cursor: string
  private seq: number | undefined
  /** The last entry it stored (acknowledged to the relay, which may send more). */
  private processed: string
  /** Stored here, sent tentatively, not yet covered by a notice (oldest first); the newest durable number the relay told. */
  private unconfirmed: Array<{cursor: string; seq: number}> = []
  private durableSeq = 0
  private channelId: string | undefined
  private saved: string
  private savedChannelId: string | undefined
  private saveTimer?: NodeJS.Timeout
  private intake?: Intake
  private fail: (error: Error) => void = () => {}
  /** Resolves when the relay ends this listener's stream for good (a revoked token, a deleted channel). */
  readonly failed: Promise<Error>
  /** Which URL of the list to try next. */
  private next = 0

  constructor(private readonly options: RelaySourceOptions) {
    this.cursor = options.cursor
    this.processed = options.cursor
    this.seq = options.cursorSeq
    this.channelId = options.channelId
    this.saved = options.cursor
    this.savedChannelId = options.channelId
    this.failed = new Promise((resolve) => (this.fail = resolve))
  }

  /** Connects (each URL once; an unreachable relay or a refused token fails here), then keeps the stream up until close(). */
  async start(intake: Intake): Promise<{url: string}> {
    this.intake = intake
    let firstError: Error | undefined
    for (let tried = 0; tried < this.options.urls.length; tried++) {
      try {
        const {closed} = await this.connect()
        void this.keepUp(closed)
        return {url: this.options.ingressUrl}
      } catch (error) {
        if (error instanceof FinalError) throw error
        firstError ??= error as Error
      }
    }
    throw new UmmahError(`Cannot reach the relay at ${this.options.urls.join(', ')} (${firstError?.message})`, {
      code: 'relay_unreachable',
      hint: 'Is `ummah relay start` running there, and the URL right?',
    })
  }

  /** Reconnects after each loss until stopped or refused for good. */
  private async keepUp(first: Promise<string>): Promise<void> {
    let reason = await first
    let attempt = 0
    while (!this.stopped) {
      // A healthy connection lost: the next URL at once when there are several.
      const delayS = this.options.urls.length > 1 && attempt === 0 ? 0 : BACKOFF_S[Math.min(attempt, BACKOFF_S.length - 1)]
      this.options.emit({
        type: 'relay',
        state: 'disconnected',
        relay: this.options.urls[this.next],
        channel: this.options.channel,
        error: reason,
        retry_in_s: delayS,
      })
      await this.pauses.sleep(delayS * 1000)
      if (this.stopped) return
      try {
        const {closed} = await this.connect()
        attempt = 0
        reason = await closed
      } catch (error) {
        if (error instanceof FinalError) {
          this.stopped = true
          this.fail(error)
          return
        }
        attempt++
        reason = (error as Error).message
      }
    }
  }

  /** Opens one connection and waits for its hello; `closed` resolves with why it closed. */
  private async connect(): Promise<{closed: Promise<string>}> {
    // What is being handed to the pipeline finishes first, so the resume cursor is past it.
    await this.processing
    // What was taken tentatively comes again after the cursor (the spool recognises it); notices are per connection.
    this.processed = this.cursor
    this.unconfirmed = []
    this.durableSeq = 0
    const base = this.options.urls[this.next]
    this.next = (this.next + 1) % this.options.urls.length
    const query = new URLSearchParams({after: this.cursor, tentative: '1'})
    if (this.channelId !== undefined) query.set('channel_id', this.channelId)
    if (this.seq !== undefined) query.set('after_seq', String(this.seq))
    const url = relayUrl(base, `${routePath('stream', {channel: this.options.channel})}?${query}`).href.replace(/^http/, 'ws')
    // Behind a corporate proxy (HTTPS_PROXY/HTTP_PROXY, NO_PROXY): the stream goes through its CONNECT tunnel, as the API calls do.
    const agent = proxyConfigured(process.env) ? (await import('../api/proxy.js')).webSocketAgent(new URL(url), process.env) : undefined
    const socket = new WebSocket(url, {
      agent,
      headers: {authorization: `Bearer ${this.options.token}`},
      handshakeTimeout: CONNECT_TIMEOUT_MS,
      maxPayload: 80 * 1024 * 1024,
    })
    this.socket = socket
    let greeted: (hello: Hello) => void = () => {}
    let refused: (error: Error) => void = () => {}
    const hello = new Promise<Hello>((resolve, reject) => {
      greeted = resolve
      refused = reject
    })
    let said: Hello | undefined
    // One listener from the first frame on: entries in the same packet as the hello are not missed.
    socket.on('message', (data, binary) => {
      if (!said) {
        try {
          const message = JSON.parse(data.toString()) as Hello
          if (binary || message.type !== 'hello' || typeof message.cursor !== 'string') throw new Error('no hello')
          said = message
          this.adopt(message)
          greeted(message)
        } catch {
          refused(new Error('the relay did not say hello'))
          socket.terminate()
        }
        return
      }
      if (!binary) {
        const durable = durableNotice(data.toString())
        if (durable !== undefined) this.confirm(durable)
        return
      }
      try {
        this.inbox.push(decodeEntry(data as Buffer))
      } catch (error) {
        this.options.emit({type: 'error', stage: 'receive', error: `relay: ${(error as Error).message}`})
        return
      }
      this.processing ??= this.process()
    })
    socket.once('unexpected-response', (_request, response) => {
      const status = response.statusCode ?? 0
      response.resume()
      const message = `The relay at ${base} refused the stream of channel ${this.options.channel} (${status})`
      if (status === 401 || status === 403)
        refused(
          new FinalError(message, {
            code: 'relay_unauthorized',
            hint: 'Check --relay-token (or UMMAH_RELAY_TOKEN): a client token reaches only its own channel.',
          }),
        )
      else if (status === 404)
        refused(new FinalError(message, {code: 'relay_not_found', hint: 'List the channels with `ummah relay channels list`.'}))
      else refused(new Error(`HTTP ${status}`))
      socket.terminate()
    })
    socket.on('error', (error: NodeJS.ErrnoException) => refused(new Error(error.code ?? error.message)))
    keepAlive(socket)
    const closed = new Promise<string>((resolve) => {
      socket.once('close', (code, why) => {
        const reason = why.toString() || `closed ${code}`
        refused(new Error(reason))
        // Entries of a lost connection not yet handed over come again on the next one.
        this.inbox = []
        if (said && FINAL_CLOSES.has(code)) {
          this.stopped = true
          this.pauses.stop()
          const hint =
            code === CLOSE.channelDeleted
              ? 'The channel was deleted (or made again): run listen again; a personal channel is made again and read from its first entry.'
              : 'Ask the relay admin for a token (`ummah relay channels tokens create`).'
          this.fail(
            new UmmahError(`The relay ended the stream of channel ${this.options.channel}: ${reason}`, {
              code: code === CLOSE.channelDeleted ? 'relay_channel_deleted' : 'relay_token_revoked',
              hint,
            }),
          )
        }
        resolve(reason)
      })
    })
    const greeting = await hello
    this.options.emit({
      type: 'relay',
      state: 'connected',
      relay: base,
      channel: this.options.channel,
      waiting: greeting.waiting,
      resumed: this.connections++ > 0,
    })
    return {closed}
  }

  private connections = 0

  /**
   * Where the relay says this stream starts is this listener's cursor from
   * now on, saved at once: `$` resolved on the first connection (a reconnect
   * before the first entry resumes there, not at a newer `$`), or `0` of a
   * new incarnation.
   */
  private adopt(hello: Hello): void {
    const incarnation = typeof hello.channel_id === 'string' ? hello.channel_id : this.channelId
    const missed = typeof hello.missed === 'number' && hello.missed > 0 ? hello.missed : 0
    if (missed > 0)
      this.options.emit({
        type: 'relay',
        state: 'missed',
        relay: this.options.urls[(this.next + this.options.urls.length - 1) % this.options.urls.length],
        channel: this.options.channel,
        missed,
      })
    if (hello.cursor === this.cursor && incarnation === this.channelId) return
    // A new incarnation starts at 0; `$` resolved keeps the number unknown until the first entry.
    this.seq = hello.cursor === '0' ? 0 : typeof hello.seq === 'number' ? hello.seq : hello.cursor === this.cursor ? this.seq : undefined
    this.cursor = hello.cursor
    this.processed = hello.cursor
    this.channelId = incarnation
    this.inbox = []
    void this.save()
  }

  /** An entry answered (stored, or refused for good): the cursor moves past it now, or once the relay says it is durable. */
  private passed(entry: StoredEntry): void {
    this.processed = entry.cursor
    if (entry.tentative && entry.seq! > this.durableSeq) {
      if (this.unconfirmed.push({cursor: entry.cursor, seq: entry.seq!}) > UNCONFIRMED_MAX) this.unconfirmed.shift()
      return
    }
    // Durable itself (or covered): every entry before it is settled too (a relay stores in order).
    this.unconfirmed = []
    this.cursor = entry.cursor
    this.seq = entry.seq
  }

  /** A durable notice: entries taken tentatively up to `seq` are the relay's for good. */
  private confirm(seq: number): void {
    if (seq <= this.durableSeq) return
    this.durableSeq = seq
    let covered = 0
    while (covered < this.unconfirmed.length && this.unconfirmed[covered].seq <= seq) covered++
    if (covered === 0) return
    const last = this.unconfirmed[covered - 1]
    this.unconfirmed.splice(0, covered)
    this.cursor = last.cursor
    this.seq = last.seq
    this.scheduleSave()
  }

  /** Hands entries to the pipeline in order, BATCH at a time, and moves the cursor past each one answered 200 or 403. */
  private async process(): Promise<void> {
    try {
      while (this.inbox.length > 0 && !this.stopped) {
        const batch = this.inbox.splice(0, BATCH)
        // Called in order, without waiting: the pipeline assigns spool order synchronously.
        const answers = batch.map((entry) =>
          // A failure of the pipeline's own is a pause, not a lost entry: the entry is offered again.
          this.intake!.receive({headers: entry.headers, body: entry.body}).catch((error: Error) => ({
            status: 503,
            headers: {'retry-after': '2'},
            body: {error: error.message},
          })),
        )
        for (const [index, answer] of answers.entries()) {
          const {status, headers} = await answer
          if (status === 200 || status === 403) {
            this.passed(batch[index])
            continue
          }
          // Starting or disk full: offer this entry and the rest again after the pause asked for (the spool answers "duplicate" for any already stored).
          const retryS = Math.min(30, Math.max(1, Number(headers?.['retry-after']) || 2))
          await Promise.allSettled(answers.slice(index + 1))
          this.inbox.unshift(...batch.slice(index))
          this.acknowledge()
          await this.pauses.sleep(retryS * 1000)
          break
        }
        this.acknowledge()
      }
    } finally {
      this.processing = undefined
    }
  }

  /** Tells the relay what is stored here (it may send more) and saves the cursor, at most every SAVE_MS. */
  private acknowledge(): void {
    const socket = this.socket
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify({type: 'ack', cursor: this.processed}))
    this.scheduleSave()
  }

  private scheduleSave(): void {
    if (this.saveTimer || this.cursor === this.saved) return
    this.saveTimer = setTimeout(() => void this.save(), SAVE_MS)
  }

  private async save(): Promise<void> {
    this.saveTimer = undefined
    const cursor = this.cursor
    const channelId = this.channelId
    if (cursor === this.saved && channelId === this.savedChannelId) return
    await this.options.saveCursor({cursor, channelId, seq: this.seq}).then(
      () => {
        this.saved = cursor
        this.savedChannelId = channelId
      },
      () => {},
    )
  }

  async close(): Promise<void> {
    this.stopped = true
    this.pauses.stop()
    this.socket?.close(1000, 'listener stopping')
    await this.processing
    clearTimeout(this.saveTimer)
    await this.save()
  }
}
