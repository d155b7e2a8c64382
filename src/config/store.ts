/**
 * Profiles on disk: one JSON file, mode 0600, in a 0700 directory
 * (UMMAH_CONFIG_DIR, else the platform's config folder). Every API command
 * reads it, so reading is a plain JSON read; the lock behind changes is
 * imported only by the commands that change it.
 */
import {chmodSync, mkdirSync, readFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {dirname, join} from 'node:path'

import {UsageError} from '../shared/errors.js'
import {writeFileAtomic} from '../shared/atomic-file.js'
import {LOCAL_HOST, SANDBOX_PORT} from '../shared/defaults.js'

export const DEFAULT_API_BASE = 'https://gate.ummah.com/api/v1'

export const SETTING_NAMES = ['api_key', 'api_base', 'brand_id', 'color', 'relay_url', 'relay_token'] as const
export type SettingName = (typeof SETTING_NAMES)[number]
/** A key kept in the OS keychain (config/keys.ts): the entry's account, and what may be shown of the key. */
export interface KeychainKey {
  account: string
  masked: string
}

/**
 * A profile as stored: its settings, and where its key is when not in
 * `api_key`: `api_key_keychain` names the keychain entry of a live key;
 * `api_key_insecure` marks a live key written to this file on purpose
 * (`--insecure-storage`), which migrations leave where it is.
 */
export type ProfileSettings = Partial<Record<SettingName, string>> & {
  api_key_keychain?: KeychainKey
  api_key_insecure?: boolean
  /** The keychain entry of the relay token, where a keychain was available (config/keys.ts). */
  relay_token_keychain?: KeychainKey
}

/** The built-in profile that points at `ummah sandbox start` on its default port. */
export const SANDBOX_PROFILE_NAME = 'sandbox'
/** The sandbox accepts any brand; the profile carries one so the README's examples run as written. */
export const SANDBOX_BRAND_ID = '409eb80e-3782-4b1d-afa8-b779759266a5'
export const SANDBOX_PROFILE: Readonly<Required<Pick<ProfileSettings, 'api_base' | 'api_key' | 'brand_id'>>> = {
  api_key: 'sk_test_sandbox',
  api_base: `http://${LOCAL_HOST}:${SANDBOX_PORT}/api/v1`,
  brand_id: SANDBOX_BRAND_ID,
}

export const DEFAULT_PROFILE_NAME = 'default'

export interface StoredConfig {
  active_profile?: string
  profiles: Record<string, ProfileSettings>
}

const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/

export function checkProfileName(name: string): string {
  if (!PROFILE_NAME.test(name)) {
    throw new UsageError(`Invalid profile name "${name}"`, 'Use letters, digits, "-" and "_" (up to 64 characters).')
  }
  return name
}

/** A per-user directory: its UMMAH_* override, else the platform's place for that kind of file. */
function userDir(
  env: NodeJS.ProcessEnv,
  override: string | undefined,
  places: {darwin: string[]; win32: [string, string[]]; xdg: [string, string[]]},
): string {
  if (override) return override
  switch (process.platform) {
    case 'darwin':
      return join(homedir(), ...places.darwin, 'ummah')
    case 'win32':
      return join(env[places.win32[0]] ?? join(homedir(), ...places.win32[1]), 'ummah')
    default:
      return join(env[places.xdg[0]] || join(homedir(), ...places.xdg[1]), 'ummah')
  }
}

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  return userDir(env, env.UMMAH_CONFIG_DIR, {
    darwin: ['Library', 'Preferences'],
    win32: ['APPDATA', ['AppData', 'Roaming']],
    xdg: ['XDG_CONFIG_HOME', ['.config']],
  })
}

/**
 * Where a listener keeps its spool, lock and state (what it must not lose,
 * and not settings): `UMMAH_STATE_DIR`; else, when `UMMAH_CONFIG_DIR` is set,
 * that directory (one self-contained directory per CI job or test); else the
 * platform's state directory (`$XDG_STATE_HOME/ummah`, `~/.local/state/ummah`).
 */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return userDir(env, env.UMMAH_STATE_DIR || env.UMMAH_CONFIG_DIR, {
    darwin: ['Library', 'Application Support'],
    win32: ['LOCALAPPDATA', ['AppData', 'Local']],
    xdg: ['XDG_STATE_HOME', ['.local', 'state']],
  })
}

/**
 * Where ummah keeps state that is not settings (the sandbox's accounts):
 * `UMMAH_DATA_DIR`, else the platform's data directory
 * (`$XDG_DATA_HOME/ummah`, `~/.local/share/ummah`).
 */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return userDir(env, env.UMMAH_DATA_DIR, {
    darwin: ['Library', 'Application Support'],
    win32: ['LOCALAPPDATA', ['AppData', 'Local']],
    xdg: ['XDG_DATA_HOME', ['.local', 'share']],
  })
}

/** The JSON file `conf` keeps the profiles in. */
export function configFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'config.json')
}

/** The stored profiles, read-only: what resolving a command's key, base and profile needs. */
export class StoredProfiles {
  protected constructor(
    readonly path: string,
    protected data: StoredConfig,
  ) {}

  /** Reads the file; a missing one reads as no profiles (and is not created). */
  static read(env: NodeJS.ProcessEnv = process.env): StoredProfiles {
    const path = configFile(env)
    return new StoredProfiles(path, readStored(path))
  }

  get activeProfile(): string | undefined {
    return this.data.active_profile
  }

  /** Stored profiles, plus the built-in sandbox profile (with any stored overrides). */
  profiles(): Record<string, ProfileSettings> {
    const stored = this.data.profiles
    return {...stored, [SANDBOX_PROFILE_NAME]: {...SANDBOX_PROFILE, ...stored[SANDBOX_PROFILE_NAME]}}
  }

  // Own properties only: "constructor" is a valid profile name, and no profile unless saved.
  profile(name: string): ProfileSettings | undefined {
    return storedProfile({profiles: this.profiles()}, name)
  }

  isStored(name: string): boolean {
    return storedProfile(this.data, name) !== undefined
  }
}

/**
 * The profiles for the commands that change them (login, logout, profiles,
 * config). Every change is read-modify-write under an inter-process lock
 * (proper-lockfile, a lock directory beside the file): the file is read
 * again once the lock is held, so two `ummah login` at once both keep their
 * profile (unlocked, 2 of 20 rounds lost one). The write is atomic: a
 * temporary file, fsynced, renamed over the old one, 0600.
 */
export class ConfigStore extends StoredProfiles {
  private constructor(path: string, data: StoredConfig) {
    super(path, data)
  }

  static async open(env: NodeJS.ProcessEnv = process.env): Promise<ConfigStore> {
    const dir = configDir(env)
    mkdirSync(dir, {recursive: true, mode: 0o700})
    // mkdir's mode applies only to a directory it creates (and umask trims it): make an older one private too.
    chmodSync(dir, 0o700)
    const path = configFile(env)
    return new ConfigStore(path, readStored(path))
  }

  /** Applies `change` to the file's current contents under the lock, and writes the result. */
  async change(change: (data: StoredConfig) => void): Promise<void> {
    const {default: lockfile} = await import('proper-lockfile')
    const release = await lockfile
      .lock(dirname(this.path), {
        lockfilePath: `${this.path}.lock`,
        // Up to ~10 s of waiting for other writers; a lock left by a killed process is stale after 10 s.
        retries: {retries: 60, minTimeout: 10, maxTimeout: 250, factor: 1.5},
        stale: 10_000,
        realpath: false,
      })
      .catch((error: Error) => {
        throw new UsageError(
          `Cannot lock ${this.path} (${(error as NodeJS.ErrnoException).code ?? error.message})`,
          'Another ummah may be changing profiles; try again.',
        )
      })
    try {
      const data = readStored(this.path)
      change(data)
      writeFileAtomic(this.path, `${JSON.stringify(data, null, '\t')}\n`)
      this.data = data
    } finally {
      await release()
    }
  }

  /** Merges settings into a profile; an `undefined` value removes that setting. The profile as saved. */
  async updateProfile(name: string, changes: ProfileSettings, options: {activateIfNone?: boolean} = {}): Promise<ProfileSettings> {
    checkProfileName(name)
    let merged: ProfileSettings = {}
    await this.change((data) => {
      merged = mergeSettings(storedProfile(data, name), changes)
      data.profiles[name] = merged
      if (options.activateIfNone && !data.active_profile) data.active_profile = name
    })
    return merged
  }

  setActive(name: string): Promise<void> {
    return this.change((data) => {
      data.active_profile = name
    })
  }
}

/** A profile of the file's contents, or undefined; own properties only ("constructor" is a valid name). */
export function storedProfile(data: StoredConfig, name: string): ProfileSettings | undefined {
  return Object.hasOwn(data.profiles, name) ? data.profiles[name] : undefined
}

/** The settings of a profile, without where its key is kept. */
export function settingsOf(profile: ProfileSettings): Partial<Record<SettingName, string>> {
  return Object.fromEntries(SETTING_NAMES.flatMap((name) => (profile[name] === undefined ? [] : [[name, profile[name]]])))
}

/** Settings with changes applied: an `undefined` value removes that setting. */
export function mergeSettings(current: ProfileSettings | undefined, changes: ProfileSettings): ProfileSettings {
  const merged: ProfileSettings = {...current}
  for (const [key, value] of Object.entries(changes) as Array<[keyof ProfileSettings, unknown]>) {
    if (value === undefined) delete merged[key]
    else Object.assign(merged, {[key]: value})
  }
  return merged
}

/** The file's contents; a missing file is empty. */
function readStored(path: string): StoredConfig {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {profiles: {}}
    throw new UsageError(
      `Cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      'Check its permissions, or set UMMAH_CONFIG_DIR to another directory.',
    )
  }
  let parsed: Partial<StoredConfig>
  try {
    parsed = JSON.parse(text) as Partial<StoredConfig>
  } catch {
    throw new UsageError(`${path} is not valid JSON`, 'Fix it, or delete it and run `ummah login` again.')
  }
  return {...parsed, profiles: parsed.profiles ?? {}}
}
