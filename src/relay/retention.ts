/**
 * Retention: entries older than --retention are trimmed, often enough that
 * nothing outlives it by more than a quarter of it (at most a minute late),
 * and never on a wall clock that just jumped.
 */
import type {Clock} from '../shared/clock.js'
import type {RelayLogLine} from './server.js'
import type {RelayStore} from './store.js'

/** A wall clock moving this much more (or less) than the time that passed is a jump, not a drift (NTP slews at 0.5 ms/s). */
export const CLOCK_JUMP_MS = 60_000
/** How long trimming waits after a jump: time for a mistaken clock to be put right before any entry is judged by it. */
export const TRIM_PAUSE_MS = 10 * 60_000

export class Retention {
  private lastWall: number
  private lastElapsed: number
  private pausedUntil = 0
  private stopTimer?: () => void

  constructor(
    private readonly store: RelayStore,
    private readonly options: {retentionMs: number; clock: Clock; log?: (line: RelayLogLine) => void},
  ) {
    this.lastWall = options.clock.now()
    this.lastElapsed = options.clock.elapsed()
  }

  /** How often trimming runs: a quarter of the retention, between 250 ms and a minute. */
  get intervalMs(): number {
    return Math.min(60_000, Math.max(250, this.options.retentionMs / 4))
  }

  /** Trims once now, then every intervalMs until stop(). */
  async start(): Promise<void> {
    await this.trimAll()
    this.stopTimer = this.options.clock.every(() => void this.trimAll().catch(() => {}), this.intervalMs)
  }

  stop(): void {
    this.stopTimer?.()
  }

  /**
   * One pass over every channel. A wall clock that moved more than the time
   * that passed (an NTP step, a VM restored, a bad RTC) pauses trimming for
   * TRIM_PAUSE_MS: entries would look days old that are not, and be trimmed unread.
   */
  async trimAll(): Promise<void> {
    const {clock, log, retentionMs} = this.options
    const wall = clock.now()
    const elapsed = clock.elapsed()
    const jumpedMs = wall - this.lastWall - (elapsed - this.lastElapsed)
    this.lastWall = wall
    this.lastElapsed = elapsed
    if (Math.abs(jumpedMs) > CLOCK_JUMP_MS) {
      this.pausedUntil = elapsed + TRIM_PAUSE_MS
      log?.({type: 'clock-jump', jumped_s: Math.round(jumpedMs / 1000), trims_paused_s: TRIM_PAUSE_MS / 1000})
    }
    if (elapsed < this.pausedUntil) return
    for (const channel of await this.store.listChannels()) {
      const entries = await this.store.trim(channel.name, clock.now() - retentionMs)
      if (entries > 0) log?.({type: 'trimmed', channel: channel.name, entries})
    }
  }
}
