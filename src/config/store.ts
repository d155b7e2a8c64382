/**
 * Profiles on disk: one JSON file, mode 0600, in a 0700 directory
 * (UMMAH_CONFIG_DIR, else the platform's config folder). Every API command
 * reads it, so reading is a plain JSON read; `conf` (atomic writes, with ajv
 * behind it: ~25 ms to load) is imported only by the commands that change it.
 */
import {chmodSync, existsSync, mkdirSync, readFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'

import type Conf from 'conf'

import {UsageError} from '../api/errors.js'

export const DEFAULT_API_BASE = 'https://gate.ummah.com/api/v1'

export const SETTING_NAMES = ['api_key', 'api_base', 'brand_id', 'color'] as const
export type SettingName = (typeof SETTING_NAMES)[number]
export type ProfileSettings = Partial<Record<SettingName, string>>

/** The built-in profile that points at `ummah sandbox start` on its default port. */
export const SANDBOX_PROFILE_NAME = 'sandbox'
export const SANDBOX_PROFILE: Readonly<Required<Pick<ProfileSettings, 'api_base' | 'api_key'>>> = {
  api_key: 'sk_test_sandbox',
  api_base: 'http://127.0.0.1:8420/api/v1',
}

export const DEFAULT_PROFILE_NAME = 'default'

interface StoredConfig {
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

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.UMMAH_CONFIG_DIR) return env.UMMAH_CONFIG_DIR
  switch (process.platform) {
    case 'darwin':
      return join(homedir(), 'Library', 'Preferences', 'ummah')
    case 'win32':
      return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'ummah')
    default:
      return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'ummah')
  }
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

  profile(name: string): ProfileSettings | undefined {
    return this.profiles()[name]
  }

  isStored(name: string): boolean {
    return name in this.data.profiles
  }
}

/** The profiles for the commands that change them (login, logout, profiles, config): writes go through `conf`. */
export class ConfigStore extends StoredProfiles {
  private constructor(private readonly conf: Conf<StoredConfig>) {
    super(conf.path, conf.store)
  }

  static async open(env: NodeJS.ProcessEnv = process.env): Promise<ConfigStore> {
    const dir = configDir(env)
    if (!existsSync(dir)) {
      mkdirSync(dir, {recursive: true, mode: 0o700})
      chmodSync(dir, 0o700)
    }
    // Read first, so a damaged file gets our message rather than conf's.
    readStored(configFile(env))
    const {default: Conf} = await import('conf')
    const conf = new Conf<StoredConfig>({
      cwd: dir,
      configName: 'config',
      configFileMode: 0o600,
      accessPropertiesByDotNotation: false,
      defaults: {profiles: {}},
    })
    return new ConfigStore(conf)
  }

  /** Merges settings into a profile; an `undefined` value removes that setting. */
  updateProfile(name: string, changes: ProfileSettings): ProfileSettings {
    checkProfileName(name)
    const profiles = {...this.data.profiles}
    const merged: ProfileSettings = {...profiles[name]}
    for (const [key, value] of Object.entries(changes) as Array<[SettingName, string | undefined]>) {
      if (value === undefined) delete merged[key]
      else merged[key] = value
    }
    profiles[name] = merged
    this.write({profiles})
    return merged
  }

  removeProfile(name: string): void {
    const profiles = {...this.data.profiles}
    delete profiles[name]
    this.write({profiles, ...(this.activeProfile === name ? {active_profile: undefined} : {})})
  }

  setActive(name: string): void {
    this.write({active_profile: name})
  }

  private write(changes: Partial<StoredConfig>): void {
    for (const [key, value] of Object.entries(changes) as Array<[keyof StoredConfig, never]>) {
      if (value === undefined) this.conf.delete(key)
      else this.conf.set(key, value)
    }
    // conf writes with the mode only when it creates the file; keep an older file private too.
    chmodSync(this.conf.path, 0o600)
    this.data = this.conf.store
  }
}

/** The file's contents, as conf writes them; a missing file is empty. */
function readStored(path: string): StoredConfig {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {profiles: {}}
    throw new UsageError(`Cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, 'Check its permissions, or set UMMAH_CONFIG_DIR to another directory.')
  }
  let parsed: Partial<StoredConfig>
  try {
    parsed = JSON.parse(text) as Partial<StoredConfig>
  } catch {
    throw new UsageError(`${path} is not valid JSON`, 'Fix it, or delete it and run `ummah login` again.')
  }
  return {...parsed, profiles: parsed.profiles ?? {}}
}
