/** A spinner and a progress bar on stderr, for a person watching a terminal; silent otherwise. */
import {truncateTo} from '../shared/terminal-text.js'

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

export interface Indicator {
  update(text: string): void
  stop(finalLine?: string): void
}

const silent: Indicator = {update() {}, stop() {}}

/**
 * Redraws the one status line: cut to the terminal's width, since a line that
 * wraps leaves a row behind at every redraw (`\r` returns to the start of the
 * last row only).
 */
function line(text: string): void {
  process.stderr.write(`\r\u001B[2K${fit(text)}`)
}

/** One column short of the width: a line exactly as wide as the terminal wraps on some terminals. */
function fit(text: string): string {
  const columns = process.stderr.columns
  return columns ? truncateTo(text, Math.max(2, columns - 1)) : text
}

/** A terminal that cannot redraw a line (TERM=dumb) gets each new status once, on a line of its own, and no animation. */
function animated(): boolean {
  return process.env.TERM !== 'dumb'
}

export function spinner(text: string, enabled: boolean): Indicator {
  if (!enabled) return silent
  if (!animated()) {
    let last = text
    process.stderr.write(`${text}\n`)
    return {
      update(next) {
        if (next !== last) process.stderr.write(`${next}\n`)
        last = next
      },
      stop(finalLine) {
        if (finalLine) process.stderr.write(`${finalLine}\n`)
      },
    }
  }
  let frame = 0
  let current = text
  const timer = setInterval(() => line(`${FRAMES[frame++ % FRAMES.length]} ${current}`), 80)
  return {
    update(next) {
      current = next
    },
    stop(finalLine) {
      clearInterval(timer)
      line(finalLine ? `${finalLine}\n` : '')
    },
  }
}

/** `[██████░░░░]  60%  1.2 MB / 2.0 MB`; without a known total, the bytes so far. */
export function progressBar(enabled: boolean): {tick(received: number, total: number | undefined): void; stop(): void} {
  if (!enabled || !animated()) return {tick() {}, stop() {}}
  const size = (bytes: number) =>
    bytes >= 1_048_576 ? `${(bytes / 1_048_576).toFixed(1)} MB` : bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} kB` : `${bytes} B`
  return {
    tick(received, total) {
      if (total === undefined) return line(`Downloading… ${size(received)}`)
      const done = Math.round((received / total) * 20)
      line(
        `[${'█'.repeat(done)}${'░'.repeat(20 - done)}] ${String(Math.round((received / total) * 100)).padStart(3)}%  ${size(received)} / ${size(total)}`,
      )
    },
    stop() {
      line('')
    },
  }
}
