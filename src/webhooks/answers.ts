/**
 * What the app answered to each forward of an event: status, headers, the
 * first 64 KiB of its body, duration, and the retry that followed. Kept with
 * the event in the spool (an `a` line per attempt, or inside the event's
 * outcome line), shown by `webhooks events show`, `events list --json` and
 * the inspector.
 *
 * Bounded three ways, so however many events pass and however large the
 * app's answers, memory and the spool stay flat: 64 KiB of body per answer,
 * the last 20 attempts per event (an endless retry loop keeps its newest),
 * and 16 MiB of answer bodies across every event kept, the oldest bodies
 * dropped first (their status, headers and timing stay).
 */

/** The first bytes of an app's answer kept (an error page is rarely longer; a 1 GB answer is not kept). */
export const ANSWER_BODY_BYTES = 64 * 1024
/** Attempts kept per event: with unlimited retries an event can make thousands. */
export const ATTEMPTS_KEPT = 20
/** Answer bodies kept across every event in memory: 256 full-size answers. */
export const ANSWER_BUDGET_BYTES = 16 * 1024 * 1024
/** An app's response headers kept per answer (undici refuses more than 16 KiB of headers anyway). */
const ANSWER_HEADER_BYTES = 16 * 1024

export interface Attempt {
  /** 1 for the first forward; a replay continues the count. */
  n: number
  /** When the forward started (ms since the epoch). */
  at: number
  durationMs: number
  status?: number
  headers?: Record<string, string>
  /** The first ANSWER_BODY_BYTES of the answer; undefined when there was none, or once dropped for the budget. */
  body?: Buffer
  /** The answer went on past the bytes kept (it was not read further). */
  truncated?: boolean
  /** The answer's whole length, when known and longer than `body` (Content-Length, or a body dropped for the budget). */
  bodyBytes?: number
  /** The body was let go to stay within the budget. */
  dropped?: boolean
  error?: string
  /** The wait before the next attempt, when one followed. */
  retryInMs?: number
  /** Sent by a replay (`events resend`, the inspector), outside the queue. */
  replay?: boolean
}

/** An attempt as a spool line stores it. */
export interface AttemptLine {
  n: number
  at: number
  ms: number
  c?: number
  h?: Record<string, string>
  b?: string
  bn?: number
  t?: 1
  x?: 1
  err?: string
  r?: number
  rp?: 1
}

/** Properties set one by one, in this order, rather than spread from conditional objects: one per forward. */
export function attemptLine(attempt: Attempt): AttemptLine {
  const line: AttemptLine = {n: attempt.n, at: attempt.at, ms: Math.round(attempt.durationMs)}
  if (attempt.status !== undefined) line.c = attempt.status
  if (attempt.headers) line.h = attempt.headers
  if (attempt.body) line.b = attempt.body.toString('base64')
  if (attempt.bodyBytes !== undefined) line.bn = attempt.bodyBytes
  if (attempt.truncated) line.t = 1
  if (attempt.dropped) line.x = 1
  if (attempt.error !== undefined) line.err = attempt.error
  if (attempt.retryInMs !== undefined) line.r = attempt.retryInMs
  if (attempt.replay) line.rp = 1
  return line
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/
const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0
const isStatus = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 100 && (value as number) <= 999
const absentOr = (value: unknown, check: (value: unknown) => boolean) => value === undefined || check(value)
const isHeaders = (value: unknown) =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((item) => typeof item === 'string')

/** A stored attempt, or undefined when the value is not one the spool writes (a damaged line). */
export function parseAttempt(value: unknown): Attempt | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const line = value as Record<string, unknown>
  const ok =
    isCount(line.n) &&
    line.n > 0 &&
    Number.isFinite(line.at) &&
    isCount(line.ms) &&
    absentOr(line.c, isStatus) &&
    absentOr(line.h, isHeaders) &&
    absentOr(line.b, (b) => typeof b === 'string' && BASE64.test(b) && (b.length * 3) / 4 <= ANSWER_BODY_BYTES + 2) &&
    absentOr(line.bn, isCount) &&
    absentOr(line.t, (t) => t === 1) &&
    absentOr(line.x, (x) => x === 1) &&
    absentOr(line.err, (err) => typeof err === 'string') &&
    absentOr(line.r, isCount) &&
    absentOr(line.rp, (rp) => rp === 1)
  if (!ok) return undefined
  const typed = line as unknown as AttemptLine
  return {
    n: typed.n,
    at: typed.at,
    durationMs: typed.ms,
    status: typed.c,
    headers: typed.h,
    body: typed.b === undefined ? undefined : Buffer.from(typed.b, 'base64'),
    bodyBytes: typed.bn,
    truncated: typed.t === 1 || undefined,
    dropped: typed.x === 1 || undefined,
    error: typed.err,
    retryInMs: typed.r,
    replay: typed.rp === 1 || undefined,
  }
}

/** An app's response headers as kept: lower-case names, repeated ones joined, the whole bounded. */
export function keptHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const kept: Record<string, string> = {}
  let bytes = 0
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    const text = Array.isArray(value) ? value.join(', ') : value
    bytes += name.length + text.length
    if (bytes > ANSWER_HEADER_BYTES) break
    kept[name.toLowerCase()] = text
  }
  return kept
}

/**
 * The answer bodies held in memory, oldest first: adding one past the budget
 * drops the oldest bodies (kept as `dropped`), and an event let go returns its
 * bytes.
 */
export class AnswerBudget {
  /** Attempts holding a body → its bytes, in the order added (a Map: letting one go is O(1)). */
  private readonly held = new Map<Attempt, number>()
  private total = 0

  constructor(private readonly limit = ANSWER_BUDGET_BYTES) {}

  /** Adds an attempt to an event's list: the oldest beyond ATTEMPTS_KEPT leave it, and bodies beyond the budget are dropped. */
  add(attempts: Attempt[], attempt: Attempt): void {
    attempts.push(attempt)
    while (attempts.length > ATTEMPTS_KEPT) this.release(attempts.shift()!)
    if (!attempt.body) return
    this.held.set(attempt, attempt.body.length)
    this.total += attempt.body.length
    for (const [oldest, bytes] of this.held) {
      if (this.total <= this.limit) break
      this.held.delete(oldest)
      this.total -= bytes
      oldest.bodyBytes ??= bytes
      oldest.body = undefined
      oldest.dropped = true
    }
  }

  /** An attempt let go (its event compacted away, or beyond the per-event count): its bytes no longer count. */
  release(attempt: Attempt): void {
    const bytes = this.held.get(attempt)
    if (bytes === undefined) return
    this.total -= bytes
    this.held.delete(attempt)
  }

  /** Bytes of answer bodies held now. */
  bytes(): number {
    return this.total
  }
}
