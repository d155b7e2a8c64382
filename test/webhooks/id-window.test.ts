/**
 * The de-duplication window as digests: the same answers as a Map of ids
 * under any mix of adds, re-adds, deletes and trims (checked against one),
 * and a fraction of a Map's memory.
 */
import {spawnSync} from 'node:child_process'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {IdWindow, idDigest} from '../../src/webhooks/id-window.js'
import {ROOT} from '../helpers/cli.js'

/** A small deterministic generator (mulberry32): the same operations every run. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

describe('IdWindow', () => {
  it('answers as a Map of ids does through 60,000 adds, re-adds, deletes and trims', () => {
    const next = random(7)
    const window = new IdWindow()
    const model = new Map<string, number>()
    let now = 0
    for (let step = 0; step < 60_000; step++) {
      now += 1
      const id = `evt-${Math.floor(next() * 5000)}`
      const roll = next()
      if (roll < 0.6) {
        window.add(id, now)
        model.delete(id)
        model.set(id, now)
      } else if (roll < 0.8) {
        window.delete(id)
        model.delete(id)
      } else if (roll < 0.801) {
        // Older than 2,000 steps, or beyond 1,500 held; ids ending in 7 kept (moved to the newest end).
        const keep = new Set([...model.keys()].filter((each) => each.endsWith('7')).map(idDigest))
        window.trim(now - 2000, 1500, (digest) => keep.has(digest))
        let turns = model.size
        for (const [each, at] of [...model]) {
          if (turns-- <= 0 || (at >= now - 2000 && model.size <= 1500)) break
          model.delete(each)
          if (each.endsWith('7')) model.set(each, at)
        }
      }
      expect(window.has(id)).toBe(model.has(id))
      expect(window.at(id)).toBe(model.get(id))
      if (step % 5000 === 0) {
        expect(window.size).toBe(model.size)
        expect([...window.entries()]).toEqual([...model].map(([each, at]) => [idDigest(each), at]))
      }
    }
    expect(window.size).toBe(model.size)
    expect([...window.entries()]).toEqual([...model].map(([each, at]) => [idDigest(each), at]))
  })

  it('holds 200,000 ids in under 7 MB where a Map of them takes over 15 MB', () => {
    // In a child with --expose-gc, so what is measured is what stays live.
    const script = `
      const {IdWindow} = await import(${JSON.stringify(join(ROOT, 'dist', 'webhooks', 'id-window.js'))})
      const used = () => { gc(); gc(); const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers }
      const measure = (make) => { const before = used(); const kept = make(); const after = used(); kept.size; return (after - before) / 1048576 }
      // Flat strings, as JSON.parse gives the spool (a concatenation would be a larger cons string).
      const ids = (n) => Array.from({length: n}, () => Buffer.from('evt-' + crypto.randomUUID()).toString())
      const windowMb = measure(() => { const w = new IdWindow(); for (const id of ids(200000)) w.add(id, Date.now()); return w })
      const mapMb = measure(() => { const m = new Map(); for (const id of ids(200000)) m.set(id, Date.now()); return m })
      console.log(JSON.stringify({windowMb, mapMb}))`
    const result = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], {encoding: 'utf8'})
    expect(result.stderr).toBe('')
    const {windowMb, mapMb} = JSON.parse(result.stdout) as {windowMb: number; mapMb: number}
    expect(windowMb).toBeLessThan(7)
    expect(mapMb).toBeGreaterThan(15)
  })
})
