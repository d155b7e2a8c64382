/**
 * A scheme's receiving side as `webhooks listen --verify-scheme` runs it,
 * with the receiver extras its row declares: the webhook's own key (known
 * once the webhook is), and the OAuth2 token endpoint where the listener
 * issues the bearers it then checks.
 */
import {UsageError} from '../shared/errors.js'
import type {SchemeName, SchemeSettings} from './catalog.js'
import {OAuth2Issuer, issuedBearerScheme} from './oauth2.js'
import {buildScheme, schemeEntry} from './registry.js'
import type {Verdict, WebhookRequest} from './types.js'

/** Bearers the listener issues live an hour, as common token endpoints' do. */
const ISSUED_TOKEN_SECONDS = 3600

export interface ListenerCheck {
  verify(request: WebhookRequest): Verdict
  /** The request headers its deliveries carry (forwarded to the app). */
  headers: readonly string[]
  /** Answers `POST …/oauth/token` (the Authorization header and form body as received). */
  tokenEndpoint?: (authorization: string | undefined, form: string) => {status: number; body: Record<string, unknown>}
}

export function listenerCheck(name: SchemeName, settings: SchemeSettings, webhookKey: () => string | undefined): ListenerCheck {
  const entry = schemeEntry(name)
  if (entry.webhookKey) {
    // Built once per key, not per delivery: the key is known once the webhook is, and changes only with it.
    let built: {key: string; scheme: ReturnType<typeof entry.receiver>} | undefined
    return {
      headers: entry.receiver({}).headers,
      verify: (request) => {
        const key = webhookKey()
        if (!key) return {ok: false, reason: 'no public key to verify with'}
        if (built?.key !== key) built = {key, scheme: entry.receiver({...settings, publicKey: key})}
        return built.scheme.verify(request)
      },
    }
  }
  const {clientId, clientSecret, scope} = settings
  if (!entry.issuesBearers || (!clientId && !clientSecret)) {
    const scheme = buildScheme(name, settings, 'listen')
    return {verify: (request) => scheme.verify(request), headers: scheme.headers}
  }
  if (!clientId || !clientSecret)
    throw new UsageError(
      `--verify-scheme ${name} with OAuth2 needs --client-id and --client-secret`,
      "They are what the gateway uses at this listener's token endpoint, …/oauth/token.",
    )
  const issuer = new OAuth2Issuer({clientId, clientSecret, scope, ttlSeconds: ISSUED_TOKEN_SECONDS})
  const scheme = buildScheme(name, {...settings, bearer: issuedBearerScheme(issuer)}, 'listen')
  return {
    verify: (request) => scheme.verify(request),
    headers: scheme.headers,
    tokenEndpoint: (authorization, form) => issuer.tokenResponse(authorization, form),
  }
}
