/**
 * What `relay start --redis` names, parsed once: one Redis (`redis://` or
 * `rediss://`, as node-redis takes it) or a master found through Redis
 * Sentinel (`redis+sentinel://[user:pass@]host[:port][,host[:port]…]/MASTER`;
 * the WHATWG URL parser refuses a comma-separated host list, so this does).
 * A bad value is a usage error before anything connects.
 */
import {UsageError} from '../shared/errors.js'

export interface RedisNode {
  host: string
  port: number
}

export type RedisTarget =
  {kind: 'single'; url: string} | {kind: 'sentinel'; master: string; sentinels: RedisNode[]; username?: string; password?: string}

/** Sentinel's own default port. */
const SENTINEL_PORT = 26_379
const EXAMPLES = 'e.g. --redis redis://10.0.0.5:6379 or --redis redis+sentinel://10.0.0.5:26379,10.0.0.6:26379/mymaster'
// A master name as sentinel.conf's `sentinel monitor NAME` takes it.
const MASTER_NAME = /^[A-Za-z0-9._-]{1,64}$/

export function parseRedisTarget(text: string): RedisTarget {
  const scheme = /^([a-z+]+):\/\//i.exec(text)?.[1]?.toLowerCase()
  if (scheme === 'redis' || scheme === 'rediss') {
    let host = ''
    try {
      host = new URL(text).hostname
    } catch {
      // Said below.
    }
    if (!host) throw new UsageError(`--redis "${redacted(text)}" is not a URL with a host`, EXAMPLES)
    return {kind: 'single', url: text}
  }
  if (scheme !== 'redis+sentinel')
    throw new UsageError(`--redis "${redacted(text)}": unknown scheme`, `Use redis://, rediss:// or redis+sentinel://; ${EXAMPLES}.`)
  const rest = text.slice('redis+sentinel://'.length)
  const slash = rest.indexOf('/')
  const authority = slash < 0 ? rest : rest.slice(0, slash)
  const master = slash < 0 ? '' : decodeURIComponent(rest.slice(slash + 1))
  if (!MASTER_NAME.test(master))
    throw new UsageError(
      `--redis "${redacted(text)}" names no master`,
      `Add the name the sentinels monitor after the hosts: …:26379/mymaster; ${EXAMPLES}.`,
    )
  const at = authority.lastIndexOf('@')
  const credentials = at < 0 ? undefined : authority.slice(0, at)
  const sentinels = (at < 0 ? authority : authority.slice(at + 1)).split(',').map((each) => sentinelNode(each, text))
  const colon = credentials?.indexOf(':') ?? -1
  const username = credentials === undefined ? undefined : decodeURIComponent(colon < 0 ? credentials : credentials.slice(0, colon))
  const password = credentials === undefined || colon < 0 ? undefined : decodeURIComponent(credentials.slice(colon + 1))
  return {kind: 'sentinel', master, sentinels, ...(username ? {username} : {}), ...(password ? {password} : {})}
}

function sentinelNode(text: string, whole: string): RedisNode {
  // host, host:port, [v6], [v6]:port
  const match = /^(?:\[([0-9a-f:.]+)\]|([A-Za-z0-9.-]+))(?::(\d{1,5}))?$/i.exec(text)
  const port = match?.[3] === undefined ? SENTINEL_PORT : Number(match[3])
  if (!match || port < 1 || port > 65_535) throw new UsageError(`--redis "${redacted(whole)}": "${text}" is not a sentinel's host[:port]`, EXAMPLES)
  return {host: match[1] ?? match[2], port}
}

/** The target as the start-up line shows it: never its password. */
export function describeRedisTarget(target: RedisTarget): string {
  if (target.kind === 'single') return `redis ${redacted(target.url)}`
  const hosts = target.sentinels.map((node) => `${node.host.includes(':') ? `[${node.host}]` : node.host}:${node.port}`).join(',')
  return `redis sentinel ${target.master} via ${hosts}`
}

/** A URL's password as `***`: what is said about a Redis never carries its credentials. */
function redacted(text: string): string {
  return text.replace(/^([a-z+]+:\/\/[^:@/]*:)[^@/]*@/i, '$1***@')
}
