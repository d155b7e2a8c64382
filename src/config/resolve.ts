/**
 * Which key, base URL and profile a command uses (README: Configuration and profiles), first wins:
 * key: --api-key, UMMAH_SECRET_KEY, the profile; base: --api-base,
 * UMMAH_API_BASE, the profile, the default; profile: --profile,
 * UMMAH_PROFILE, the active profile, "default". A profile's live key kept in
 * the OS keychain is read only when a command needs the key (requireKey), so
 * resolving settings never loads the keychain.
 */
import {AuthConfigError} from '../api/errors.js'
import {UsageError} from '../shared/errors.js'
import {
  DEFAULT_API_BASE,
  DEFAULT_PROFILE_NAME,
  type KeychainKey,
  type ProfileSettings,
  SANDBOX_PROFILE_NAME,
  StoredProfiles,
  checkProfileName,
} from './store.js'

export type Source = 'default' | 'env' | 'flag' | 'profile'

export interface ResolveInput {
  profile?: string
  apiKey?: string
  apiBase?: string
  env?: NodeJS.ProcessEnv
}

export interface Settings {
  profile: string
  profileSource: Source
  apiKey?: string
  keySource?: Source
  /** The profile's keychain entry, when its key comes from there and is not read yet. */
  keychain?: KeychainKey
  apiBase: string
  baseSource: Source
  /** The profile's stored settings (brand_id, color, ...). */
  stored: ProfileSettings
}

export function resolveSettings(input: ResolveInput): Settings {
  const env = input.env ?? process.env
  const keyFromCaller = flagOrEnv(input.apiKey, env.UMMAH_SECRET_KEY)
  const baseFromCaller = flagOrEnv(input.apiBase, env.UMMAH_API_BASE)
  const named = namedProfile(input.profile, env)

  // Even with key and base given, the file holds the profile's other settings (brand_id, color).
  const store = StoredProfiles.read(env)
  const profile = named?.value ?? store.activeProfile ?? DEFAULT_PROFILE_NAME
  const stored = store.profile(profile)
  if (named && !stored && !keyFromCaller) {
    throw new UsageError(
      `Profile "${profile}" does not exist`,
      `Create it with \`ummah login --profile ${profile}\`, or see \`ummah profiles list\`.`,
    )
  }

  // A keychain key is named here and read by requireKey, when a command needs it.
  const keychain = keyFromCaller ? undefined : stored?.api_key_keychain
  const fromProfile = keychain || stored?.api_key ? {value: keychain ? undefined : stored?.api_key, source: 'profile' as const} : undefined
  const apiKey = keyFromCaller ?? fromProfile
  const base =
    baseFromCaller ??
    (stored?.api_base ? {value: stored.api_base, source: 'profile' as const} : {value: DEFAULT_API_BASE, source: 'default' as const})
  return {
    profile,
    profileSource: named?.source ?? (store.activeProfile ? 'profile' : 'default'),
    apiKey: apiKey?.value,
    keySource: apiKey?.source,
    keychain,
    apiBase: checkApiBase(base.value, base.source),
    baseSource: base.source,
    stored: stored ?? {},
  }
}

/** A flag's value, else the environment variable's, with where it came from. */
function flagOrEnv(flag: string | undefined, fromEnv: string | undefined): {source: 'env' | 'flag'; value: string} | undefined {
  if (flag) return {value: flag, source: 'flag'}
  return fromEnv ? {value: fromEnv, source: 'env'} : undefined
}

/** The profile the caller named with --profile or UMMAH_PROFILE, if any. */
function namedProfile(flag: string | undefined, env: NodeJS.ProcessEnv): {source: Source; value: string} | undefined {
  const named = flagOrEnv(flag, env.UMMAH_PROFILE)
  if (named) checkProfileName(named.value)
  return named
}

/** The profile a command acts on: --profile, UMMAH_PROFILE, the active profile, "default". */
export function selectProfile(flag: string | undefined, store: StoredProfiles, env: NodeJS.ProcessEnv = process.env): string {
  return namedProfile(flag, env)?.value ?? store.activeProfile ?? DEFAULT_PROFILE_NAME
}

/** The key (from the keychain the first time it is needed), or an error that says how to provide one. */
export async function requireKey(settings: Settings): Promise<string> {
  if (settings.apiKey) return settings.apiKey
  if (settings.keychain) {
    const {readKeychainKey} = await import('./keys.js')
    settings.apiKey = await readKeychainKey(settings.profile, settings.keychain)
    return settings.apiKey
  }
  const sandbox = settings.profile === SANDBOX_PROFILE_NAME ? '' : ' or use the local sandbox with `--profile sandbox`'
  throw new AuthConfigError(`No API key for profile "${settings.profile}"`, `Run \`ummah login\`, set UMMAH_SECRET_KEY, or pass --api-key${sandbox}.`)
}

export function checkApiBase(value: string, source: Source): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    url = new URL('invalid:')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    const where = {default: 'the default', env: 'UMMAH_API_BASE', flag: '--api-base', profile: 'the profile'}[source]
    throw new UsageError(`Invalid API base "${value}" from ${where}`, 'Give an http(s) URL such as https://gate.ummah.com/api/v1.')
  }
  return value.replace(/\/+$/, '')
}
