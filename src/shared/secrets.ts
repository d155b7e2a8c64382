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
