import {mkdtempSync, readFileSync, readdirSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'

import {writeJsonAtomic, writeJsonInPieces} from '../../src/shared/atomic-file.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
})

function pieces(value: unknown, depth: number, piece: number): string[] {
  const written: string[] = []
  writeJsonInPieces(value, depth, piece, (text) => written.push(text))
  return written
}

/** Every case JSON.stringify treats specially, at each level the walk goes through. */
const tricky = {
  version: 1,
  accounts: Object.assign(Object.create(null) as Record<string, unknown>, {
    'acc-1': {
      purchases: {'p-1': {id: 'p-1', total: 2999, note: 'quote " and \\ and \u2028 and é'}, 'p-2': {id: 'p-2', gone: undefined}},
      deliveries: [1, undefined, () => 1, Symbol('s'), null, {at: new Date(Date.UTC(2026, 11, 4))}, [[], {}]],
      skipped: undefined,
      fn: () => 2,
      when: new Date(Date.UTC(2026, 0, 1)),
      buffer: Buffer.from('hi'),
    },
    ключ: {nested: {deeper: {deepest: [1, {x: [2, [3]]}]}}},
  }),
  empty: {},
  list: [],
}

describe('writeJsonInPieces', () => {
  it("writes JSON.stringify's exact text at every depth and piece size", () => {
    for (const depth of [0, 1, 2, 3, 4, 5, 8])
      for (const piece of [1, 7, 64, 1 << 20]) expect(pieces(tricky, depth, piece).join('')).toBe(JSON.stringify(tricky))
    for (const value of [null, 0, 'text', [], {}, [undefined], {a: undefined}]) expect(pieces(value, 4, 8).join('')).toBe(JSON.stringify(value))
  })

  it('never holds the whole text: a state of 2,000 records goes out in pieces of about the size asked for', () => {
    const purchases: Record<string, unknown> = {}
    for (let index = 0; index < 2000; index++)
      purchases[`p-${index}`] = {id: `p-${index}`, status: 'paid', total: index, products: [{name: 'x'.repeat(60)}]}
    const state = {version: 1, accounts: {'acc-1': {purchases, deliveries: []}}}
    const text = JSON.stringify(state)
    const written = pieces(state, 4, 4096)
    expect(written.join('')).toBe(text)
    // One record is ~110 characters: a piece goes out once it reaches 4,096, so it is never much longer.
    expect(written.length).toBeGreaterThanOrEqual(Math.floor(text.length / 4300))
    for (const each of written.slice(0, -1)) {
      expect(each.length).toBeGreaterThanOrEqual(4096)
      expect(each.length).toBeLessThan(4096 + 200)
    }
  })
})

describe('writeJsonAtomic', () => {
  it('writes a file that parses to the value, 0600, with no temporary file left', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ummah-atomic-'))
    dirs.push(dir)
    const file = join(dir, 'state.json')
    const value = {version: 1, accounts: {a: {purchases: {p: {id: 'p', total: 1}}, deliveries: [{n: 1}]}}}
    writeJsonAtomic(file, value, 4, 8)
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(value)
    expect(readFileSync(file, 'utf8')).toBe(JSON.stringify(value))
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(readdirSync(dir)).toEqual(['state.json'])
  })
})
