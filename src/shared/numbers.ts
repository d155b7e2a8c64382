/**
 * Whole numbers and timestamps as people type them, checked exactly: one
 * rule for the CLI's flags and the sandbox's request checks. JavaScript
 * numbers lose whole numbers past 2^53 − 1 (9007199254740993 reads as
 * …992, 1e23 is not an amount), so nothing larger is accepted.
 */

/** The largest amount, quantity or count accepted anywhere: 2^53 − 1. */
export const MAX_WHOLE = Number.MAX_SAFE_INTEGER

/** Digits only, as a safe integer; undefined for anything else (signs, decimals, exponents, too large). */
export function parseWhole(text: string): number | undefined {
  const value = text.trim()
  if (!/^\d{1,16}$/.test(value)) return undefined
  const number = Number(value)
  return Number.isSafeInteger(number) ? number : undefined
}

export function isWhole(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value)
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i

/**
 * `--paid-on`-style input: Unix seconds (digits), or an ISO-8601 date or date
 * and time (`2026-11-22`, `2026-11-22T10:00:00Z`, `…+04:00`); the Unix seconds,
 * or undefined. `-5`, `1/2`, `x 2020` and impossible dates (`2026-02-30`) are not times.
 */
export function parseTimestamp(text: string): number | undefined {
  const value = text.trim()
  if (/^\d+$/.test(value)) {
    const seconds = parseWhole(value)
    // Up to the year 9999: a larger number is a typo (or milliseconds).
    return seconds !== undefined && seconds <= 253_402_300_799 ? seconds : undefined
  }
  const match = ISO_DATE.exec(value)
  if (!match) return undefined
  const [, year, month, day, hour = '00', minute = '00', second = '00'] = match
  if (Number(month) < 1 || Number(month) > 12 || Number(day) < 1 || Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) return undefined
  const daysInMonth = new Date(Date.UTC(Number(year), Number(month), 0)).getUTCDate()
  if (Number(day) > daysInMonth) return undefined
  // A date and time without a zone is UTC, as a date alone is in ECMAScript.
  const ms = Date.parse(match[7] || !match[4] ? value.replace(' ', 'T') : `${value.replace(' ', 'T')}Z`)
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000)
}

const BYTE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1024,
  kib: 1024,
  k: 1024,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  m: 1024 ** 2,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  g: 1024 ** 3,
}

/** Sizes as people type them: `1048576`, `512kb`, `1mb`, `1MiB` (binary units: 1 kb = 1024 bytes); the bytes, or undefined. */
export function parseBytes(text: string): number | undefined {
  const match = /^(\d{1,12}(?:\.\d{1,6})?)\s*([a-z]{0,3})$/i.exec(text.trim())
  if (!match) return undefined
  const unit = BYTE_UNITS[(match[2] || 'b').toLowerCase()]
  if (unit === undefined) return undefined
  const bytes = Math.round(Number(match[1]) * unit)
  return Number.isSafeInteger(bytes) ? bytes : undefined
}

/** The p-th percentile (nearest rank) of values sorted ascending; null for none. */
export function percentile(sorted: readonly number[], p: number): number | null {
  return sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}
