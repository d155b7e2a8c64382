/**
 * Every webhook authentication scheme, one row each: what it needs (the flag
 * of `webhooks verify` / `listen --verify-scheme` that gives it, and the
 * field of the sandbox's `sandbox_delivery.auth`), how it is built from those
 * settings (verify on the receiving side, sign on the sending side), and how
 * a `sandbox_delivery.auth` object maps to them. `webhooks verify`, `listen
 * --verify-scheme` and the sandbox's deliveries all read this table, and it is
 * a Record over the names, so a scheme added to names.ts without a row here
 * fails `tsc`.
 */
import {UsageError} from '../shared/errors.js'
import {apiKeyHeadersScheme} from './api-key-headers.js'
import {basicScheme} from './basic.js'
import type {SchemeName} from './names.js'
import {bearerScheme} from './oauth2.js'
import {rsaSha256Scheme} from './rsa-sha256.js'
import {sha1PasswordScheme} from './sha1-password.js'
import type {Scheme} from './types.js'
import {ummServicesScheme} from './umm-services.js'

export interface SchemeSettings {
  publicKey?: string
  /** rsa-sha256, sending side: the webhook's private key. */
  privateKey?: string
  secret?: string
  username?: string
  password?: string
  headers?: Array<[string, string]>
  clientKey?: string
  product?: string
  paymentChannel?: string
  /** oauth2, offline (`webhooks verify`): the bearer to expect. */
  token?: string
  /** umm-services, receiving: the client_key to expect. */
  expectedClientKey?: string
}

/** The UMM Services credentials the settings give: API-key headers, Basic, or a bearer; undefined when none. */
export function ummCredentials(settings: SchemeSettings): Scheme | undefined {
  if (settings.headers && settings.headers.length > 0) return apiKeyHeadersScheme(settings.headers)
  if (settings.username !== undefined && settings.password !== undefined) return basicScheme({username: settings.username, password: settings.password})
  if (settings.token) return bearerScheme(settings.token)
  return undefined
}

/** What `--scheme umm-services` refuses to start without. */
export const UMM_CREDENTIALS_HINT = 'Pass its credentials: --username and --password (Basic), --header/--verify-header "name:value" (API-key headers), or --client-id and --client-secret with listen (OAuth2), --token with verify.'


export interface SchemeEntry {
  /** What the receiving side needs, and the flag of `webhooks verify` (and listen) that gives it. */
  needs: ReadonlyArray<{setting: keyof SchemeSettings; flag: string}>
  /** The `sandbox_delivery.auth` fields the sending side needs (required, non-empty). */
  fields: readonly string[]
  /** The `sandbox_delivery.auth` fields it may also take; nothing else given is stored. */
  optional: readonly string[]
  build(settings: SchemeSettings): Scheme
  fromDelivery(auth: Record<string, unknown>): SchemeSettings
}

const text = (value: unknown) => (typeof value === 'string' ? value : undefined)

export const SCHEMES: Record<SchemeName, SchemeEntry> = {
  'rsa-sha256': {
    needs: [{setting: 'publicKey', flag: '--public-key or --webhook-id'}],
    fields: [],
    optional: [],
    build: (settings) => rsaSha256Scheme({publicKey: settings.publicKey ?? '', privateKey: settings.privateKey}),
    fromDelivery: () => ({}),
  },
  'sha1-password': {
    needs: [{setting: 'secret', flag: '--secret'}],
    fields: ['secret'],
    optional: [],
    build: (settings) => sha1PasswordScheme({password: settings.secret!}),
    fromDelivery: (auth) => ({secret: text(auth.secret)}),
  },
  basic: {
    needs: [
      {setting: 'username', flag: '--username'},
      {setting: 'password', flag: '--password'},
    ],
    fields: ['username', 'password'],
    optional: [],
    build: (settings) => basicScheme({username: settings.username!, password: settings.password!}),
    fromDelivery: (auth) => ({username: text(auth.username), password: text(auth.password)}),
  },
  'api-key-headers': {
    needs: [{setting: 'headers', flag: '--header "name:value"'}],
    // Checked apart (1 to 5 pairs): it is an object, not a string.
    fields: [],
    optional: ['headers'],
    build: (settings) => apiKeyHeadersScheme(settings.headers!),
    fromDelivery: (auth) => ({headers: Object.entries((auth.headers ?? {}) as Record<string, string>)}),
  },
  'umm-services': {
    // One of its credentials (checked in buildScheme): the request headers alone are no proof of the sender.
    needs: [],
    fields: ['client_key'],
    optional: ['product', 'payment_channel', 'username', 'password'],
    build: (settings) =>
      ummServicesScheme({
        clientKey: settings.clientKey ?? 'CLIENT1',
        product: settings.product,
        paymentChannel: settings.paymentChannel,
        credentials: ummCredentials(settings),
        expectedClientKey: settings.expectedClientKey,
      }),
    fromDelivery: (auth) => ({clientKey: text(auth.client_key), product: text(auth.product), paymentChannel: text(auth.payment_channel), username: text(auth.username), password: text(auth.password)}),
  },
  // The sandbox fetches a bearer at token_url (oauth2.ts) and signs with the webhook's RSA key as well; listen issues bearers itself.
  oauth2: {
    needs: [{setting: 'token', flag: '--token'}],
    fields: ['token_url', 'client_id', 'client_secret'],
    optional: ['scope'],
    build: (settings) => bearerScheme(settings.token!),
    fromDelivery: () => ({}),
  },
}

/** The scheme from settings, naming the flag of the first one missing. */
export function buildScheme(name: SchemeName, settings: SchemeSettings): Scheme {
  if (name === 'umm-services' && !ummCredentials(settings)) {
    throw new UsageError('--scheme umm-services needs the sender\'s credentials: its request headers alone prove nothing', UMM_CREDENTIALS_HINT)
  }
  for (const need of SCHEMES[name].needs) {
    const value = settings[need.setting]
    if (value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) throw new UsageError(`--scheme ${name} needs ${need.flag}`, `Pass ${need.flag}.`)
  }
  return SCHEMES[name].build(settings)
}
