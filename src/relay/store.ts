/**
 * Where the relay keeps channels and their entries. Two implementations
 * (embedded-store.ts: files in --data-dir; redis-store.ts: one Redis Stream
 * per channel) pass the same suite (test/relay/store.test.ts); the server
 * sees only this interface.
 *
 * A cursor is the store's own ordered id for an entry (the embedded store's
 * sequence number, a Redis Stream id); clients hold it as an opaque string.
 * `0` means "before the first entry", `$` "after the last one now".
 */

export interface ChannelToken {
  id: string
  /** sha256 of the token: the token itself is shown once, at creation, and kept nowhere. */
  sha256: string
  created_at: number
}

export interface ChannelRecord {
  name: string
  /**
   * This incarnation of the channel: fixed at creation, new when a channel
   * of the same name is made again (after a delete, which is how an ingress
   * secret is rotated). Cursors mean something only within one incarnation:
   * a client whose cursor belongs to another starts at this one's first
   * entry. Absent on channels made before it existed ('' then).
   */
  id?: string
  /** The ingress URL's last path segment: 128 random bits, hex. */
  ingress_secret: string
  created_at: number
  tokens: ChannelToken[]
}

export interface EntryInput {
  receivedAt: number
  headers: Record<string, string>
  body: Buffer
}

export interface StoredEntry extends EntryInput {
  cursor: string
  /** Its number in the channel (1, 2, 3 …, per incarnation): how a client's place is counted after entries are trimmed. */
  seq?: number
  /**
   * Appended and not yet durable (the embedded store, to a reader that asked
   * for such entries): it may still fail to be stored, and after a restart its
   * number may be given to another entry. A client's place moves past it only
   * once the store says its number is durable (watchDurable).
   */
  tentative?: true
}

/** Said by a store about itself: its master changed (a Redis Sentinel failover). */
export type StoreLogLine = {type: 'store'; event: 'failed-over'; master: string}

/** One client's blocking reads; closing it wakes a read in progress (which then returns nothing). */
export interface StoreReader {
  /**
   * Entries after `after`, oldest first, at most `count`; waits up to `blockMs` when there are none.
   * `tentative`: entries appended and not yet durable too, as soon as they are appended (where the store can).
   */
  read(channel: string, after: string, count: number, blockMs: number, tentative?: boolean): Promise<StoredEntry[]>
  close(): Promise<void>
}

export interface RelayStore {
  readonly kind: 'embedded' | 'redis'
  /** False when a channel of that name exists. */
  createChannel(channel: ChannelRecord): Promise<boolean>
  /** Replaces a channel's record (tokens, ingress secret); false when there is no such channel. */
  updateChannel(channel: ChannelRecord): Promise<boolean>
  getChannel(name: string): Promise<ChannelRecord | undefined>
  listChannels(): Promise<ChannelRecord[]>
  /** The channel and all its entries; false when there was none. */
  deleteChannel(name: string): Promise<boolean>
  /** Resolves with the entry's cursor once it is durable; rejects when it could not be stored. */
  append(channel: string, entry: EntryInput): Promise<string>
  /**
   * Where a store streams entries before they are durable (the embedded one):
   * calls `watcher` with the number of the newest durable entry of the channel
   * (every entry numbered up to it is durable or failed for good, and no number
   * up to it is ever given again), now and after each write. Returns the unsubscribe.
   */
  watchDurable?(channel: string, watcher: (seq: number) => void): () => void
  /** The cursor of the newest entry, or `0`. */
  latest(channel: string): Promise<string>
  /** How many entries follow `after`, counting up to `cap`. */
  count(channel: string, after: string, cap: number): Promise<number>
  /**
   * How many entries after a client's place were trimmed before it read them:
   * `afterSeq` is the number of the last entry it read (0: none). The first
   * entry still kept (or the next to come) says how many are gone.
   */
  missed(channel: string, afterSeq: number): Promise<number>
  /** The number of the newest entry appended (0: none yet): where `$` stands, counted. */
  latestSeq(channel: string): Promise<number>
  /** Drops the channel's entries received before `before` (ms); how many. */
  trim(channel: string, before: number): Promise<number>
  reader(): Promise<StoreReader>
  /** Resolves when the store answers (GET /healthz is 503 while it does not). */
  health(): Promise<void>
  close(): Promise<void>
}

/** Channel names: what a path segment, a file name and a Redis key can all hold as they are. */
export const CHANNEL_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/

/** A cursor as clients send it: `0`, `$`, an embedded sequence number or a Redis Stream id. */
export const CURSOR = /^(?:\$|\d{1,20}(?:-\d{1,20})?)$/
