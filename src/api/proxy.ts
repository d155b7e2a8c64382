/**
 * HTTPS_PROXY / HTTP_PROXY / NO_PROXY for the API client and statement
 * downloads, by the rules of Go's net/http (which `gh` follows):
 * - an https:// request uses HTTPS_PROXY (or https_proxy), an http:// one
 *   HTTP_PROXY (or http_proxy); upper case wins; a value without a scheme is
 *   http://;
 * - NO_PROXY (or no_proxy) is a comma-separated list: `*`, host names (which
 *   match their subdomains too, with or without a leading `.` or `*.`), IP
 *   addresses, CIDR ranges, each optionally with `:port`;
 * - localhost and loopback addresses never go through a proxy (the sandbox).
 *
 * https:// goes through a CONNECT tunnel, so the proxy sees only the host
 * and port, and TLS (with its certificate checks) runs end to end inside it;
 * http:// is sent to the proxy with the absolute URL as the request target.
 * A WebSocket (`webhooks listen --relay`) goes through a CONNECT tunnel for
 * ws:// and wss:// alike (webSocketAgent). Imported only when a proxy variable
 * is set (src/api/http.ts, webhooks/relay-source.ts).
 */
import {type ClientRequestArgs, Agent as HttpAgent, type RequestOptions, request as httpRequest} from 'node:http'
import {Agent as HttpsAgent, request as httpsRequest} from 'node:https'
import {BlockList, type Socket, connect, isIP} from 'node:net'
import {type ConnectionOptions, connect as tlsConnect} from 'node:tls'
import type {Duplex} from 'node:stream'

import {UsageError} from '../shared/errors.js'
import {registerSecret} from '../shared/secrets.js'
import {isLoopbackHost} from '../shared/hosts.js'

type Env = Record<string, string | undefined>

// A proxy that accepts the connection but never answers CONNECT would hang the request; the client's own connect timeout is 10 s.
const TUNNEL_TIMEOUT_MS = 10_000
// The proxy's answer to CONNECT is a status line and a few headers.
const MAX_TUNNEL_RESPONSE_BYTES = 16_384

function variable(env: Env, name: string): {name: string; value: string} | undefined {
  for (const candidate of [name, name.toLowerCase()]) {
    const value = env[candidate]?.trim()
    if (value) return {name: candidate, value}
  }
  return undefined
}

/** The proxy URL a variable names; a bad value is a usage error naming the variable. */
function proxyUrl({name, value}: {name: string; value: string}): URL {
  let url: URL
  try {
    url = new URL(/^[a-z][a-z\d+.-]*:\/\//i.test(value) ? value : `http://${value}`)
  } catch {
    throw new UsageError(`${name}: "${withoutCredentials(value)}" is not a proxy URL`, `Set it to http://HOST:PORT (or unset it).`)
  }
  // Any later message that quotes them (a proxy's own error page, a trace) masks them too.
  if (url.password) registerSecret(decodeURIComponent(url.password))
  if (url.protocol !== 'http:') {
    throw new UsageError(
      `${name}: ${url.protocol}// proxies are not supported`,
      'Use an http:// proxy: https:// requests still run TLS end to end through its CONNECT tunnel.',
    )
  }
  if (!url.hostname) throw new UsageError(`${name}: the proxy URL has no host`, 'Set it to http://HOST:PORT.')
  return url
}

/**
 * A proxy variable as an error may show it: everything up to the last `@`
 * (user:password, whatever it holds: a `/`, a `:`, no scheme before it) is `…`.
 */
export function withoutCredentials(value: string): string {
  const at = value.lastIndexOf('@')
  if (at === -1) return value
  const scheme = /^[a-z][a-z\d+.-]*:\/\//i.exec(value)?.[0] ?? ''
  return `${scheme}…${value.slice(at)}`
}

/** NO_PROXY as a predicate over a URL. */
export function noProxyMatcher(list: string | undefined): (url: URL) => boolean {
  const entries = (list ?? '')
    .split(/[\s,]+/)
    .map((entry) => entry.trim().toLowerCase())
    .filter(Boolean)
  if (entries.includes('*')) return () => true
  const ranges = new BlockList()
  const hosts: Array<{host: string; port?: string}> = []
  for (const entry of entries) {
    const cidr = /^(.+)\/(\d{1,3})$/.exec(entry)
    if (cidr && isIP(cidr[1])) {
      const family = isIP(cidr[1]) === 4 ? 'ipv4' : 'ipv6'
      const prefix = Number(cidr[2])
      if (prefix <= (family === 'ipv4' ? 32 : 128)) ranges.addSubnet(cidr[1], prefix, family)
      continue
    }
    // host, host:port, [v6], [v6]:port, bare v6
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry)
    if (bracketed) hosts.push({host: bracketed[1], port: bracketed[2]})
    else if (isIP(entry) === 6) hosts.push({host: entry})
    else {
      const [host, port] = entry.split(':')
      hosts.push({host: host.replace(/^\*?\./, ''), port})
    }
  }
  return (url) => {
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase()
    const port = url.port || (url.protocol === 'https:' ? '443' : '80')
    const family = isIP(host)
    if (family && ranges.check(host, family === 4 ? 'ipv4' : 'ipv6')) return true
    return hosts.some(
      (entry) => (entry.port === undefined || entry.port === port) && (host === entry.host || (!family && host.endsWith(`.${entry.host}`))),
    )
  }
}

/** Which proxy a request to `url` goes through, if any. */
export function proxyFor(url: URL, env: Env): URL | undefined {
  const setting = variable(env, url.protocol === 'https:' ? 'HTTPS_PROXY' : 'HTTP_PROXY')
  if (!setting) return undefined
  const proxy = proxyUrl(setting)
  if (isLoopbackHost(url.hostname) || noProxyMatcher(variable(env, 'NO_PROXY')?.value)(url)) return undefined
  return proxy
}

function proxyAuthorization(proxy: URL): Record<string, string> {
  if (!proxy.username && !proxy.password) return {}
  const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`
  return {'proxy-authorization': `Basic ${Buffer.from(credentials).toString('base64')}`}
}

/** A failure of the proxy itself, which the client reports as such (`proxy HOST refused …`). */
export interface ProxyFailure extends Error {
  code: string
  /** The proxy's host:port. */
  proxy: string
  /** What went wrong there, e.g. `refused CONNECT api.example:443: 407 Proxy Authentication Required`. */
  proxyReason: string
}

function viaProxy(error: Error & {code?: string}, proxy: URL, reason?: string): ProxyFailure {
  const code = error.code ?? 'EPROXY'
  const proxyReason = reason ?? (code === 'ECONNREFUSED' ? 'refused the connection (ECONNREFUSED)' : `failed (${code})`)
  return Object.assign(error, {code, proxy: proxy.host, proxyReason, message: `proxy ${proxy.host} ${proxyReason}`})
}

/**
 * A connection to `host:port` through a CONNECT tunnel of `proxy`: the raw
 * socket once the proxy answered 200, or a ProxyFailure naming the proxy.
 */
function openTunnel(proxy: URL, host: string, port: number, done: (error: Error | null, socket?: Socket) => void): void {
  const target = `${host.includes(':') ? `[${host}]` : host}:${port}`
  const socket: Socket = connect({host: proxy.hostname.replace(/^\[|\]$/g, ''), port: Number(proxy.port || 80)})
  let received = Buffer.alloc(0)
  let settled = false
  const fail = (error: Error) => {
    if (settled) return
    settled = true
    socket.destroy()
    done(error)
  }
  const failWith = (code: string, reason: string) => fail(viaProxy(Object.assign(new Error(reason), {code}), proxy, reason))
  socket.setTimeout(TUNNEL_TIMEOUT_MS, () => failWith('ETIMEDOUT', `did not answer CONNECT ${target} within ${TUNNEL_TIMEOUT_MS / 1000} s`))
  socket.once('error', (error) => fail(viaProxy(error, proxy)))
  socket.once('close', () => failWith('ECONNRESET', `closed the connection during CONNECT ${target}`))
  socket.once('connect', () => {
    const headers = {host: target, ...proxyAuthorization(proxy)}
    socket.write(
      `CONNECT ${target} HTTP/1.1\r\n${Object.entries(headers)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('')}\r\n`,
    )
  })
  const onData = (chunk: Buffer) => {
    received = Buffer.concat([received, chunk])
    const end = received.indexOf('\r\n\r\n')
    if (end === -1) {
      if (received.length > MAX_TUNNEL_RESPONSE_BYTES)
        failWith('EPROXY', `sent an answer to CONNECT ${target} over ${MAX_TUNNEL_RESPONSE_BYTES} bytes`)
      return
    }
    socket.off('data', onData)
    const statusLine = received.subarray(0, received.indexOf('\r\n')).toString('latin1')
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]
    if (status !== '200') {
      failWith('EPROXY', `refused CONNECT ${target}: ${statusLine.replace(/^HTTP\/1\.[01] /, '') || 'no status line'}`)
      return
    }
    settled = true
    socket.setTimeout(0)
    socket.removeAllListeners('close')
    socket.removeAllListeners('error')
    // Bytes after the proxy's answer would belong to the client, which speaks first (TLS, or the HTTP upgrade): there are none.
    done(null, socket)
  }
  socket.on('data', onData)
}

/** An https agent whose connections are TLS inside a CONNECT tunnel through `proxy`. */
class TunnelAgent extends HttpsAgent {
  constructor(private readonly proxy: URL) {
    super({keepAlive: true})
  }

  // Node's Agent waits for the callback when createConnection returns nothing.
  override createConnection(options: ClientRequestArgs, callback?: (error: Error | null, socket: Duplex) => void): undefined {
    const host = options.host ?? 'localhost'
    openTunnel(this.proxy, host, Number(options.port ?? 443), (error, socket) => {
      if (error || !socket) return callback?.(error, socket as Duplex)
      const tls = options as ConnectionOptions
      callback?.(null, tlsConnect({...tls, socket, servername: tls.servername ?? (!isIP(host) ? host : undefined)}))
    })
    return undefined
  }
}

/** An http agent whose connections are a CONNECT tunnel through `proxy`: a WebSocket upgrade (ws://) cannot be forwarded by absolute URL. */
class PlainTunnelAgent extends HttpAgent {
  constructor(private readonly proxy: URL) {
    super({keepAlive: false})
  }

  override createConnection(options: ClientRequestArgs, callback?: (error: Error | null, socket: Duplex) => void): undefined {
    openTunnel(this.proxy, options.host ?? 'localhost', Number(options.port ?? 80), (error, socket) => callback?.(error, socket as Duplex))
    return undefined
  }
}

/**
 * The agent a WebSocket to `url` (ws:// or wss://, `webhooks listen --relay`)
 * connects through: a CONNECT tunnel of the proxy its http(s) twin would use
 * (wss:// → HTTPS_PROXY, ws:// → HTTP_PROXY, NO_PROXY and loopback direct), else undefined.
 */
export function webSocketAgent(url: URL, env: Env): HttpAgent | undefined {
  const secure = url.protocol === 'wss:' || url.protocol === 'https:'
  const twin = new URL(url.href.replace(/^wss?:/, secure ? 'https:' : 'http:'))
  const proxy = proxyFor(twin, env)
  if (!proxy) return undefined
  return secure ? new TunnelAgent(proxy) : new PlainTunnelAgent(proxy)
}

export interface ProxyRouting {
  /** Sends through the proxy this URL needs, or returns undefined for a direct request. */
  route(url: URL, options: RequestOptions): ReturnType<typeof httpRequest> | undefined
  close(): void
}

export function proxyRouting(env: Env): ProxyRouting {
  const tunnels = new Map<string, TunnelAgent>()
  const forwardAgent = new HttpAgent({keepAlive: true})
  return {
    route(url, options) {
      const proxy = proxyFor(url, env)
      if (!proxy) return undefined
      if (url.protocol === 'https:') {
        let agent = tunnels.get(proxy.href)
        if (!agent) tunnels.set(proxy.href, (agent = new TunnelAgent(proxy)))
        return httpsRequest(url, {...options, agent})
      }
      // http://: the absolute URL as the request target, to the proxy.
      const outgoing = httpRequest({
        ...options,
        host: proxy.hostname.replace(/^\[|\]$/g, ''),
        port: Number(proxy.port || 80),
        path: url.href,
        headers: {...options.headers, host: url.host, ...proxyAuthorization(proxy)},
        agent: forwardAgent,
      })
      // Before the caller's own listener: the error it sees names the proxy.
      outgoing.on('error', (error) => viaProxy(error, proxy))
      return outgoing
    },
    close() {
      forwardAgent.destroy()
      for (const agent of tunnels.values()) agent.destroy()
    },
  }
}
