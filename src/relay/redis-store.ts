/**
 * The relay's store for several instances: each channel is a Redis Stream
 * (`XADD` on ingress, `XREAD BLOCK` from a client's cursor on a connection of
 * its own, `XTRIM MINID` for the retention), and the channel records are one
 * hash. Every instance on the same Redis serves every channel: ingress on one,
 * streaming from another, and an instance dying loses nothing that Redis
 * acknowledged. For the relay's "200 only once stored" to hold across a Redis
 * crash, run Redis with `appendonly yes` and `appendfsync always`; the relay
 * says so at start when it is not.
 *
 * Behind Redis Sentinel (redis-target.ts) the master is found and followed
 * through failovers by node-redis's Sentinel client. A failover loses what the
 * master had not yet sent to a replica, so with `replicas` > 0 an entry is
 * acknowledged only once that many replicas confirm it (`WAIT`, one per batch
 * of appends: group commit), and not at all when the master changed between
 * the write and the confirmation.
 */
import {RESP_TYPES, createClient, createSentinel} from '@redis/client'

import type {RedisNode, RedisTarget} from './redis-target.js'
import type {ChannelRecord, EntryInput, RelayStore, StoreLogLine, StoreReader, StoredEntry} from './store.js'

const CHANNELS_KEY = 'ummah:relay:channels'
const streamKey = (channel: string) => `ummah:relay:stream:${channel}`
/** The number of the last entry appended to a channel (its entries carry theirs as `n`). */
const seqKey = (channel: string) => `ummah:relay:seq:${channel}`

// Numbered and appended in one step, so two instances never give one number twice or out of order.
const APPEND = "local n = redis.call('INCR', KEYS[2]) return redis.call('XADD', KEYS[1], '*', 'n', n, 't', ARGV[1], 'h', ARGV[2], 'b', ARGV[3])"
const AS_BUFFERS = {typeMapping: {[RESP_TYPES.BLOB_STRING]: Buffer}}

// HSET only when the field exists, in one step (no window for a delete between a check and the write).
const UPDATE_IF_EXISTS =
  "if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) return 1 else return 0 end"
// A channel and its entries in one step (a script rather than MULTI: the same call on one Redis and behind Sentinel).
const DELETE_CHANNEL = "local deleted = redis.call('HDEL', KEYS[1], ARGV[1]) redis.call('DEL', KEYS[2], KEYS[3]) return deleted"

/**
 * A write's answer is awaited this long at most. Behind Sentinel a command to
 * a master that died is retried on the one the sentinels promote, which takes
 * their down-after time plus an election (1.6 s with down-after 1 s here): the
 * gateway is answered 503 rather than held past its own time-out.
 */
const STORE_DEADLINE_MS = 5000

type StreamReply = Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null
type Args = Array<string | Buffer>
type Options = typeof AS_BUFFERS | undefined

const toStreamId = (cursor: string) => (cursor === '0' ? '0-0' : cursor)

export interface RedisStoreOptions {
  /** Replicas that must confirm an entry (`WAIT`) before it is acknowledged; 0: the master's answer is enough. */
  replicas?: number
  /** How long `WAIT` waits for them (ms, ≥ 1: Redis reads 0 as "for ever"). */
  waitTimeoutMs?: number
  /** Said when the store's master changes (a Sentinel failover). */
  log?: (line: StoreLogLine) => void
}

function connectClient(url: string, onError: (error: Error) => void) {
  const client = createClient({
    url,
    // Replies as arrays (RESP2), the shape the parsing below reads; the client's default is RESP3 maps.
    RESP: 2,
    // Ingress answers 503 at once while Redis is away, rather than queueing requests the gateway has given up on.
    disableOfflineQueue: true,
    socket: {connectTimeout: 5000, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2000)},
  })
  client.on('error', onError)
  return client
}

type Client = ReturnType<typeof connectClient>

/** Commands to whichever Redis is the master now, and connections of their own for blocking reads. */
interface Link {
  send<T>(args: Args, options?: Options): Promise<T>
  /** Bumped at each failover: a write and its confirmation count only within one. */
  readonly generation: number
  /** A connection of its own to the master now (blocking reads hold it). */
  reader(): Promise<Client>
  close(): Promise<void>
}

async function singleLink(url: string, onError: (error: Error) => void): Promise<Link> {
  const client = connectClient(url, onError)
  await client.connect()
  return {
    send: (args, options) => client.sendCommand(args, options),
    generation: 0,
    async reader() {
      const connection = connectClient(url, () => {})
      await connection.connect()
      return connection
    },
    close: () => client.close().catch(() => client.destroy()),
  }
}

async function sentinelLink(
  target: Extract<RedisTarget, {kind: 'sentinel'}>,
  onError: (error: Error) => void,
  log?: (line: StoreLogLine) => void,
): Promise<Link> {
  const credentials = {...(target.username ? {username: target.username} : {}), ...(target.password ? {password: target.password} : {})}
  const sentinel = createSentinel({
    name: target.master,
    sentinelRootNodes: target.sentinels,
    RESP: 2,
    nodeClientOptions: {disableOfflineQueue: true, ...credentials, socket: {connectTimeout: 5000}},
    sentinelClientOptions: {socket: {connectTimeout: 5000}},
  })
  sentinel.on('error', (error: unknown) => onError(error instanceof Error ? error : new Error(String(error))))
  let master: RedisNode | undefined
  const link = {
    generation: 0,
    send: <T>(args: Args, options?: Options) => sentinel.sendCommand(false, args, options) as Promise<T>,
    async reader() {
      const node = master ?? sentinel.getMasterNode()
      if (!node) throw new Error('no Redis master known to the sentinels')
      // No reconnecting of its own: a reader of a master that went away fails, and the next one goes to the new master.
      const connection = createClient({
        RESP: 2,
        disableOfflineQueue: true,
        ...credentials,
        socket: {...node, connectTimeout: 5000, reconnectStrategy: false},
      })
      connection.on('error', () => {})
      await connection.connect()
      return connection as unknown as Client
    },
    close: () => sentinel.close().catch(() => sentinel.destroy()),
  }
  sentinel.on('topology-change', (event: {type: string; node?: RedisNode}) => {
    if (event.type !== 'MASTER_CHANGE' || !event.node) return
    const changed = master !== undefined && (master.host !== event.node.host || master.port !== event.node.port)
    master = event.node
    if (!changed) return
    link.generation++
    log?.({type: 'store', event: 'failed-over', master: `${event.node.host}:${event.node.port}`})
  })
  await sentinel.connect()
  master = sentinel.getMasterNode()
  return link
}

/** The call's answer, or a rejection once STORE_DEADLINE_MS has passed without one. */
function bounded<T>(call: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${STORE_DEADLINE_MS / 1000} s`)), STORE_DEADLINE_MS)
  })
  return Promise.race([call, deadline]).finally(() => clearTimeout(timer))
}

function entriesOf(reply: Array<[Buffer, Buffer[]]>): StoredEntry[] {
  return reply.map(([id, fields]) => {
    const values = new Map<string, Buffer>()
    for (let index = 0; index + 1 < fields.length; index += 2) values.set(fields[index].toString(), fields[index + 1])
    const seq = Number(values.get('n')?.toString())
    return {
      cursor: id.toString(),
      ...(Number.isSafeInteger(seq) && seq > 0 ? {seq} : {}),
      receivedAt: Number(values.get('t')?.toString()),
      headers: JSON.parse(values.get('h')?.toString() ?? '{}') as Record<string, string>,
      body: values.get('b') ?? Buffer.alloc(0),
    }
  })
}

export class RedisStore implements RelayStore {
  readonly kind = 'redis'
  /** The last connection error, for /healthz and the start-up message. */
  lastError?: Error
  private readonly readers = new Set<Client>()
  private readonly replicas: number
  private readonly waitTimeoutMs: number
  /** The `WAIT` the next appends' confirmation rides on, until it is sent. */
  private nextWait?: Promise<number>

  private constructor(
    private readonly link: Link,
    options: RedisStoreOptions,
  ) {
    this.replicas = options.replicas ?? 0
    this.waitTimeoutMs = Math.max(1, options.waitTimeoutMs ?? 1000)
  }

  /** A redis:// URL or a target parsed by parseRedisTarget(). */
  static async open(target: string | RedisTarget, options: RedisStoreOptions = {}): Promise<RedisStore> {
    let store: RedisStore | undefined
    const onError = (error: Error) => {
      if (store) store.lastError = error
    }
    const resolved: RedisTarget = typeof target === 'string' ? {kind: 'single', url: target} : target
    const link = resolved.kind === 'single' ? await singleLink(resolved.url, onError) : await sentinelLink(resolved, onError, options.log)
    store = new RedisStore(link, options)
    return store
  }

  /** `appendfsync` as Redis reports it ('always' keeps every acknowledged entry through a Redis crash). */
  async fsyncPolicy(): Promise<string> {
    const appendonly = (await this.link.send<string[]>(['CONFIG', 'GET', 'appendonly']))[1]
    const fsync = (await this.link.send<string[]>(['CONFIG', 'GET', 'appendfsync']))[1]
    return appendonly === 'yes' ? fsync : 'off'
  }

  /** Replicas the master has in sync now (`INFO replication`'s `connected_slaves`). */
  async connectedReplicas(): Promise<number> {
    const info = await this.link.send<string>(['INFO', 'replication'])
    return Number(/connected_slaves:(\d+)/.exec(info)?.[1] ?? 0)
  }

  async createChannel(channel: ChannelRecord): Promise<boolean> {
    return (await this.link.send<number>(['HSETNX', CHANNELS_KEY, channel.name, JSON.stringify(channel)])) === 1
  }

  async updateChannel(channel: ChannelRecord): Promise<boolean> {
    return (await this.link.send<number>(['EVAL', UPDATE_IF_EXISTS, '1', CHANNELS_KEY, channel.name, JSON.stringify(channel)])) === 1
  }

  async getChannel(name: string): Promise<ChannelRecord | undefined> {
    const text = await this.link.send<string | null>(['HGET', CHANNELS_KEY, name])
    return text ? (JSON.parse(text) as ChannelRecord) : undefined
  }

  async listChannels(): Promise<ChannelRecord[]> {
    const flat = await this.link.send<string[]>(['HGETALL', CHANNELS_KEY])
    const channels: ChannelRecord[] = []
    for (let index = 1; index < flat.length; index += 2) channels.push(JSON.parse(flat[index]) as ChannelRecord)
    return channels.sort((a, b) => a.name.localeCompare(b.name))
  }

  async deleteChannel(name: string): Promise<boolean> {
    return (await this.link.send<number>(['EVAL', DELETE_CHANNEL, '3', CHANNELS_KEY, streamKey(name), seqKey(name), name])) === 1
  }

  async append(channel: string, entry: EntryInput): Promise<string> {
    const generation = this.link.generation
    const cursor = await bounded(this.appendOnce(channel, entry))
    if (this.replicas > 0) {
      const confirmed = await this.replicated()
      if (confirmed < this.replicas)
        throw new Error(
          `${confirmed} of ${this.replicas} Redis replica${this.replicas === 1 ? '' : 's'} confirmed the entry within ${this.waitTimeoutMs} ms`,
        )
    }
    // Confirmed by the new master's replicas, it would say nothing of a write the old master took.
    if (this.link.generation !== generation) throw new Error('Redis failed over during the write')
    return cursor
  }

  private async appendOnce(channel: string, entry: EntryInput): Promise<string> {
    const args = ['2', streamKey(channel), seqKey(channel), String(entry.receivedAt), JSON.stringify(entry.headers), entry.body]
    // By its digest: the script is sent once per connection's life, not with every entry; a Redis restarted
    // since (its script cache empty) answers NOSCRIPT, and the script is loaded again.
    this.appendSha ??= this.link.send<string>(['SCRIPT', 'LOAD', APPEND])
    try {
      return await this.link.send<string>(['EVALSHA', await this.appendSha, ...args])
    } catch (error) {
      if (!String((error as Error).message).startsWith('NOSCRIPT')) {
        this.appendSha = undefined
        throw error
      }
      this.appendSha = this.link.send<string>(['SCRIPT', 'LOAD', APPEND])
      return this.link.send<string>(['EVALSHA', await this.appendSha, ...args])
    }
  }

  private appendSha?: Promise<string>

  /**
   * How many replicas have every write made on this connection so far: one
   * `WAIT` for all the appends answered before it is sent (the next turn of
   * the event loop), since Redis holds a connection's later commands behind a
   * WAIT anyway.
   */
  private replicated(): Promise<number> {
    this.nextWait ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.nextWait = undefined
      return this.link.send<number>(['WAIT', String(this.replicas), String(this.waitTimeoutMs)])
    })
    return this.nextWait
  }

  async latest(channel: string): Promise<string> {
    const last = await this.link.send<Array<[string, string[]]>>(['XREVRANGE', streamKey(channel), '+', '-', 'COUNT', '1'])
    return last.length > 0 ? last[0][0] : '0'
  }

  async count(channel: string, after: string, cap: number): Promise<number> {
    const from = after === '0' ? '-' : `(${after}`
    // Ids only would be cheaper, but XRANGE has no such form; the cap bounds what is read.
    const entries = await this.link.send<unknown[]>(['XRANGE', streamKey(channel), from, '+', 'COUNT', String(cap)])
    return entries.length
  }

  async latestSeq(channel: string): Promise<number> {
    return Number((await this.link.send<string | null>(['GET', seqKey(channel)])) ?? 0)
  }

  async missed(channel: string, afterSeq: number): Promise<number> {
    const first = await this.link.send<Array<[string, string[]]>>(['XRANGE', streamKey(channel), '-', '+', 'COUNT', '1'])
    const fields = first[0]?.[1] ?? []
    const numbered = Number(fields[fields.indexOf('n') + 1])
    // Nothing kept: the next number to come is the first after what was trimmed.
    const firstKept = first.length > 0 ? numbered : Number((await this.link.send<string | null>(['GET', seqKey(channel)])) ?? 0) + 1
    return Number.isSafeInteger(firstKept) ? Math.max(0, firstKept - afterSeq - 1) : 0
  }

  async trim(channel: string, before: number): Promise<number> {
    return this.link.send<number>(['XTRIM', streamKey(channel), 'MINID', String(Math.max(0, Math.floor(before)))])
  }

  async health(): Promise<void> {
    // Bounded like a write: behind Sentinel a PING waits out a failover, and /healthz should say 503 meanwhile.
    await bounded(this.link.send(['PING']))
  }

  /** A connection of its own: XREAD BLOCK holds it until entries come or the time is up. */
  async reader(): Promise<StoreReader> {
    const connection = await this.link.reader()
    this.readers.add(connection)
    let open = true
    return {
      read: async (channel, after, count, blockMs) => {
        if (!open) return []
        const args = [
          'XREAD',
          'COUNT',
          String(count),
          ...(blockMs > 0 ? ['BLOCK', String(blockMs)] : []),
          'STREAMS',
          streamKey(channel),
          toStreamId(after),
        ]
        try {
          const reply = await connection.sendCommand<StreamReply>(args, AS_BUFFERS)
          return reply && reply.length > 0 ? entriesOf(reply[0][1]) : []
        } catch (error) {
          if (!open) return []
          throw error
        }
      },
      close: async () => {
        open = false
        this.readers.delete(connection)
        connection.destroy()
      },
    }
  }

  async close(): Promise<void> {
    for (const reader of this.readers) reader.destroy()
    this.readers.clear()
    await this.link.close()
  }
}
