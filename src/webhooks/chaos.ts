/**
 * `listen --chaos SPEC [--seed N]`: deliver as a real, imperfect network
 * would, to prove the app copes. The forwarder asks this for each event:
 *
 *   duplicate=P  the same delivery again later (after the next event): the app must answer 2xx
 *   reorder=P    hold an event back behind the next one
 *   delay=A-B    wait a random time in [A, B] before forwarding
 *   stale=P      an extra copy whose created_on is 11 minutes old (genuinely
 *                signed by the sandbox, a new event id): the app must refuse it
 *   badsig=P     an extra copy with a broken signature: the app must refuse it
 *
 * Decisions come from a seeded generator, so a run can be repeated exactly
 * (`--seed`). Extra copies are never spooled: they are the network's doing,
 * and their answers are tallied here, per kind, for the summary at exit.
 */
import {UsageError} from '../shared/errors.js'
import {parseDuration} from '../shared/duration.js'
import {STALE_AFTER_S} from './pipeline.js'

export const CHAOS_KINDS = ['duplicate', 'reorder', 'delay', 'stale', 'badsig'] as const
export type ChaosKind = (typeof CHAOS_KINDS)[number]

export interface ChaosSpec {
  duplicate: number
  reorder: number
  stale: number
  badsig: number
  /** [min, max] ms. */
  delay?: [number, number]
}

/** `duplicate=0.1,reorder=0.2,delay=0-5s,stale=0.05,badsig=0.02`; each part optional. */
export function parseChaos(text: string): ChaosSpec {
  const spec: ChaosSpec = {duplicate: 0, reorder: 0, stale: 0, badsig: 0}
  const wrong = (why: string) => new UsageError(`--chaos: ${why}`, 'E.g. --chaos duplicate=0.1,reorder=0.2,delay=0-5s,stale=0.05,badsig=0.02')
  for (const part of text.split(',').map((each) => each.trim())) {
    const [name, value] = part.split('=')
    if (!(CHAOS_KINDS as readonly string[]).includes(name) || value === undefined)
      throw wrong(`"${part}" is not one of ${CHAOS_KINDS.join(', ')} with a value`)
    if (name === 'delay') {
      const [low, high = low] = value.split('-')
      const unit = /[a-z]+$/.exec(high)?.[0] ?? 's'
      const min = parseDuration(/[a-z]$/.test(low) ? low : `${low}${unit}`)
      const max = parseDuration(high)
      if (min === undefined || max === undefined || min > max || max > 60_000)
        throw wrong(`delay "${value}" is not a range such as 0-5s (at most 60s)`)
      spec.delay = [min, max]
      continue
    }
    const probability = Number(value)
    if (!(probability >= 0 && probability <= 1)) throw wrong(`${name}=${value}: give a probability from 0 to 1`)
    spec[name as Exclude<ChaosKind, 'delay'>] = probability
  }
  return spec
}

/** What the app answered to one kind of chaos. */
export interface ChaosTally {
  injected: number
  /** Answered 2xx. */
  accepted: number
  /** Answered 4xx. */
  refused: number
  /** Answered 5xx or anything else, or not at all. */
  other: number
}

export interface ChaosSummary {
  seed: number
  kinds: Record<ChaosKind, ChaosTally>
  /** What the app must never do, by name: accept a bad signature or a stale event; answer a duplicate with other than 2xx. */
  called_out: string[]
}

/** mulberry32: small, fast, and the same sequence for the same seed on every platform. */
function generator(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

export interface ChaosCopy {
  kind: 'duplicate' | 'stale' | 'badsig'
  body: Buffer
  headers: Record<string, string>
}

export class Chaos {
  private readonly random: () => number
  private readonly tallies = Object.fromEntries(CHAOS_KINDS.map((kind) => [kind, {injected: 0, accepted: 0, refused: 0, other: 0}])) as Record<
    ChaosKind,
    ChaosTally
  >
  private readonly calledOut: string[] = []
  private readonly held = new Set<number>()
  private readonly rolled = new Set<number>()

  constructor(
    private readonly spec: ChaosSpec,
    readonly seed: number,
    /** The sandbox's signature for a body (the stale copies); undefined: stale is refused at start. */
    private readonly sign?: (body: string) => Promise<Record<string, string>>,
  ) {
    this.random = generator(seed)
  }

  private roll(probability: number): boolean {
    return probability > 0 && this.random() < probability
  }

  /**
   * Whether to hold this event back behind the next: rolled once per event
   * whether or not another is waiting (so the choices that follow stay those
   * of the seed), and taken only when one is.
   */
  reorder(seq: number, another: boolean): boolean {
    if (this.rolled.has(seq)) return false
    this.rolled.add(seq)
    if (!this.roll(this.spec.reorder) || !another) return false
    this.held.add(seq)
    this.tallies.reorder.injected++
    return true
  }

  /** Whether this event was held back behind the next. */
  reordered(seq: number): boolean {
    return this.held.has(seq)
  }

  /** The event is done with: its marks are let go (memory stays flat over a long run). */
  forget(seq: number): void {
    this.rolled.delete(seq)
    this.held.delete(seq)
  }

  /** How long to wait before forwarding this event. */
  delayMs(): number {
    if (!this.spec.delay) return 0
    const [min, max] = this.spec.delay
    this.tallies.delay.injected++
    return Math.round(min + this.random() * (max - min))
  }

  /** The extra copies to send after the event was acknowledged: a duplicate (later), a stale copy, a bad signature. */
  async copies(body: Buffer, headers: Record<string, string>): Promise<ChaosCopy[]> {
    const copies: ChaosCopy[] = []
    if (this.roll(this.spec.duplicate)) copies.push({kind: 'duplicate', body, headers})
    if (this.roll(this.spec.stale) && this.sign) {
      const event = JSON.parse(body.toString('utf8')) as {id?: string; created_on?: number}
      const stale = JSON.stringify({...event, id: `${event.id}-stale`, created_on: Math.floor(Date.now() / 1000) - STALE_AFTER_S - 60})
      copies.push({kind: 'stale', body: Buffer.from(stale), headers: {...headers, ...(await this.sign(stale))}})
    }
    if (this.roll(this.spec.badsig)) copies.push({kind: 'badsig', body, headers: {...headers, 'x-signature': broken(headers['x-signature'] ?? '')}})
    return copies
  }

  /** What the app answered to a copy, or to a reordered or delayed event. */
  record(kind: ChaosKind, eventId: string, status: number | undefined): void {
    const tally = this.tallies[kind]
    if (kind === 'duplicate' || kind === 'stale' || kind === 'badsig') tally.injected++
    const answered = status === undefined ? 'other' : status >= 200 && status < 300 ? 'accepted' : status >= 400 && status < 500 ? 'refused' : 'other'
    tally[answered]++
    if ((kind === 'badsig' || kind === 'stale') && answered === 'accepted')
      this.calledOut.push(`${kind === 'badsig' ? 'accepted a bad signature' : 'accepted a stale event'}: ${eventId}`)
    if (kind === 'duplicate' && answered !== 'accepted') this.calledOut.push(`answered a duplicate with ${status ?? 'no answer'}: ${eventId}`)
  }

  summary(): ChaosSummary {
    return {seed: this.seed, kinds: structuredClone(this.tallies), called_out: [...this.calledOut]}
  }

  /** The app accepted what it must refuse (a duplicate answered badly only warns: the gateway retries, nothing is forged). */
  failed(): boolean {
    return this.calledOut.some((line) => line.startsWith('accepted'))
  }
}

/** A signature that no longer verifies: one byte of it flipped. */
function broken(signature: string): string {
  const bytes = Buffer.from(signature, 'base64')
  if (bytes.length === 0) return 'AAAA'
  bytes[bytes.length >> 1] ^= 0xff
  return bytes.toString('base64')
}
