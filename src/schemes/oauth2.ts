/**
 * `oauth2` (UMM Services' webhook document): the sender obtains an access token
 * from the receiver's token endpoint with the client_credentials grant
 * (client id, secret, scope), keeps it until it expires, fetches a new one
 * on expiry or when the receiver answers 401, and sends
 * `Authorization: Bearer`. The receiver runs the token endpoint and checks
 * the bearers it issued.
 */
import {randomBytes} from 'node:crypto'

import {UmmahError} from '../shared/errors.js'
import {type Scheme, type Verdict, type WebhookRequest, safeEqual} from './types.js'
import {UMM_REQUEST_HEADERS} from './umm-services.js'

export interface OAuth2ClientOptions {
  tokenUrl: string
  clientId: string
  clientSecret: string
  scope?: string
  /** A token is not used in its last moments, so it cannot expire in flight. */
  skewMs?: number
  now?: () => number
}

const basicCredentials = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`

/** The sending side's tokens. */
export class OAuth2TokenSource {
  private token?: {value: string; expiresAt: number}
  private pending?: Promise<string>
  /** How many tokens were fetched (for tests and logs). */
  fetched = 0

  constructor(private readonly options: OAuth2ClientOptions) {}

  private now(): number {
    return this.options.now?.() ?? Date.now()
  }

  /** A token that has not expired: the cached one, else a new one (one request however many callers wait). */
  async bearer(): Promise<string> {
    if (this.token && this.token.expiresAt - (this.options.skewMs ?? 1000) > this.now()) return this.token.value
    this.pending ??= this.fetchToken().finally(() => {
      this.pending = undefined
    })
    return this.pending
  }

  /** After a 401 with this token: never use it again. */
  reject(token: string): void {
    if (this.token?.value === token) this.token = undefined
  }

  private async fetchToken(): Promise<string> {
    const form = new URLSearchParams({grant_type: 'client_credentials'})
    if (this.options.scope) form.set('scope', this.options.scope)
    let response: Response
    try {
      response = await fetch(this.options.tokenUrl, {
        method: 'POST',
        headers: {
          authorization: basicCredentials(this.options.clientId, this.options.clientSecret),
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: form.toString(),
        signal: AbortSignal.timeout(10_000),
      })
    } catch (error) {
      throw new UmmahError(`The OAuth2 token endpoint ${this.options.tokenUrl} did not answer: ${(error as Error).message}`, {
        code: 'oauth2_unreachable',
        hint: 'Check the token URL and that the app is running.',
      })
    }
    const body = (await response.json().catch(() => ({}))) as {access_token?: string; token_type?: string; expires_in?: number; error?: string}
    if (!response.ok || typeof body.access_token !== 'string' || (body.token_type && body.token_type.toLowerCase() !== 'bearer')) {
      throw new UmmahError(`The OAuth2 token endpoint refused the client credentials (${response.status}${body.error ? ` ${body.error}` : ''})`, {
        code: 'oauth2_refused',
        hint: 'Check the client id, secret and scope.',
      })
    }
    this.fetched++
    const lifetimeMs = (typeof body.expires_in === 'number' ? body.expires_in : 3600) * 1000
    this.token = {value: body.access_token, expiresAt: this.now() + lifetimeMs}
    return body.access_token
  }
}

/** Sends with a bearer token; on a 401, drops that token and tries once more with a new one. */
export async function sendWithBearer<T extends {status?: number | null}>(
  source: OAuth2TokenSource,
  send: (authorization: string) => Promise<T>,
): Promise<T> {
  const token = await source.bearer()
  const first = await send(`Bearer ${token}`)
  if (first.status !== 401) return first
  source.reject(token)
  return send(`Bearer ${await source.bearer()}`)
}

export interface OAuth2IssuerOptions {
  clientId: string
  clientSecret: string
  /** Scopes the client may ask for; any when absent. */
  scope?: string
  ttlSeconds: number
  now?: () => number
}

/** The receiving side: a client_credentials token endpoint and the check of the bearers it issued. */
export class OAuth2Issuer {
  private readonly issued = new Map<string, number>()

  constructor(private readonly options: OAuth2IssuerOptions) {}

  private now(): number {
    return this.options.now?.() ?? Date.now()
  }

  /** Answers a token request (the form body and the Authorization header as received). */
  tokenResponse(authorization: string | undefined, form: string): {status: number; body: Record<string, unknown>} {
    const params = new URLSearchParams(form)
    let id = params.get('client_id') ?? ''
    let secret = params.get('client_secret') ?? ''
    if (authorization?.toLowerCase().startsWith('basic ')) {
      const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8')
      const at = decoded.indexOf(':')
      id = decodeURIComponent(decoded.slice(0, at))
      secret = decodeURIComponent(decoded.slice(at + 1))
    }
    if (params.get('grant_type') !== 'client_credentials') return {status: 400, body: {error: 'unsupported_grant_type'}}
    const idOk = safeEqual(id, this.options.clientId)
    const secretOk = safeEqual(secret, this.options.clientSecret)
    if (!idOk || !secretOk) return {status: 401, body: {error: 'invalid_client'}}
    const scope = params.get('scope')
    if (this.options.scope && scope && scope !== this.options.scope) return {status: 400, body: {error: 'invalid_scope'}}
    const token = randomBytes(20).toString('hex')
    for (const [old, expiry] of this.issued) if (expiry <= this.now()) this.issued.delete(old)
    this.issued.set(token, this.now() + this.options.ttlSeconds * 1000)
    return {status: 200, body: {access_token: token, token_type: 'Bearer', expires_in: this.options.ttlSeconds, ...(scope ? {scope} : {})}}
  }

  /** Revokes a token early (tests; an app rotating its keys). */
  revoke(token: string): void {
    this.issued.delete(token)
  }

  verify(request: WebhookRequest): Verdict {
    const header = request.headers.authorization?.trim()
    if (!header) return {ok: false, reason: 'no Authorization header'}
    if (!/^bearer /i.test(header)) return {ok: false, reason: 'the Authorization header is not Bearer'}
    const token = header.slice(7).trim()
    let expiresAt: number | undefined
    // Compared against every issued token, without stopping at a match, so timing says nothing about the token.
    for (const [issued, expiry] of this.issued) if (safeEqual(token, issued)) expiresAt = expiry
    if (expiresAt === undefined) return {ok: false, reason: 'the bearer token was not issued by this receiver'}
    if (expiresAt <= this.now()) return {ok: false, reason: 'the bearer token has expired'}
    return {ok: true}
  }
}

/** The bearer, the Ummah signature the sandbox adds to it, and the UMM Services request headers. */
export const OAUTH2_HEADERS = ['authorization', 'x-signature', ...UMM_REQUEST_HEADERS]

/** Offline check of one known bearer (`webhooks verify --scheme oauth2 --token T`). */
export function bearerScheme(token: string): Scheme {
  return {
    name: 'oauth2',
    headers: OAUTH2_HEADERS,
    verify(request) {
      const header = request.headers.authorization?.trim()
      if (!header) return {ok: false, reason: 'no Authorization header'}
      if (!/^bearer /i.test(header)) return {ok: false, reason: 'the Authorization header is not Bearer'}
      return safeEqual(header.slice(7).trim(), token) ? {ok: true} : {ok: false, reason: 'the bearer token is not the one given'}
    },
    sign: () => ({authorization: `Bearer ${token}`}),
  }
}

/** The receiving side of the bearers an issuer handed out (listen's …/oauth/token). */
export function issuedBearerScheme(issuer: OAuth2Issuer): Scheme {
  return {name: 'oauth2', headers: OAUTH2_HEADERS, verify: (request) => issuer.verify(request), sign: () => ({})}
}
