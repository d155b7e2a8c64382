/** Profile services behind login, logout, profiles and config: views that never show a whole key, and checked settings. */
import {UsageError} from '../shared/errors.js'
import {isUrl} from '../api/validate.js'
import {keyMode, maskKey} from '../shared/secrets.js'
import {checkApiBase} from './resolve.js'
import {
  DEFAULT_API_BASE,
  DEFAULT_PROFILE_NAME,
  type ProfileSettings,
  SANDBOX_PROFILE_NAME,
  SETTING_NAMES,
  type SettingName,
  type StoredProfiles,
} from './store.js'

/** Where a profile's key is kept: the OS keychain, the config file, or nowhere (no key saved). */
export type KeyStorage = 'file' | 'keychain' | 'none'

export function keyStorage(settings: ProfileSettings): KeyStorage {
  if (settings.api_key_keychain) return 'keychain'
  return settings.api_key ? 'file' : 'none'
}

/** The key of a profile as it may be shown, wherever it is kept. */
export function maskedKey(settings: ProfileSettings): string {
  return settings.api_key_keychain?.masked ?? maskKey(settings.api_key)
}

export interface ProfileView {
  name: string
  active: boolean
  mode: string
  api_key: string
  key_storage: KeyStorage
  api_base: string
  brand_id?: string
  color?: string
}

export function viewProfile(name: string, settings: ProfileSettings, activeName: string): ProfileView {
  return {
    name,
    active: name === activeName,
    // The masked form keeps the sk_live_/sk_test_ prefix, so a keychain key's mode needs no keychain.
    mode: keyStorage(settings) === 'none' ? 'none' : keyMode(maskedKey(settings)),
    api_key: maskedKey(settings),
    key_storage: keyStorage(settings),
    api_base: settings.api_base ?? DEFAULT_API_BASE,
    ...(settings.brand_id ? {brand_id: settings.brand_id} : {}),
    ...(settings.color ? {color: settings.color} : {}),
  }
}

export function listProfiles(store: StoredProfiles, activeName: string): ProfileView[] {
  return Object.entries(store.profiles())
    .sort(([a], [b]) => (a === SANDBOX_PROFILE_NAME ? 1 : b === SANDBOX_PROFILE_NAME ? -1 : a.localeCompare(b)))
    .map(([name, settings]) => viewProfile(name, settings, activeName))
}

const SECRET_KEY = /^sk_(test|live)_[A-Za-z0-9_-]{1,200}$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const COLORS = ['auto', 'always', 'never']

export function checkSecretKey(key: string): string {
  const trimmed = key.trim()
  if (!SECRET_KEY.test(trimmed)) {
    throw new UsageError(
      `That is not a secret key (${maskKey(trimmed)})`,
      'Secret keys start with sk_test_ or sk_live_; find yours under Settings → API Keys.',
    )
  }
  return trimmed
}

export function checkSettingName(name: string): SettingName {
  if (!(SETTING_NAMES as readonly string[]).includes(name)) {
    throw new UsageError(`Unknown setting "${name}"`, `Settings are ${SETTING_NAMES.join(', ')}.`)
  }
  return name as SettingName
}

/** Validates a value for `config set`, returning it as it is stored. */
export function checkSetting(name: SettingName, value: string): string {
  switch (name) {
    case 'api_key':
      return checkSecretKey(value)
    case 'api_base':
      return checkApiBase(value, 'flag')
    case 'brand_id':
      if (!UUID.test(value))
        throw new UsageError(`brand_id "${value}" is not a UUID`, 'Copy the brand ID from the dashboard, e.g. 409eb80e-3782-4b1d-afa8-b779759266a5.')
      return value.toLowerCase()
    case 'color':
      if (!COLORS.includes(value))
        throw new UsageError(`color "${value}" is not one of ${COLORS.join(', ')}`, 'Use auto (colour on terminals), always or never.')
      return value
    case 'relay_url':
      for (const url of value.split(',')) {
        if (!isUrl(url.trim()))
          throw new UsageError(
            `relay_url "${url.trim()}" is not an http(s) URL`,
            "Give the relay's address, e.g. https://relay.example.com (several: comma-separated).",
          )
      }
      return value
    case 'relay_token':
      if (!/^\S{8,512}$/.test(value))
        throw new UsageError(
          'relay_token must be 8 to 512 characters without spaces',
          'Paste the token `ummah relay channels create` or `tokens create` printed.',
        )
      return value
  }
}

/** A profile's setting as it may be shown: keys (wherever kept) and tokens masked. */
export function showSetting(name: SettingName, settings: ProfileSettings): string | undefined {
  if (name === 'api_key') return keyStorage(settings) === 'none' ? undefined : maskedKey(settings)
  const value = settings[name]
  if (name === 'relay_token') return value !== undefined ? maskKey(value) : settings.relay_token_keychain?.masked
  return value
}

/**
 * The profile `login` saves to. The built-in sandbox profile is never
 * overwritten: named, it is refused; merely active, the key goes to "default".
 */
export function loginProfile(selected: string, named: boolean): string {
  if (selected !== SANDBOX_PROFILE_NAME) return selected
  if (named) {
    throw new UsageError(
      `"${SANDBOX_PROFILE_NAME}" is the built-in profile of \`ummah sandbox start\``,
      'Save your key to another profile: `ummah login --profile NAME`.',
    )
  }
  return DEFAULT_PROFILE_NAME
}

/** The profile's relay token; the keychain (and its binding) are loaded only when the profile keeps it there. */
export async function storedRelayToken(profile: string, stored: ProfileSettings): Promise<string | undefined> {
  if (!stored.relay_token_keychain) return stored.relay_token
  return (await import('./keys.js')).readRelayToken(profile, stored)
}
