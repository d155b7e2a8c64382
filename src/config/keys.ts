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
import {randomUUID} from 'node:crypto'

import {AuthConfigError, UsageError} from '../api/errors.js'
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
      notices.push(`The keychain entry ${entry.account} (${entry.masked}) could not be deleted (${error instanceof KeychainError ? error.reason : error.message}); delete it in the keychain's own tool.`)
    })
  }
}

/**
 * Saves a key to a profile: a live key into the keychain (unless
 * insecureStorage), a test key into the file. The profile as saved.
 */
export async function saveKey(store: ConfigStore, profile: string, key: string, options: SaveKeyOptions = {}): Promise<KeyNotices & {saved: ProfileSettings}> {
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

/** The live key of a profile, read from its keychain entry. */
export async function readKeychainKey(profile: string, entry: KeychainKey): Promise<string> {
  let key: string | undefined
  try {
    key = await getSecret(entry.account)
  } catch (error) {
    if (!(error instanceof KeychainError)) throw error
    throw new AuthConfigError(
      `Cannot read the live key of profile "${profile}" from the keychain (${error.reason})`,
      'Unlock or start the OS keychain, or give the key for this run with UMMAH_SECRET_KEY.',
    )
  }
  if (!key) throw new AuthConfigError(`The keychain has no entry for the live key of profile "${profile}" (${entry.masked})`, `Save it again: \`ummah login --profile ${profile}\`.`)
  return key
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
    const entry = store.profile(name)?.api_key_keychain
    if (entry) {
      try {
        await deleteSecret(entry.account)
      } catch (error) {
        if (!(error instanceof KeychainError)) throw error
        failed.push(`${name} (${error.reason})`)
        continue
      }
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
  api_key: string
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
  return {moved, notices}
}

/**
 * `ummah login`: saves the key, then moves the live keys an older ummah left
 * in the file. A keychain that fails during the move fails nothing already
 * done: those keys stay in the file, and a notice says so.
 */
export async function loginKey(store: ConfigStore, profile: string, key: string, options: SaveKeyOptions): Promise<KeyNotices & {saved: ProfileSettings}> {
  const {saved, notices} = await saveKey(store, profile, key, options)
  const migrated = await migrateKeys(store, {all: false}).catch((error: Error) => ({moved: [], notices: [`Live keys in ${store.path} stay there: ${error.message}.`]}))
  const movedNotices = migrated.moved.map(({profile: name, api_key: masked}) => `Moved the live key ${masked} of profile "${name}" from the config file to the OS keychain.`)
  return {saved, notices: [...notices, ...movedNotices, ...migrated.notices]}
}
