/** The store `relay start` was asked for: Redis with --redis, else the embedded one in --data-dir. */
import type {RelayStore} from './store.js'

export interface OpenedStore {
  store: RelayStore
  /** Where it is, for the start-up line (a Redis URL without its password). */
  where: string
  /** Said once at start: a setting that weakens the delivery promise. */
  warning?: string
}

export async function openStore(options: {dataDir: string; redis?: string}): Promise<OpenedStore> {
  if (options.redis) {
    const {RedisStore} = await import('./redis-store.js')
    const store = await RedisStore.open(options.redis)
    const url = new URL(options.redis)
    url.password = url.password ? '***' : ''
    const policy = await store.fsyncPolicy().catch(() => 'unknown')
    const warning =
      policy === 'always'
        ? undefined
        : `Redis appendfsync is ${policy}: an entry answered 200 can be lost if Redis itself crashes (set appendonly yes, appendfsync always)`
    return {store, where: `redis ${url.href}`, warning}
  }
  const {EmbeddedStore} = await import('./embedded-store.js')
  const store = await EmbeddedStore.open(options.dataDir)
  return {
    store,
    where: `embedded ${options.dataDir}`,
    warning: store.damaged > 0 ? `skipped ${store.damaged} damaged record(s) in ${options.dataDir}; every intact entry is kept` : undefined,
  }
}
