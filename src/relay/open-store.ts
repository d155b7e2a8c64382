/** The store `relay start` was asked for: Redis with --redis (one, or found through Sentinel), else the embedded one in --data-dir. */
import {type RedisTarget, describeRedisTarget} from './redis-target.js'
import type {RelayStore, StoreLogLine} from './store.js'

export interface OpenedStore {
  store: RelayStore
  /** Where it is, for the start-up line (a Redis URL without its password). */
  where: string
  /** Said once at start: settings that weaken the delivery promise. */
  warning?: string
}

export interface StoreChoice {
  dataDir: string
  redis?: RedisTarget
  /** Replicas that must confirm each Redis entry before the gateway is answered 200. */
  replicas?: number
  waitTimeoutMs?: number
  log?: (line: StoreLogLine) => void
}

export async function openStore(options: StoreChoice): Promise<OpenedStore> {
  if (options.redis) {
    const {RedisStore} = await import('./redis-store.js')
    const replicas = options.replicas ?? 0
    const store = await RedisStore.open(options.redis, {replicas, waitTimeoutMs: options.waitTimeoutMs, log: options.log})
    const policy = await store.fsyncPolicy().catch(() => 'unknown')
    const connected = replicas > 0 ? await store.connectedReplicas().catch(() => 0) : replicas
    const warnings = [
      ...(policy === 'always'
        ? []
        : [`Redis appendfsync is ${policy}: an entry answered 200 can be lost if Redis itself crashes (set appendonly yes, appendfsync always)`]),
      ...(connected < replicas
        ? [`the Redis master has ${connected} replica(s) in sync and ${replicas} must confirm each entry: ingress answers 503 until they do`]
        : []),
      ...(options.redis.kind === 'sentinel' && replicas === 0
        ? ['--redis-replicas 0: a failover can lose entries the old master had answered for but not yet replicated']
        : []),
    ]
    return {store, where: describeRedisTarget(options.redis), warning: warnings.length > 0 ? warnings.join('; ') : undefined}
  }
  const {EmbeddedStore} = await import('./embedded-store.js')
  const store = await EmbeddedStore.open(options.dataDir)
  return {
    store,
    where: `embedded ${options.dataDir}`,
    warning: store.damaged > 0 ? `skipped ${store.damaged} damaged record(s) in ${options.dataDir}; every intact entry is kept` : undefined,
  }
}
