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
 * are shown only when enough remains hidden that they give nothing away.
 */
export function maskKey(key: string | undefined): string {
  if (!key) return '(none)'
  const prefix = KEY_PREFIX.exec(key)?.[1] ?? ''
  const secret = key.slice(prefix.length)
  const tail = secret.length >= 12 ? secret.slice(-4) : ''
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
 * An argument vector with the values of `--api-key` masked: what `ps` shows
 * of a long-running command once it is made the process title.
 */
export function maskedArgv(argv: readonly string[]): string[] | undefined {
  let changed = false
  const masked = argv.map((arg, index) => {
    if (arg.startsWith('--api-key=') && arg.length > '--api-key='.length) {
      changed = true
      return `--api-key=${maskKey(arg.slice('--api-key='.length))}`
    }
    if (argv[index - 1] === '--api-key' && arg !== '-') {
      changed = true
      return maskKey(arg)
    }
    return arg
  })
  return changed ? masked : undefined
}

/** The `--api-key` values on a command line, before any `--`. */
export function apiKeysInArgv(argv: readonly string[]): string[] {
  const end = argv.includes('--') ? argv.indexOf('--') : argv.length
  const keys: string[] = []
  for (let index = 0; index < end; index++) {
    const arg = argv[index]
    if (arg === '--api-key' && index + 1 < end) keys.push(argv[index + 1])
    else if (arg.startsWith('--api-key=')) keys.push(arg.slice('--api-key='.length))
  }
  return keys
}
