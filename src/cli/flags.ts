/** Flags every command shares (README: Global flags), shown under GLOBAL FLAGS in help. */
import {Flags, type Interfaces} from '@oclif/core'

import {MAX_RETRIES, REQUEST_TIMEOUT_SECONDS} from '../shared/defaults.js'

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
