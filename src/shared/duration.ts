/** Durations as people type them, for the CLI and the sandbox alike. */

/** Durations for `advance`: `90`, `90s`, `15m`, `12h`, `30d`, `1w`. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?$/.exec(text.trim())
  if (!match) return undefined
  const units: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000}
  const unit = units[match[2] ?? 's']
  return Math.round(Number(match[1]) * unit)
}

/** A duration for people: `850 ms`, `12.5 s`, `3 min`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 120_000) return `${Number((ms / 1000).toFixed(1))} s`
  return `${Number((ms / 60_000).toFixed(1))} min`
}

const AGO_UNITS: ReadonlyArray<readonly [name: string, seconds: number]> = [
  ['year', 31_536_000],
  ['month', 2_592_000],
  ['day', 86_400],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
]

/**
 * How long ago (or ahead) a Unix time is, for a person: `just now` within
 * 10 s, else the largest whole unit, `3 minutes ago`, `in 2 days`.
 */
export function relativeTime(seconds: number, nowMs: number): string {
  const delta = Math.round(nowMs / 1000 - seconds)
  if (Math.abs(delta) < 10) return 'just now'
  const [name, size] = AGO_UNITS.find(([, unit]) => Math.abs(delta) >= unit)!
  const count = Math.floor(Math.abs(delta) / size)
  const amount = `${count} ${name}${count === 1 ? '' : 's'}`
  return delta > 0 ? `${amount} ago` : `in ${amount}`
}
