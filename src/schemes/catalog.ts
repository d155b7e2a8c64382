/**
 * The webhook authentication schemes as data: their names, the settings the
 * receiving side takes and the flags that give them. Flag definitions
 * (`webhooks verify`, `webhooks listen`) read this module alone, so defining
 * them loads no scheme; how each scheme verifies and signs is its row in
 * registry.ts, keyed by the same names (a name without both rows fails tsc).
 */
import type {Scheme} from './types.js'

/**
 * The body formats of the webhook documents: the Ummah Event, and the
 * partner gateways' (the sandbox sends each, `sandbox_delivery.format`;
 * `webhooks check-app --scheme` checks each document's own rules).
 */
export const DELIVERY_FORMATS = ['ummah', 'umm-services', 'numipay', 'generic'] as const
export type DeliveryFormat = (typeof DELIVERY_FORMATS)[number]

/** The two commands that take a receiving side's settings as flags. */
export type ReceivingSide = 'listen' | 'verify'

/** A receiving side's setting, and the flag of each command that gives it. */
export interface SettingSpec {
  /** The flag of `webhooks verify`; absent: verify does not take it. */
  readonly verify?: string
  /** The flag of `webhooks listen`; absent: listen does not take it. */
  readonly listen?: string
  /** What it is; the help text puts the schemes that read it first. */
  readonly summary: string
  /** Repeatable `name:value` pairs rather than one text. */
  readonly pairs?: true
  /** A secret: also `@FILE` or `-`, and masked wherever it could be shown. */
  readonly secret?: true
  /** Also `@FILE`, not secret (a public key). */
  readonly file?: true
  /** Read from this environment variable when the flag is absent. */
  readonly env?: string
}

/** The most `name:value` pairs api-key-headers takes (the UMM Services document's five). */
export const MAX_API_KEY_HEADERS = 5

export const SETTINGS = {
  publicKey: {verify: 'public-key', file: true, summary: 'the public key, as PEM text or @file'},
  secret: {verify: 'secret', listen: 'secret', secret: true, env: 'UMMAH_WEBHOOK_SECRET', summary: 'the shared signature password, or @FILE or -'},
  username: {verify: 'username', listen: 'username', summary: 'the expected username'},
  password: {verify: 'password', listen: 'password', secret: true, env: 'UMMAH_WEBHOOK_PASSWORD', summary: 'the expected password, or @FILE or -'},
  headers: {verify: 'header', listen: 'verify-header', pairs: true, summary: `an expected "name:value" pair (up to ${MAX_API_KEY_HEADERS})`},
  token: {verify: 'token', summary: 'the bearer token your token endpoint issued'},
  clientId: {listen: 'client-id', summary: "the client id the sender uses at this listener's …/oauth/token"},
  clientSecret: {
    listen: 'client-secret',
    secret: true,
    env: 'UMMAH_CLIENT_SECRET',
    summary: 'the client secret the sender uses there, or @FILE or -',
  },
  scope: {listen: 'scope', summary: 'the scope granted'},
  expectedClientKey: {verify: 'client-key', listen: 'client-key', summary: 'the client_key the sender must send'},
} as const satisfies Record<string, SettingSpec>

export type SettingName = keyof typeof SETTINGS

type SettingValue<Name extends SettingName> = (typeof SETTINGS)[Name] extends {pairs: true} ? Array<[string, string]> : string

/** What a receiving side is given, from flags (or, in tests, directly). */
export type SchemeSettings = {[Name in SettingName]?: SettingValue<Name>} & {
  /** A bearer check this side provides itself (listen's OAuth2 issuer), in place of `token`. */
  bearer?: Scheme
}

/** What a receiving side needs: all the settings of any one set (an empty set: nothing). */
export type Needs = ReadonlyArray<readonly SettingName[]>

export interface SchemeNeeds {
  /** What `webhooks verify --scheme` needs. */
  readonly verify: Needs
  /** What `webhooks listen --verify-scheme` needs. */
  readonly listen: Needs
  /** Settings read when given, needed or not. */
  readonly optional: readonly SettingName[]
}

export const SCHEME_CATALOG = {
  // The Ummah signature; listen checks it with its own webhook's key.
  'rsa-sha256': {verify: [['publicKey']], listen: [[]], optional: []},
  'sha1-password': {verify: [['secret']], listen: [['secret']], optional: []},
  basic: {verify: [['username', 'password']], listen: [['username', 'password']], optional: []},
  'api-key-headers': {verify: [['headers']], listen: [['headers']], optional: []},
  // Its request headers alone prove nothing of the sender: one of its credentials is needed too.
  'umm-services': {
    verify: [['username', 'password'], ['headers'], ['token']],
    listen: [['username', 'password'], ['headers'], ['clientId', 'clientSecret']],
    optional: ['expectedClientKey', 'scope'],
  },
  // listen issues the bearers itself at …/oauth/token, to the client it is given.
  oauth2: {verify: [['token']], listen: [['clientId', 'clientSecret']], optional: ['scope']},
} as const satisfies Record<string, SchemeNeeds>

export type SchemeName = keyof typeof SCHEME_CATALOG

export const SCHEME_NAMES = Object.keys(SCHEME_CATALOG) as SchemeName[]

/** The schemes that read `setting` on `side`, in catalog order. */
export function schemesReading(side: ReceivingSide, setting: SettingName): SchemeName[] {
  return SCHEME_NAMES.filter((name) => {
    const needs: SchemeNeeds = SCHEME_CATALOG[name]
    return needs[side].some((set) => set.includes(setting)) || needs.optional.includes(setting)
  })
}
