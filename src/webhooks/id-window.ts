/**
 * The event ids received within the de-duplication window (72 hours), held
 * as 64-bit digests in typed arrays rather than strings in a Map: 16 bytes an
 * id in insertion order plus two 4-byte slots of an open-addressing table
 * (at most half full), in arrays sized by powers of two, against ~108 bytes
 * for a 40-character id and its time in a Map. 200,000 ids (the spool's cap)
 * take 6.2 MB where the Map took 20.7 MB (test/webhooks/id-window.test.ts).
 *
 * A digest is the first 64 bits of the id's SHA-1 (0.8 µs): two ids collide
 * with odds of about 1 in 10^9 across 200,000, and ids are the gateway's own
 * random UUIDs, so no sender picks one that collides with an event to come.
 * The spool writes digests (16 hex digits), never the ids, for the window.
 */
import {hash} from 'node:crypto'

/** The digest of an id as the spool writes it: 16 hex digits. */
export function idDigest(id: string): string {
  return hash('sha1', id).slice(0, 16)
}

export const DIGEST = /^[0-9a-f]{16}$/

/** The window's entries at one moment, oldest first (a NaN time: an entry deleted). */
export interface IdSnapshot {
  readonly hi: Uint32Array
  readonly lo: Uint32Array
  readonly times: Float64Array
}

const HEX = Array.from({length: 256}, (_, byte) => byte.toString(16).padStart(2, '0'))

/**
 * By a table of bytes: `toString(16)` on a 32-bit half above 2^30 (most of
 * them: not a small integer to V8) takes its slow path for doubles, and a
 * compaction writes every digest of the window (100,000 ids: 0.81 → 0.28 µs
 * each with its JSON, ~50 ms a compaction).
 */
function digestOf(hi: number, lo: number): string {
  return (
    HEX[hi >>> 24] +
    HEX[(hi >>> 16) & 255] +
    HEX[(hi >>> 8) & 255] +
    HEX[hi & 255] +
    HEX[lo >>> 24] +
    HEX[(lo >>> 16) & 255] +
    HEX[(lo >>> 8) & 255] +
    HEX[lo & 255]
  )
}

/** The snapshot's entries in [from, to), as [digest, time]. */
export function* snapshotEntries(snapshot: IdSnapshot, from: number, to: number): Generator<[digest: string, at: number]> {
  for (let index = from; index < Math.min(to, snapshot.times.length); index++)
    if (!Number.isNaN(snapshot.times[index])) yield [digestOf(snapshot.hi[index], snapshot.lo[index]), snapshot.times[index]]
}

export class IdWindow {
  /** Entries in insertion order, [head, tail): digest halves and the time received (NaN: deleted). */
  private hi = new Uint32Array(1024)
  private lo = new Uint32Array(1024)
  private times = new Float64Array(1024)
  private head = 0
  private tail = 0
  /** Open addressing, linear probing: entry index + 1 per slot, 0 empty; never more than half full. */
  private table = new Int32Array(2048)
  private live = 0

  get size(): number {
    return this.live
  }

  has(id: string): boolean {
    return this.slotOf(idDigest(id)) >= 0
  }

  /** When the id was received, if it is in the window. */
  at(id: string): number | undefined {
    const slot = this.slotOf(idDigest(id))
    return slot < 0 ? undefined : this.times[this.table[slot] - 1]
  }

  /** Adds an id as the newest (moved there, with this time, when it was in already). */
  add(id: string, at: number): void {
    this.addDigest(idDigest(id), at)
  }

  addDigest(digest: string, at: number): void {
    const slot = this.slotOf(digest)
    if (slot >= 0) this.removeSlot(slot)
    if (this.tail === this.times.length) this.repack()
    const index = this.tail++
    this.hi[index] = Number.parseInt(digest.slice(0, 8), 16)
    this.lo[index] = Number.parseInt(digest.slice(8, 16), 16)
    this.times[index] = at
    this.insert(index)
    this.live++
  }

  delete(id: string): void {
    const slot = this.slotOf(idDigest(id))
    if (slot >= 0) this.removeSlot(slot)
  }

  /** Digests and times, oldest first. */
  entries(): Generator<[digest: string, at: number]> {
    return snapshotEntries(this.snapshot(), 0, Number.POSITIVE_INFINITY)
  }

  /** A copy of the entries now (a few MB at most, copied in about a millisecond), read later while the window changes. */
  snapshot(): IdSnapshot {
    const {head, tail} = this
    return {hi: this.hi.slice(head, tail), lo: this.lo.slice(head, tail), times: this.times.slice(head, tail)}
  }

  /**
   * Lets go of the oldest ids while they are older than `before` or more than
   * `max` are held; one `keep` says to keep is moved to the newest end with
   * its time (an event still held must stay recognisable).
   */
  trim(before: number, max: number, keep: (digest: string) => boolean): void {
    for (let turns = this.live; turns > 0 && this.live > 0; turns--) {
      while (Number.isNaN(this.times[this.head])) this.head++
      const at = this.times[this.head]
      if (at >= before && this.live <= max) return
      const digest = this.digestAt(this.head)
      this.removeSlot(this.slotOf(digest))
      if (keep(digest)) this.addDigest(digest, at)
    }
  }

  private digestAt(index: number): string {
    return digestOf(this.hi[index], this.lo[index])
  }

  private slotOf(digest: string): number {
    const hi = Number.parseInt(digest.slice(0, 8), 16)
    const lo = Number.parseInt(digest.slice(8, 16), 16)
    const mask = this.table.length - 1
    for (let slot = lo & mask; ; slot = (slot + 1) & mask) {
      const entry = this.table[slot]
      if (entry === 0) return -1
      if (this.lo[entry - 1] === lo && this.hi[entry - 1] === hi) return slot
    }
  }

  private insert(index: number): void {
    const mask = this.table.length - 1
    let slot = this.lo[index] & mask
    while (this.table[slot] !== 0) slot = (slot + 1) & mask
    this.table[slot] = index + 1
  }

  /** Empties a slot, shifting the probe run after it back (no tombstones), and marks its entry deleted. */
  private removeSlot(slot: number): void {
    this.times[this.table[slot] - 1] = Number.NaN
    this.live--
    const mask = this.table.length - 1
    let hole = slot
    for (let next = (hole + 1) & mask; this.table[next] !== 0; next = (next + 1) & mask) {
      const home = this.lo[this.table[next] - 1] & mask
      // The entry at `next` may fill the hole when its home slot is not cyclically within (hole, next].
      if (((next - home) & mask) >= ((next - hole) & mask)) {
        this.table[hole] = this.table[next]
        hole = next
      }
    }
    this.table[hole] = 0
  }

  /** At the end of the arrays: the live entries moved to the front, into arrays twice as large when over half are live. */
  private repack(): void {
    const capacity = this.live * 2 > this.times.length ? this.times.length * 2 : this.times.length
    const hi = new Uint32Array(capacity)
    const lo = new Uint32Array(capacity)
    const times = new Float64Array(capacity)
    let count = 0
    for (let index = this.head; index < this.tail; index++) {
      if (Number.isNaN(this.times[index])) continue
      hi[count] = this.hi[index]
      lo[count] = this.lo[index]
      times[count++] = this.times[index]
    }
    Object.assign(this, {hi, lo, times, head: 0, tail: count, table: new Int32Array(capacity * 2)})
    for (let index = 0; index < count; index++) this.insert(index)
  }
}
