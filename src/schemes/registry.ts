/**
 * How each webhook authentication scheme is built. A scheme is its module
 * (verify and sign), its row in catalog.ts (the settings its receiving side
 * needs and the flags that give them, from which both commands' flags are
 * derived: src/cli/scheme-flags.ts), and its row here that says:
 *
 * - how its receiving side is built from those settings;
 * - the fields of the sandbox's `sandbox_delivery.auth` (the DeliveryAuth
 *   type is derived from them) and how the sending side is built from them;
 * - its receiver extras: listen issuing OAuth2 bearers at …/oauth/token, the
 *   webhook's own key, a bearer the sender fetches first.
 *
 * SCHEMES is keyed by the catalog's names, so a name without a row, or a
 * row without its parts, fails `tsc` (test/types/rules.ts).
 */
import {UsageError} from '../shared/errors.js'
import {apiKeyHeadersScheme} from './api-key-headers.js'
import {basicScheme} from './basic.js'
import {
  type Needs,
  type ReceivingSide,
  SCHEME_CATALOG,
  SETTINGS,
  type SchemeName,
  type SchemeNeeds,
  type SchemeSettings,
  type SettingName,
  type SettingSpec,
} from './catalog.js'
import {type OAuth2ClientOptions, bearerScheme} from './oauth2.js'
import {rsaSha256Scheme} from './rsa-sha256.js'
import {sha1PasswordScheme} from './sha1-password.js'
import type {Scheme} from './types.js'
import {ummHeaderProblem, ummServicesScheme} from './umm-services.js'

/** A `sandbox_delivery.auth` field: a non-empty text, or 1 to 5 header name/value pairs. */
interface DeliveryField {
  readonly kind: 'pairs' | 'text'
  readonly required?: true
}

type DeliveryFields = Readonly<Record<string, DeliveryField>>

type FieldValue<F extends DeliveryField> = F['kind'] extends 'pairs' ? Record<string, string> : string

/** The `sandbox_delivery.auth` object of a scheme with these fields. */
export type AuthOf<Name extends SchemeName, Fields extends DeliveryFields> = {scheme: Name} & {
  [K in keyof Fields as Fields[K] extends {required: true} ? K : never]: FieldValue<Fields[K]>
} & {
  [K in keyof Fields as Fields[K] extends {required: true} ? never : K]?: FieldValue<Fields[K]>
}

/** The webhook a sandbox delivery is made for: its key signs what the Ummah scheme checks. */
export interface SendingWebhook {
  privateKey: string
}

export interface SchemeEntry<Name extends SchemeName, Fields extends DeliveryFields> {
  /** The receiving side from its settings (what it needs is its row in catalog.ts). */
  receiver(settings: SchemeSettings): Scheme
  /** Its signature covers the body's bytes (a changed byte must be refused); else it proves only the sender. */
  readonly signsBody?: true
  /** Listening, deliveries are checked against the listener's webhook key, known once the webhook is. */
  readonly webhookKey?: true
  /** Listening with `clientId` and `clientSecret`, the listener issues the bearers it checks (…/oauth/token). */
  readonly issuesBearers?: true
  /** The `sandbox_delivery.auth` fields; nothing else given is stored. */
  readonly delivery: Fields
  /** More checks of the fields (their values' documented patterns), by field. */
  checkDelivery?(auth: AuthOf<Name, Fields>): Record<string, string>
  /** The sandbox's sending side for a webhook with these settings. */
  sender(auth: AuthOf<Name, Fields>, webhook: SendingWebhook): Scheme
  /** A bearer the sender fetches from the app's token endpoint and adds to every delivery. */
  bearer?(auth: AuthOf<Name, Fields>): OAuth2ClientOptions
}

/** A row, its field types kept (so DeliveryAuth is derived from them). */
export function defineScheme<Name extends SchemeName, const Fields extends DeliveryFields>(
  _name: Name,
  entry: SchemeEntry<Name, Fields>,
): SchemeEntry<Name, Fields> {
  return entry
}

/** UMM Services' sender credentials, by what the settings give: API-key headers, Basic, or a bearer. */
function ummCredentials(settings: SchemeSettings): Scheme | undefined {
  if (settings.headers && settings.headers.length > 0) return apiKeyHeadersScheme(settings.headers)
  if (settings.username !== undefined && settings.password !== undefined)
    return basicScheme({username: settings.username, password: settings.password})
  if (settings.bearer) return settings.bearer
  if (settings.token) return bearerScheme(settings.token)
  return undefined
}

export const SCHEMES = {
  'rsa-sha256': defineScheme('rsa-sha256', {
    webhookKey: true,
    signsBody: true,
    receiver: (settings) => rsaSha256Scheme({publicKey: settings.publicKey ?? ''}),
    delivery: {},
    sender: (_auth, webhook) => rsaSha256Scheme({publicKey: '', privateKey: webhook.privateKey}),
  }),
  'sha1-password': defineScheme('sha1-password', {
    signsBody: true,
    receiver: (settings) => sha1PasswordScheme({password: settings.secret!}),
    delivery: {secret: {kind: 'text', required: true}},
    sender: (auth) => sha1PasswordScheme({password: auth.secret}),
  }),
  basic: defineScheme('basic', {
    receiver: (settings) => basicScheme({username: settings.username!, password: settings.password!}),
    delivery: {username: {kind: 'text', required: true}, password: {kind: 'text', required: true}},
    sender: (auth) => basicScheme(auth),
  }),
  'api-key-headers': defineScheme('api-key-headers', {
    receiver: (settings) => apiKeyHeadersScheme(settings.headers!),
    delivery: {headers: {kind: 'pairs', required: true}},
    sender: (auth) => apiKeyHeadersScheme(Object.entries(auth.headers)),
  }),
  // Its request headers alone prove nothing of the sender: one of its credentials is needed too.
  'umm-services': defineScheme('umm-services', {
    issuesBearers: true,
    receiver: (settings) => ummServicesScheme({clientKey: '', credentials: ummCredentials(settings), expectedClientKey: settings.expectedClientKey}),
    delivery: {
      client_key: {kind: 'text', required: true},
      product: {kind: 'text'},
      payment_channel: {kind: 'text'},
      username: {kind: 'text'},
      password: {kind: 'text'},
    },
    // The headers the sandbox will send are checked by the rule `webhooks verify --scheme umm-services` applies.
    checkDelivery: (auth) => {
      const problems: Record<string, string> = {}
      for (const name of ['client_key', 'product', 'payment_channel'] as const) {
        const problem = auth[name] === undefined ? undefined : ummHeaderProblem(name, auth[name])
        if (problem) problems[name] = `The ${name} header ${problem}.`
      }
      return problems
    },
    sender: (auth) =>
      ummServicesScheme({
        clientKey: auth.client_key,
        product: auth.product,
        paymentChannel: auth.payment_channel,
        credentials:
          auth.username !== undefined && auth.password !== undefined ? basicScheme({username: auth.username, password: auth.password}) : undefined,
      }),
  }),
  // The sandbox fetches a bearer at token_url (oauth2.ts) and signs with the webhook's RSA key as well; listen issues bearers itself.
  oauth2: defineScheme('oauth2', {
    issuesBearers: true,
    signsBody: true,
    receiver: (settings) => settings.bearer ?? bearerScheme(settings.token!),
    delivery: {
      token_url: {kind: 'text', required: true},
      client_id: {kind: 'text', required: true},
      client_secret: {kind: 'text', required: true},
      scope: {kind: 'text'},
    },
    sender: (_auth, webhook) => rsaSha256Scheme({publicKey: '', privateKey: webhook.privateKey}),
    bearer: (auth) => ({tokenUrl: auth.token_url, clientId: auth.client_id, clientSecret: auth.client_secret, scope: auth.scope}),
  }),
} satisfies {[Name in SchemeName]: SchemeEntry<Name, DeliveryFields>}

type Schemes = typeof SCHEMES

/** The `sandbox_delivery.auth` object of any scheme, derived from each row's `delivery` fields. */
export type DeliveryAuth = {[Name in SchemeName]: AuthOf<Name, Schemes[Name]['delivery']>}[SchemeName]

/** A row as code that holds any scheme name reads it. */
export function schemeEntry(name: SchemeName): SchemeEntry<SchemeName, DeliveryFields> {
  return SCHEMES[name] as unknown as SchemeEntry<SchemeName, DeliveryFields>
}

/** The flag of `side` that gives `setting`. */
function flagOf(side: ReceivingSide, setting: SettingName): string {
  const flag = (SETTINGS[setting] as SettingSpec)[side]
  return flag ? `--${flag}` : setting
}

/** "--username and --password, --header, or --token": what one of `needs` asks for, as flags. */
export function describeNeeds(side: ReceivingSide, needs: Needs): string {
  const sets = needs.filter((set) => set.length > 0).map((set) => set.map((setting) => flagOf(side, setting)).join(' and '))
  return sets.length <= 1 ? (sets[0] ?? '') : `${sets.slice(0, -1).join(', ')}, or ${sets.at(-1)}`
}

function given(value: unknown): boolean {
  return value !== undefined && value !== '' && !(Array.isArray(value) && value.length === 0)
}

/**
 * The receiving side of scheme `name` for `side`, from its settings; a usage
 * error naming the flags when no set of what it needs is complete.
 */
export function buildScheme(name: SchemeName, settings: SchemeSettings, side: ReceivingSide = 'verify'): Scheme {
  const needs: Needs = (SCHEME_CATALOG[name] as SchemeNeeds)[side]
  if (!needs.some((set) => set.every((setting) => given(settings[setting])))) {
    const option = side === 'verify' ? '--scheme' : '--verify-scheme'
    const what = describeNeeds(side, needs)
    if (needs.length > 1)
      throw new UsageError(
        `${option} ${name} needs the sender's credentials: ${what}`,
        'Its request headers alone prove nothing of the sender; pass one of them.',
      )
    if (side === 'verify' && name === 'rsa-sha256')
      throw new UsageError(`${option} ${name} needs --public-key or --webhook-id`, 'Pass --public-key or --webhook-id.')
    throw new UsageError(`${option} ${name} needs ${what}`, `Pass ${what}.`)
  }
  return schemeEntry(name).receiver(settings)
}
