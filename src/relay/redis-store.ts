/**
 * The relay's store for several instances: each channel is a Redis Stream
 * (`XADD` on ingress, `XREAD BLOCK` from a client's cursor on a connection of
 * its own, `XTRIM MINID` for the retention), and the channel records are one
 * hash. Every instance on the same Redis serves every channel: ingress on one,
 * streaming from another, and an instance dying loses nothing that Redis
 * acknowledged. For the relay's "200 only once stored" to hold across a Redis
 * crash, run Redis with `appendonly yes` and `appendfsync always`; the relay
 * says so at start when it is not.
 */
import {RESP_TYPES, createClient} from '@redis/client'

import type {ChannelRecord, EntryInput, RelayStore, StoreReader, StoredEntry} from './store.js'

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

type StreamReply = Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null

const toStreamId = (cursor: string) => (cursor === '0' ? '0-0' : cursor)

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

  private constructor(
    private readonly url: string,
    private readonly client: Client,
  ) {}

  static async open(url: string): Promise<RedisStore> {
    let store: RedisStore | undefined
    const client = connectClient(url, (error) => {
      if (store) store.lastError = error
    })
    store = new RedisStore(url, client)
    await client.connect()
    return store
  }

  /** `appendfsync` as Redis reports it ('always' keeps every acknowledged entry through a Redis crash). */
  async fsyncPolicy(): Promise<string> {
    const appendonly = (await this.client.sendCommand<string[]>(['CONFIG', 'GET', 'appendonly']))[1]
    const fsync = (await this.client.sendCommand<string[]>(['CONFIG', 'GET', 'appendfsync']))[1]
    return appendonly === 'yes' ? fsync : 'off'
  }

  async createChannel(channel: ChannelRecord): Promise<boolean> {
    return (await this.client.sendCommand<number>(['HSETNX', CHANNELS_KEY, channel.name, JSON.stringify(channel)])) === 1
  }

  async updateChannel(channel: ChannelRecord): Promise<boolean> {
    return (await this.client.sendCommand<number>(['EVAL', UPDATE_IF_EXISTS, '1', CHANNELS_KEY, channel.name, JSON.stringify(channel)])) === 1
  }

  async getChannel(name: string): Promise<ChannelRecord | undefined> {
    const text = await this.client.sendCommand<string | null>(['HGET', CHANNELS_KEY, name])
    return text ? (JSON.parse(text) as ChannelRecord) : undefined
  }

  async listChannels(): Promise<ChannelRecord[]> {
    const flat = await this.client.sendCommand<string[]>(['HGETALL', CHANNELS_KEY])
    const channels: ChannelRecord[] = []
    for (let index = 1; index < flat.length; index += 2) channels.push(JSON.parse(flat[index]) as ChannelRecord)
    return channels.sort((a, b) => a.name.localeCompare(b.name))
  }

  async deleteChannel(name: string): Promise<boolean> {
    const [deleted] = await this.client
      .multi()
      .addCommand(['HDEL', CHANNELS_KEY, name])
      .addCommand(['DEL', streamKey(name), seqKey(name)])
      .exec()
    return Number(deleted) === 1
  }

  async append(channel: string, entry: EntryInput): Promise<string> {
    const args = ['2', streamKey(channel), seqKey(channel), String(entry.receivedAt), JSON.stringify(entry.headers), entry.body]
    // By its digest: the script is sent once per connection's life, not with every entry; a Redis restarted
    // since (its script cache empty) answers NOSCRIPT, and the script is loaded again.
    this.appendSha ??= this.client.sendCommand<string>(['SCRIPT', 'LOAD', APPEND])
    try {
      return await this.client.sendCommand<string>(['EVALSHA', await this.appendSha, ...args])
    } catch (error) {
      if (!String((error as Error).message).startsWith('NOSCRIPT')) {
        this.appendSha = undefined
        throw error
      }
      this.appendSha = this.client.sendCommand<string>(['SCRIPT', 'LOAD', APPEND])
      return this.client.sendCommand<string>(['EVALSHA', await this.appendSha, ...args])
    }
  }

  private appendSha?: Promise<string>

  async latest(channel: string): Promise<string> {
    const last = await this.client.sendCommand<Array<[string, string[]]>>(['XREVRANGE', streamKey(channel), '+', '-', 'COUNT', '1'])
    return last.length > 0 ? last[0][0] : '0'
  }

  async count(channel: string, after: string, cap: number): Promise<number> {
    const from = after === '0' ? '-' : `(${after}`
    // Ids only would be cheaper, but XRANGE has no such form; the cap bounds what is read.
    const entries = await this.client.sendCommand<unknown[]>(['XRANGE', streamKey(channel), from, '+', 'COUNT', String(cap)])
    return entries.length
  }

  async latestSeq(channel: string): Promise<number> {
    return Number((await this.client.sendCommand<string | null>(['GET', seqKey(channel)])) ?? 0)
  }

  async missed(channel: string, afterSeq: number): Promise<number> {
    const first = await this.client.sendCommand<Array<[string, string[]]>>(['XRANGE', streamKey(channel), '-', '+', 'COUNT', '1'])
    const fields = first[0]?.[1] ?? []
    const numbered = Number(fields[fields.indexOf('n') + 1])
    // Nothing kept: the next number to come is the first after what was trimmed.
    const firstKept = first.length > 0 ? numbered : Number((await this.client.sendCommand<string | null>(['GET', seqKey(channel)])) ?? 0) + 1
    return Number.isSafeInteger(firstKept) ? Math.max(0, firstKept - afterSeq - 1) : 0
  }

  async trim(channel: string, before: number): Promise<number> {
    return this.client.sendCommand<number>(['XTRIM', streamKey(channel), 'MINID', String(Math.max(0, Math.floor(before)))])
  }

  async health(): Promise<void> {
    await this.client.sendCommand(['PING'])
  }

  /** A connection of its own: XREAD BLOCK holds it until entries come or the time is up. */
  async reader(): Promise<StoreReader> {
    const connection = connectClient(this.url, () => {})
    await connection.connect()
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
    await this.client.close().catch(() => this.client.destroy())
  }
}
