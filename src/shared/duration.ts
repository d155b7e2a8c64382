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
