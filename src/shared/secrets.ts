/** Secret keys: which mode they belong to, and how to show them without revealing them. */

export type KeyMode = 'live' | 'test' | 'unknown'

const KEY_PREFIX = /^(sk_(?:test|live)_)/

export function keyMode(key: string | undefined): KeyMode {
  if (!key) return 'unknown'
  if (key.startsWith('sk_live_')) return 'live'
  if (key.startsWith('sk_test_')) return 'test'
  return 'unknown'
}

export function isLiveKey(key: string | undefined): boolean {
  return keyMode(key) === 'live'
}

/**
 * Masks a secret key for display: `sk_test_…abcd`. The last four characters
 * are shown only when at least 8 stay hidden. A short test key (the
 * sandbox's `sk_test_sandbox`, a CI job's `sk_test_ci0001`) shows its last two
 * when 4 or more stay hidden, so profiles can be told apart: it only ever
 * reaches test mode. A short live key shows nothing after its prefix.
 */
export function maskKey(key: string | undefined): string {
  if (!key) return '(none)'
  const prefix = KEY_PREFIX.exec(key)?.[1] ?? ''
  const secret = key.slice(prefix.length)
  const tail = secret.length >= 12 ? secret.slice(-4) : prefix === 'sk_test_' && secret.length >= 6 ? secret.slice(-2) : ''
  return `${prefix || key.slice(0, Math.min(3, Math.floor(key.length / 4)))}…${tail}`
}

/** Replaces every occurrence of each secret in text with its mask. */
export function redact(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let result = text
  for (const secret of secrets) {
    if (secret && secret.length >= 4) result = result.split(secret).join(maskKey(secret))
  }
  return result
}

/** Every secret this process has seen (flag, environment, profile, stdin), masked wherever it is written. */
const knownSecrets = new Set<string>()

/** Remembers a secret so that no output of this process shows it whole. */
export function registerSecret(secret: string | undefined): void {
  const value = secret?.trim()
  if (value && value.length >= 8 && value !== '-') knownSecrets.add(value)
}

/** Text with every registered secret masked. */
export function redactKnown(text: string): string {
  for (const secret of knownSecrets) if (text.includes(secret)) text = text.split(secret).join(maskKey(secret))
  return text
}

/**
 * Every flag whose value is a secret, on any command: masked in the process
 * title (what `ps` shows of a long-running `listen`, `relay start` or
 * `sandbox start`) and in every output. Each also reads from the environment,
 * `@FILE` or `-` (stdin), so it need not be typed on a command line.
 */
export const SECRET_FLAGS = ['--api-key', '--token', '--relay-token', '--secret', '--password', '--client-secret', '--forward-auth'] as const

/** An API key anywhere in an argument: a mistyped flag (`--apikey=sk_test_…`, `--api_key=…`) or a stray word. */
const KEY_IN_ARGUMENT = /sk_(?:test|live)_[A-Za-z0-9_-]+/g

/** A secret flag's value as it may be shown: keys as `sk_test_…abcd`, `--forward-auth` as its kind, anything else as `…`. */
function maskValue(flag: string, value: string): string {
  if (value === '-' || value.startsWith('@')) return value
  if (flag === '--forward-auth') return `${value.split(':')[0]}:…`
  return KEY_PREFIX.test(value.trim()) ? maskKey(value.trim()) : '…'
}

/** The argument vector with every secret flag's value and every key-looking word masked; undefined when nothing is. */
export function maskedArgv(argv: readonly string[]): string[] | undefined {
  let changed = false
  const masked = argv.map((arg, index) => {
    let shown = arg
    const flag = SECRET_FLAGS.find((name) => arg.startsWith(`${name}=`))
    if (flag) shown = `${flag}=${maskValue(flag, arg.slice(flag.length + 1))}`
    else if ((SECRET_FLAGS as readonly string[]).includes(argv[index - 1] ?? '')) shown = maskValue(argv[index - 1], arg)
    shown = shown.replaceAll(KEY_IN_ARGUMENT, (key) => maskKey(key))
    if (shown !== arg) changed = true
    return shown
  })
  return changed ? masked : undefined
}

/** The secrets on a command line, before any `--`: secret flags' values and key-looking words anywhere (a typo must not print one). */
export function secretsInArgv(argv: readonly string[]): string[] {
  const end = argv.includes('--') ? argv.indexOf('--') : argv.length
  const secrets: string[] = []
  for (let index = 0; index < end; index++) {
    const arg = argv[index]
    const flag = SECRET_FLAGS.find((name) => arg === name || arg.startsWith(`${name}=`))
    if (flag === '--forward-auth') {
      const value = arg === flag ? (argv[index + 1] ?? '') : arg.slice(flag.length + 1)
      // basic:USER:PASS, header:NAME:VALUE, oauth2:URL,ID,SECRET: the parts after the kind that are secret.
      const [, ...rest] = value.split(':')
      secrets.push(rest.slice(1).join(':'), ...rest.join(':').split(',').slice(2, 3))
    } else if (flag) secrets.push(arg === flag ? (argv[index + 1] ?? '') : arg.slice(flag.length + 1))
    for (const match of arg.matchAll(KEY_IN_ARGUMENT)) secrets.push(match[0])
  }
  return secrets.filter((secret) => secret && secret !== '-' && !secret.startsWith('@'))
}
