/** Flags every command shares (README: Global flags), shown under GLOBAL FLAGS in help. */
import {Flags, type Interfaces} from '@oclif/core'

import {MAX_RETRIES, REQUEST_TIMEOUT_SECONDS} from '../shared/defaults.js'
import {parseDuration} from '../shared/duration.js'

const helpGroup = 'GLOBAL'

export const globalFlags = {
  profile: Flags.string({char: 'p', summary: 'Profile to use (default: UMMAH_PROFILE, then the active profile).', helpGroup}),
  'api-key': Flags.string({summary: 'Secret key for this call; overrides UMMAH_SECRET_KEY and the profile.', helpGroup}),
  'api-base': Flags.string({summary: 'API base URL; overrides UMMAH_API_BASE and the profile.', helpGroup}),
  json: Flags.boolean({summary: 'Print the JSON the API returned (errors as a JSON object).', helpGroup}),
  jq: Flags.string({
    summary: 'Filter the JSON output with a jq expression (implies --json; strings print raw, errors stay text on stderr).',
    helpValue: 'EXPR',
    helpGroup,
  }),
  live: Flags.boolean({summary: 'Allow requests that change data with a live key (sk_live_*).', helpGroup}),
  debug: Flags.boolean({summary: 'Trace HTTP requests on stderr (keys masked) and show stack traces.', helpGroup}),
  timeout: Flags.integer({
    summary: 'Seconds to wait for each request attempt (1 to 3600).',
    default: REQUEST_TIMEOUT_SECONDS,
    min: 1,
    max: 3600,
    helpGroup,
  }),
  'max-retries': Flags.integer({summary: 'Retries of 429, 5xx and connection failures.', default: MAX_RETRIES, min: 0, max: 10, helpGroup}),
  'no-input': Flags.boolean({summary: 'Never prompt, even on a terminal (also UMMAH_NO_INPUT=1): what would be asked must be given.', helpGroup}),
  'no-pager': Flags.boolean({summary: 'Print straight to the terminal, without UMMAH_PAGER, PAGER or less.', helpGroup}),
  quiet: Flags.boolean({char: 'q', summary: 'Print no progress and no notes on stderr; results and errors still print.', helpGroup}),
}

/** A duration flag (`30s`, `2m`, `1500ms`; a bare number is seconds), in milliseconds, at most `maxMs`. */
export function durationFlag(options: {summary: string; default?: string; maxMs: number; description?: string}) {
  return Flags.custom<number>({
    summary: options.summary,
    description: options.description,
    helpValue: 'DURATION',
    default: options.default === undefined ? undefined : async () => parseDuration(options.default!)!,
    defaultHelp: async () => options.default,
    parse: async (text) => {
      const ms = parseDuration(text)
      if (ms === undefined || ms > options.maxMs) throw new Error(`Expected a duration such as 30s, 2m or 500ms, at most ${options.maxMs / 1000} s`)
      return ms
    },
  })()
}

/**
 * The global flags that mean something to a command that calls no gateway
 * (`relay start`, `relay channels …`): help lists only these, so `--api-key`,
 * `--live` or `--max-retries` are not offered where they would do nothing.
 */
export function globalFlagsFor<const Names extends ReadonlyArray<keyof typeof globalFlags>>(
  ...names: Names
): Pick<typeof globalFlags, Names[number]> {
  return Object.fromEntries(names.map((name) => [name, globalFlags[name]])) as Pick<typeof globalFlags, Names[number]>
}

/** Every global flag but these (`api`, whose `-q` is its --query). */
export function globalFlagsWithout<const Names extends ReadonlyArray<keyof typeof globalFlags>>(
  ...names: Names
): Omit<typeof globalFlags, Names[number]> {
  return Object.fromEntries(Object.entries(globalFlags).filter(([name]) => !names.includes(name as never))) as Omit<typeof globalFlags, Names[number]>
}

/** The global flags' values, as oclif infers them from the definitions. */
export type GlobalFlags = Interfaces.InferredFlags<typeof globalFlags>

/**
 * Their values before parsing (and for a command that never parses): each
 * definition's default, false for a boolean, else absent.
 */
export const GLOBAL_DEFAULTS: GlobalFlags = Object.fromEntries(
  Object.entries(globalFlags).map(([name, flag]) => [name, flag.type === 'boolean' ? (flag.default ?? false) : flag.default]),
) as GlobalFlags

export const idempotencyKeyFlag = Flags.string({
  summary: 'Idempotency-Key for this POST (default: a new UUID, reused by its retries).',
})

export const listFlags = {
  limit: Flags.integer({summary: 'Show at most this many items, following pages as needed.', min: 0, max: 1_000_000}),
  all: Flags.boolean({summary: 'Follow every page.', exclusive: ['limit']}),
}

export const yesFlag = Flags.boolean({char: 'y', summary: 'Do not ask for confirmation.'})

export const dryRunFlag = Flags.boolean({summary: 'Print the request (method, URL, headers with the key masked, body) and send nothing.'})

export const insecureStorageFlag = Flags.boolean({
  summary: 'Where there is no OS keychain, write a live key to the config file (mode 0600, plain text).',
  description:
    'Live keys are kept in the OS keychain; without one they are refused unless this is given. In CI, prefer UMMAH_SECRET_KEY from a secrets manager.',
})

export const statementFileFlags = {
  output: Flags.string({
    char: 'o',
    summary:
      'Write the file here: a file, a directory (the default name inside it) or - for stdout; default: statement-ID.FORMAT in the current directory.',
    helpValue: 'FILE|DIR|-',
  }),
  force: Flags.boolean({summary: 'Replace the file if it exists.'}),
  'wait-timeout': Flags.integer({summary: 'Seconds to wait for the statement to finish processing (1 to 86400).', default: 300, min: 1, max: 86_400}),
}

/** The global flags' values among a command's parsed flags (oclif parses them with the command's own). */
export function globalValues(parsed: Readonly<Record<string, unknown>>): GlobalFlags {
  const values: Record<string, unknown> = {...GLOBAL_DEFAULTS}
  for (const name of Object.keys(globalFlags)) if (parsed[name] !== undefined) values[name] = parsed[name]
  return values as GlobalFlags
}

/** A rate: `50/s`, `600/m`, `50` (a second); events a second. */
export function rateFlag(options: {summary: string}) {
  return Flags.custom<number>({
    summary: options.summary,
    helpValue: 'N/s',
    parse: async (text) => {
      const match = /^(\d+(?:\.\d+)?)\s*(?:\/\s*(s|sec|second|m|min|minute))?$/.exec(text.trim())
      const perSecond = match ? Number(match[1]) / (match[2]?.startsWith('m') ? 60 : 1) : Number.NaN
      if (!(perSecond > 0 && perSecond <= 10_000)) throw new Error('Expected a rate such as 50/s or 600/m (at most 10000/s)')
      return perSecond
    },
  })()
}

/**
 * `--wait[=DURATION]`: a flag whose value may be left out. A bare `--wait`
 * takes `fallback`, unless the next word is a duration (`--wait 10s`), which
 * is then its value; `--wait=10s` is left as it is.
 */
export function withOptionalValue(argv: string[], flag: string, fallback: string): string[] {
  const out: string[] = []
  for (let index = 0; index < argv.length; index++) {
    const word = argv[index]
    if (word === '--') {
      out.push(...argv.slice(index))
      break
    }
    if (word !== flag) {
      out.push(word)
      continue
    }
    const next = argv[index + 1]
    if (next !== undefined && parseDuration(next) !== undefined) {
      out.push(`${flag}=${next}`)
      index++
    } else out.push(`${flag}=${fallback}`)
  }
  return out
}
