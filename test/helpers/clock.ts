/**
 * A clock tests move (src/shared/clock.ts): `advance()` runs what falls due,
 * in order; `jump()` moves the wall clock alone, as an NTP step or a restored
 * VM does.
 */
import type {Clock} from '../../src/shared/clock.js'

interface Timer {
  at: number
  fn: () => void
  every?: number
}

export class ManualClock implements Clock {
  private wall: number
  private mono = 0
  private readonly timers = new Set<Timer>()

  constructor(start = Date.UTC(2026, 11, 3, 12)) {
    this.wall = start
  }

  now(): number {
    return this.wall
  }

  elapsed(): number {
    return this.mono
  }

  timeout(fn: () => void, ms: number): () => void {
    const timer = {at: this.mono + ms, fn}
    this.timers.add(timer)
    return () => this.timers.delete(timer)
  }

  every(fn: () => void, ms: number): () => void {
    const timer = {at: this.mono + ms, fn, every: ms}
    this.timers.add(timer)
    return () => this.timers.delete(timer)
  }

  /** Moves both clocks forward by `ms`, running each timer as it falls due (awaiting what it started). */
  async advance(ms: number): Promise<void> {
    const end = this.mono + ms
    for (;;) {
      const due = [...this.timers].filter((timer) => timer.at <= end).sort((a, b) => a.at - b.at)[0]
      if (!due) break
      this.wall += due.at - this.mono
      this.mono = due.at
      if (due.every) due.at += due.every
      else this.timers.delete(due)
      due.fn()
      // What the timer started (a trim, a retry) runs to its next await point before time moves on.
      await new Promise<void>((resolve) => setImmediate(resolve))
    }
    this.wall += end - this.mono
    this.mono = end
  }

  /** The wall clock alone moves (an NTP step, a restored snapshot): elapsed time does not. */
  jump(ms: number): void {
    this.wall += ms
  }
}
