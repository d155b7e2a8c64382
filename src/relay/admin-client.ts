/**
 * The relay's JSON API as the CLI calls it (`relay channels …`, and `listen
 * --relay` resolving its channel). Several relay URLs (instances behind no
 * load balancer) are tried in turn when one cannot be reached. Failures are
 * UmmahErrors with the CLI's exit codes: 3 for a missing or refused token,
 * 4 for an unknown channel, 5 for a name taken, 7 for no relay reachable.
 */
import {type HttpResponse, createTransport} from '../api/http.js'
import {UmmahError} from '../shared/errors.js'
import {isUrl} from '../api/validate.js'
import {describeProblem, resolveWithin} from '../shared/urls.js'
import {RELAY_ROUTES, type RouteName, type RouteParams, routePath} from './routes.js'

export interface ChannelView {
  name: string
  /** The channel's incarnation ('' from a relay older than incarnations). */
  id?: string
  ingress_url: string
  created_at: string
  tokens: Array<{id: string; created_at: string}>
  /** Only in the answer to a create: the first client token, shown this once. */
  token?: {id: string; token: string}
}

const TIMEOUT_MS = 10_000

/**
 * A relay path (`/v1/channels/NAME`) under one of the `--relay` URLs, by the
 * one URL rule (src/shared/urls.ts): the token goes only to that relay's
 * origin, under its path, whatever a channel name holds.
 */
export function relayUrl(base: string, path: string): URL {
  const root = new URL(base.endsWith('/') ? base : `${base}/`)
  const {url, problem} = resolveWithin(root, path.replace(/^\/+/, ''))
  if (!url)
    throw new UmmahError(`Refusing to send the relay token to ${JSON.stringify(path)}: ${describeProblem(problem!, root)}`, {
      code: 'foreign_url',
      hint: 'Check the channel name and --relay.',
    })
  return url
}

/** `--relay` as given: one or several http(s) URLs separated by commas. */
export function parseRelayUrls(text: string): string[] {
  const urls = text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
  if (urls.length === 0) throw new UmmahError('--relay needs a URL', {code: 'usage', hint: 'e.g. --relay https://relay.example.com'})
  return urls.map((url) => {
    if (!isUrl(url))
      throw new UmmahError(`--relay: "${url}" is not an http(s) URL`, {
        code: 'usage',
        hint: 'Give http(s)://HOST[:PORT], e.g. --relay https://relay.example.com.',
      })
    return new URL(url).href.replace(/\/+$/, '')
  })
}

export class RelayApi {
  constructor(
    readonly urls: string[],
    private readonly token: string | undefined,
  ) {}

  createChannel(name: string): Promise<ChannelView> {
    return this.request('createChannel', {}, {name})
  }

  getChannel(name: string): Promise<ChannelView> {
    return this.request('getChannel', {channel: name})
  }

  async listChannels(): Promise<ChannelView[]> {
    return (await this.request<{data: ChannelView[]}, 'listChannels'>('listChannels', {})).data
  }

  deleteChannel(name: string): Promise<{name: string; deleted: true}> {
    return this.request('deleteChannel', {channel: name})
  }

  createToken(name: string): Promise<{id: string; token: string; channel: string}> {
    return this.request('createToken', {channel: name})
  }

  revokeToken(name: string, id: string): Promise<{id: string; revoked: true}> {
    return this.request('revokeToken', {channel: name, token: id})
  }

  private async request<T, Name extends RouteName = RouteName>(route: Name, params: RouteParams<Name>, body?: unknown): Promise<T> {
    const {method} = RELAY_ROUTES[route]
    const path = routePath(route, params)
    if (!this.token)
      throw new UmmahError('No relay token', {
        code: 'no_relay_token',
        hint: 'Pass --relay-token, or set UMMAH_RELAY_TOKEN (or `ummah config set relay_token …`).',
      })
    let lastError: Error | undefined
    for (const base of this.urls) {
      const url = relayUrl(base, path)
      let response: HttpResponse
      // The API client's transport: HTTPS_PROXY/HTTP_PROXY/NO_PROXY apply to the relay as to the gateway.
      const transport = await createTransport()
      try {
        try {
          response = await transport.request(url, {
            method,
            headers: {authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : {'content-type': 'application/json'})},
            body: body === undefined ? undefined : JSON.stringify(body),
            signal: AbortSignal.timeout(TIMEOUT_MS),
          })
        } catch (error) {
          lastError = error as Error
          continue
        }
        // A relay's answer is a channel or a list of them: 1 MiB is far more than either, and a bound on a hostile one.
        const text = await boundedText(response.body, 1024 * 1024)
        let parsed: unknown
        try {
          parsed = JSON.parse(text)
        } catch {
          parsed = undefined
        }
        if (response.statusCode >= 200 && response.statusCode < 300) return parsed as T
        throw relayError(response.statusCode, `${method} ${base}${path}`, parsed)
      } finally {
        transport.close()
      }
    }
    const cause = (lastError as NodeJS.ErrnoException | undefined)?.code ?? lastError?.message ?? 'no answer'
    throw new UmmahError(`Cannot reach the relay at ${this.urls.join(', ')} (${cause})`, {
      code: 'relay_unreachable',
      hint: 'Is `ummah relay start` running there, and the URL right?',
      cause: lastError,
    })
  }
}

function relayError(status: number, where: string, body: unknown): UmmahError {
  const said = (body as {error?: {message?: string}} | undefined)?.error?.message ?? `HTTP ${status}`
  const message = `The relay refused ${where} (${status}): ${said}`
  switch (status) {
    case 401:
      return new UmmahError(message, {code: 'relay_unauthorized', hint: 'Check --relay-token (or UMMAH_RELAY_TOKEN).'})
    case 403:
      return new UmmahError(message, {
        code: 'relay_forbidden',
        hint: "A client token reaches only its own channel; managing channels needs the relay's admin token.",
      })
    case 404:
      return new UmmahError(message, {code: 'relay_not_found', hint: 'List the channels with `ummah relay channels list`.'})
    case 409:
      return new UmmahError(message, {code: 'relay_conflict'})
    default:
      return new UmmahError(message, {code: status === 400 ? 'relay_bad_request' : 'relay_failed'})
  }
}

/** The body as text, or an error past `limit` bytes (the read stops there). */
async function boundedText(body: AsyncIterable<Uint8Array> & {destroy(): void}, limit: number): Promise<string> {
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of body) {
    size += chunk.length
    // Leaving the loop destroys the stream: nothing more is read.
    if (size > limit) {
      body.destroy()
      throw new UmmahError(`The relay's answer is over ${limit / 1024 / 1024} MiB: stopped reading`, {code: 'relay_response_too_large'})
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}
