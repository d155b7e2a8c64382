/**
 * The one way tests wait: for a condition they can check (a line printed, a
 * file written, a count reached), polled until it holds or a deadline
 * passes. Never a bare sleep: a sleep is too short on a loaded CI machine
 * and too long everywhere else (test/cli/conventions.test.ts keeps it so).
 */

/** How often a condition is looked at. */
const INTERVAL_MS = 20

/**
 * Resolves with the first truthy value `check` returns; throws naming `what`
 * after `timeoutMs` (a failed test, not a hang).
 */
export async function until<T>(
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await pause(INTERVAL_MS)
  }
}

/** The pause between two looks; nothing else in the tests waits on time. */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** A random moment up to `maxMs` away, for chaos tests that kill a process at an unplanned point: never to wait for something. */
export function jitter(maxMs: number): Promise<void> {
  return pause(Math.floor(Math.random() * maxMs))
}

/** `read()` taken `count` times, `intervalMs` apart: a measurement over time (a process's RSS under load), not a wait for an event. */
export async function samples<T>(read: () => T, count: number, intervalMs: number): Promise<T[]> {
  const taken: T[] = []
  for (let index = 0; index < count; index++) {
    await pause(intervalMs)
    taken.push(read())
  }
  return taken
}
