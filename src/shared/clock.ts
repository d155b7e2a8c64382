/**
 * Time as the servers and the listener read it, injected so tests move it
 * (test/helpers/clock.ts) instead of waiting on the wall clock; and the one
 * interruptible sleep.
 */

export interface Clock {
  /** Wall time, ms since the epoch: what entries are stamped and judged by. */
  now(): number
  /** Elapsed time, ms from an arbitrary start; never jumps (performance.now()). */
  elapsed(): number
  /** Calls `fn` once after `ms`; the returned function cancels it. */
  timeout(fn: () => void, ms: number): () => void
  /** Calls `fn` every `ms` until the returned function is called; never keeps the process alive. */
  every(fn: () => void, ms: number): () => void
}

export const systemClock: Clock = {
  now: () => Date.now(),
  elapsed: () => performance.now(),
  timeout(fn, ms) {
    const timer = setTimeout(fn, ms)
    return () => clearTimeout(timer)
  },
  every(fn, ms) {
    const timer = setInterval(fn, ms)
    timer.unref()
    return () => clearInterval(timer)
  },
}

/**
 * Sleeps that one call ends: a backoff or a pause that stop() or close()
 * must cut short (the caller then sees it is stopping and does not go on).
 */
export class Sleeps {
  private readonly pending = new Set<() => void>()
  private ended = false

  constructor(private readonly clock: Clock = systemClock) {}

  get stopped(): boolean {
    return this.ended
  }

  /** Resolves after `ms`, or at once when stopped. */
  sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.ended) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => {
        cancel()
        this.pending.delete(done)
        resolve()
      }
      const cancel = this.clock.timeout(done, ms)
      this.pending.add(done)
    })
  }

  /** Ends every sleep under way, and makes every later one return at once. */
  stop(): void {
    this.ended = true
    for (const done of [...this.pending]) done()
  }
}
