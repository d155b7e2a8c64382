/**
 * Where a profile's secret key is kept, and every change to it. Test keys
 * stay in the config file. Live keys go to the OS keychain (keychain.ts):
 * the profile records only the entry's account and the masked key. With no
 * keychain a live key is refused unless `--insecure-storage` puts it in the
 * file (0600) on purpose. Loaded only by the commands that save, read or
 * remove a keychain key.
 *
 * Each entry's account is the profile name and a random id, so two config
 * directories (UMMAH_CONFIG_DIR) never share an entry, and a new entry is
 * written before the file points at it: a login that fails half-way leaves
 * the old key working. The entry a profile stops pointing at is deleted after
 * the file no longer names it, decided under the config lock, so two logins
 * at once leave one entry, the one the file names.
 */
import {randomUUID} from '../shared/lazy-crypto.js'

import {AuthConfigError} from '../api/errors.js'
import {UsageError} from '../shared/errors.js'
import {isLiveKey, maskKey} from '../shared/secrets.js'
import {KeychainError, deleteSecret, getSecret, setSecret} from './keychain.js'
import {type ConfigStore, type KeychainKey, type ProfileSettings, checkProfileName, mergeSettings, storedProfile} from './store.js'

/** What a change did besides its result, for the command to tell: entries it could not clean up, keys it moved. */
export interface KeyNotices {
  notices: string[]
}

export interface SaveKeyOptions {
  /** Write a live key to the config file when (and only when) asked. */
  insecureStorage?: boolean
  /** Other settings saved with the key (login's --api-base). */
  settings?: ProfileSettings
  activateIfNone?: boolean
  /** Runs once the key has a place (login's check with the gateway), before the file changes: no keychain means no request sent. */
  check?: () => Promise<void>
}

/** The key fields of a profile keeping its key in the keychain entry given, else in the file (on purpose: insecure). */
function keyFields(key: string | undefined, entry: KeychainKey | undefined, insecure: boolean): ProfileSettings {
  return {api_key: entry ? undefined : key, api_key_keychain: entry, api_key_insecure: insecure ? true : undefined}
}

const NO_KEY = keyFields(undefined, undefined, false)

function noKeychain(error: KeychainError, file: string): UsageError {
  return new UsageError(
    `No keychain to keep the live key in (${error.reason}); nothing was saved`,
    `Start or unlock the OS keychain (on Linux a Secret Service such as gnome-keyring) and try again; in CI give the key as UMMAH_SECRET_KEY from a secrets manager; or pass --insecure-storage to write it to ${file} (mode 0600, plain text).`,
  )
}

/** A new keychain entry holding the key, or the error `login` shows when there is no keychain. */
async function newEntry(profile: string, key: string, file: string): Promise<KeychainKey> {
  const entry = {account: `${profile}:${randomUUID()}`, masked: maskKey(key)}
  try {
    await setSecret(entry.account, key)
  } catch (error) {
    if (error instanceof KeychainError) throw noKeychain(error, file)
    throw error
  }
  return entry
}

/** Deletes entries the file no longer names; one that cannot be deleted becomes a notice, never a failure of what already happened. */
async function dropEntries(entries: ReadonlyArray<KeychainKey | undefined>, notices: string[]): Promise<void> {
  for (const entry of entries) {
    if (!entry) continue
    await deleteSecret(entry.account).catch((error: Error) => {
      notices.push(
        `The keychain entry ${entry.account} (${entry.masked}) could not be deleted (${error instanceof KeychainError ? error.reason : error.message}); delete it in the keychain's own tool.`,
      )
    })
  }
}

/**
 * Saves a key to a profile: a live key into the keychain (unless
 * insecureStorage), a test key into the file. The profile as saved.
 */
export async function saveKey(
  store: ConfigStore,
  profile: string,
  key: string,
  options: SaveKeyOptions = {},
): Promise<KeyNotices & {saved: ProfileSettings}> {
  checkProfileName(profile)
  const insecure = isLiveKey(key) && Boolean(options.insecureStorage)
  const entry = isLiveKey(key) && !insecure ? await newEntry(profile, key, store.path) : undefined
  const notices: string[] = []
  let replaced: KeychainKey | undefined
  let saved: ProfileSettings = {}
  try {
    await options.check?.()
    await store.change((data) => {
      const current = storedProfile(data, profile)
      replaced = current?.api_key_keychain
      saved = mergeSettings(current, {...options.settings, ...keyFields(key, entry, insecure)})
      data.profiles[profile] = saved
      if (options.activateIfNone && !data.active_profile) data.active_profile = profile
    })
  } catch (error) {
    await dropEntries([entry], notices)
    throw error
  }
  await dropEntries([replaced], notices)
  return {saved, notices}
}

/** What a keychain entry holds, as its errors name it and say how to give it otherwise. */
interface EntryKind {
  what: 'live key' | 'relay token'
  /** The environment variable that gives it for one run. */
  variable: string
  /** How to save it again. */
  save: (profile: string) => string
}

const LIVE_KEY: EntryKind = {what: 'live key', variable: 'UMMAH_SECRET_KEY', save: (profile) => `ummah login --profile ${profile}`}
const RELAY_TOKEN: EntryKind = {
  what: 'relay token',
  variable: 'UMMAH_RELAY_TOKEN',
  save: (profile) => `ummah config set relay_token TOKEN --profile ${profile}`,
}

/** The secret of a profile's keychain entry; a keychain that cannot be read or an entry that is gone is an AuthConfigError saying what to do. */
async function readEntry(profile: string, entry: KeychainKey, kind: EntryKind): Promise<string> {
  let secret: string | undefined
  try {
    secret = await getSecret(entry.account)
  } catch (error) {
    if (!(error instanceof KeychainError)) throw error
    throw new AuthConfigError(
      `Cannot read the ${kind.what} of profile "${profile}" from the keychain (${error.reason})`,
      `Unlock or start the OS keychain, or give the ${kind.what === 'live key' ? 'key' : 'token'} for this run with ${kind.variable}.`,
    )
  }
  if (!secret)
    throw new AuthConfigError(
      `The keychain has no entry for the ${kind.what} of profile "${profile}" (${entry.masked})`,
      `Save it again: \`${kind.save(profile)}\`.`,
    )
  return secret
}

/** The live key of a profile, read from its keychain entry. */
export function readKeychainKey(profile: string, entry: KeychainKey): Promise<string> {
  return readEntry(profile, entry, LIVE_KEY)
}

/**
 * Removes the keys of profiles (and with removeProfiles the profiles too).
 * A keychain entry is deleted first: one that cannot be deleted stops its
 * profile from changing (the file keeps naming it), and the error says so
 * after the others are done.
 */
export async function removeKeys(store: ConfigStore, names: readonly string[], options: {removeProfiles?: boolean} = {}): Promise<void> {
  const removed: string[] = []
  const failed: string[] = []
  for (const name of names) {
    const settings = store.profile(name)
    // A removed profile takes its relay token's entry with it; a logout keeps the relay token.
    const entries = [settings?.api_key_keychain, options.removeProfiles ? settings?.relay_token_keychain : undefined].filter(
      (entry) => entry !== undefined,
    )
    try {
      for (const entry of entries) await deleteSecret(entry.account)
    } catch (error) {
      if (!(error instanceof KeychainError)) throw error
      failed.push(`${name} (${error.reason})`)
      continue
    }
    removed.push(name)
  }
  await store.change((data) => {
    for (const name of removed) {
      const current = storedProfile(data, name)
      if (!current) continue
      if (options.removeProfiles) {
        delete data.profiles[name]
        if (data.active_profile === name) delete data.active_profile
      } else {
        data.profiles[name] = mergeSettings(current, NO_KEY)
      }
    }
  })
  if (failed.length > 0) {
    throw new UsageError(
      `Cannot delete the keychain entry of ${failed.join(', ')}; ${removed.length > 0 ? `done for ${removed.join(', ')}, ` : ''}that profile is unchanged`,
      'Unlock or start the OS keychain and run the command again.',
    )
  }
}

export interface MovedKey {
  profile: string
  /** The masked secret moved. */
  api_key: string
  /** Which secret: the API key unless said. */
  secret?: 'relay_token'
}

/**
 * Moves live keys found in the config file into the keychain (an older
 * config, or one written with --insecure-storage when `all`). A key changed
 * by someone else meanwhile stays as they left it, and its new entry is dropped.
 */
export async function migrateKeys(store: ConfigStore, options: {all: boolean}): Promise<KeyNotices & {moved: MovedKey[]}> {
  const notices: string[] = []
  const moved: MovedKey[] = []
  const candidates = Object.entries(store.profiles())
    .filter(([name, settings]) => store.isStored(name) && isLiveKey(settings.api_key) && (options.all || !settings.api_key_insecure))
    .sort(([a], [b]) => a.localeCompare(b))
  for (const [name, settings] of candidates) {
    const key = settings.api_key!
    const entry = await newEntry(name, key, store.path)
    let taken = false
    await store.change((data) => {
      const current = storedProfile(data, name)
      if (current?.api_key !== key) return
      data.profiles[name] = mergeSettings(current, keyFields(key, entry, false))
      taken = true
    })
    if (taken) moved.push({profile: name, api_key: entry.masked})
    else await dropEntries([entry], notices)
  }
  // Relay tokens kept in the file follow: each into an entry of its own.
  const tokens = Object.entries(store.profiles()).filter(
    ([name, settings]) => store.isStored(name) && settings.relay_token && !settings.relay_token_keychain,
  )
  for (const [name, settings] of tokens.sort(([a], [b]) => a.localeCompare(b))) {
    const token = settings.relay_token!
    const entry = {account: `${name}:relay:${randomUUID()}`, masked: maskKey(token)}
    try {
      await setSecret(entry.account, token)
    } catch (error) {
      if (!(error instanceof KeychainError)) throw error
      // Asked for (config migrate-keys): say why nothing moved. On a login: no keychain, so the token stays in the file.
      if (options.all) throw noKeychain(error, store.path)
      break
    }
    let taken = false
    await store.change((data) => {
      const current = storedProfile(data, name)
      if (current?.relay_token !== token) return
      data.profiles[name] = mergeSettings(current, {relay_token: undefined, relay_token_keychain: entry})
      taken = true
    })
    if (taken) moved.push({profile: name, api_key: entry.masked, secret: 'relay_token'})
    else await dropEntries([entry], notices)
  }
  return {moved, notices}
}

/**
 * `ummah login`: saves the key, then moves the live keys an older ummah left
 * in the file. A keychain that fails during the move fails nothing already
 * done: those keys stay in the file, and a notice says so.
 */
export async function loginKey(
  store: ConfigStore,
  profile: string,
  key: string,
  options: SaveKeyOptions,
): Promise<KeyNotices & {saved: ProfileSettings}> {
  const {saved, notices} = await saveKey(store, profile, key, options)
  const migrated = await migrateKeys(store, {all: false}).catch((error: Error) => ({
    moved: [],
    notices: [`Live keys in ${store.path} stay there: ${error.message}.`],
  }))
  const movedNotices = migrated.moved.map(
    ({profile: name, api_key: masked, secret}) =>
      `Moved the ${secret === 'relay_token' ? 'relay token' : 'live key'} ${masked} of profile "${name}" from the config file to the OS keychain.`,
  )
  return {saved, notices: [...notices, ...movedNotices, ...migrated.notices]}
}

/**
 * The relay token follows live keys into the keychain when there is one
 * (account `PROFILE:relay:UUID`); without one it stays in the 0600 file, and
 * the notice says so. The entry it replaces is deleted once the file no
 * longer names it.
 */
export async function saveRelayToken(store: ConfigStore, profile: string, token: string): Promise<KeyNotices & {saved: ProfileSettings}> {
  checkProfileName(profile)
  const notices: string[] = []
  let entry: KeychainKey | undefined = {account: `${profile}:relay:${randomUUID()}`, masked: maskKey(token)}
  try {
    await setSecret(entry.account, token)
  } catch (error) {
    if (!(error instanceof KeychainError)) throw error
    notices.push(`No keychain (${error.reason}): the relay token is kept in ${store.path} (mode 0600).`)
    entry = undefined
  }
  let replaced: KeychainKey | undefined
  let saved: ProfileSettings = {}
  try {
    await store.change((data) => {
      const current = storedProfile(data, profile)
      replaced = current?.relay_token_keychain
      saved = mergeSettings(current, {relay_token: entry ? undefined : token, relay_token_keychain: entry})
      data.profiles[profile] = saved
    })
  } catch (error) {
    await dropEntries([entry], notices)
    throw error
  }
  await dropEntries([replaced], notices)
  return {saved, notices}
}

/** The profile's relay token: from the file, or read from its keychain entry. */
export async function readRelayToken(profile: string, settings: ProfileSettings): Promise<string | undefined> {
  const entry = settings.relay_token_keychain
  return entry ? readEntry(profile, entry, RELAY_TOKEN) : settings.relay_token
}

/** Unsets the relay token: its keychain entry first (one that cannot be deleted leaves the profile as it is). */
export async function removeRelayToken(store: ConfigStore, profile: string): Promise<void> {
  const entry = store.profile(profile)?.relay_token_keychain
  if (entry) {
    try {
      await deleteSecret(entry.account)
    } catch (error) {
      if (!(error instanceof KeychainError)) throw error
      throw new UsageError(
        `Cannot delete the keychain entry of the relay token of "${profile}" (${error.reason}); the profile is unchanged`,
        'Unlock or start the OS keychain and run the command again.',
      )
    }
  }
  await store.change((data) => {
    const current = storedProfile(data, profile)
    if (current) data.profiles[profile] = mergeSettings(current, {relay_token: undefined, relay_token_keychain: undefined})
  })
}
