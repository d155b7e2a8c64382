/** listen --chaos without a network: the spec parser, seeded decisions, the copies, the tally and its text. */
import {describe, expect, it} from 'vitest'

import {formatListenLine} from '../../src/cli/listen-output.js'
import {createStyle} from '../../src/cli/output.js'
import {Chaos, parseChaos} from '../../src/webhooks/chaos.js'

describe('--chaos', () => {
  it('parses every kind, ranges with either unit placement, and names what is wrong', () => {
    expect(parseChaos('duplicate=0.1,reorder=0.2,delay=0-5s,stale=0.05,badsig=0.02')).toEqual({
      duplicate: 0.1,
      reorder: 0.2,
      delay: [0, 5000],
      stale: 0.05,
      badsig: 0.02,
    })
    expect(parseChaos('delay=250ms-2s').delay).toEqual([250, 2000])
    expect(parseChaos('delay=100-300ms').delay).toEqual([100, 300])
    expect(() => parseChaos('delay=5s-1s')).toThrow('--chaos: delay "5s-1s" is not a range such as 0-5s (at most 60s)')
    expect(() => parseChaos('badsig=1.5')).toThrow('--chaos: badsig=1.5: give a probability from 0 to 1')
    expect(() => parseChaos('drop=0.1')).toThrow('--chaos: "drop=0.1" is not one of duplicate, reorder, delay, stale, badsig with a value')
  })

  it('the same seed makes the same choices; another seed others', async () => {
    const decisions = async (seed: number) => {
      const chaos = new Chaos(parseChaos('duplicate=0.5,reorder=0.5,delay=0-1000ms,badsig=0.5'), seed)
      const made: string[] = []
      for (let seq = 0; seq < 40; seq++) {
        made.push(`${chaos.reorder(seq, true)}:${chaos.delayMs()}`)
        made.push(...(await chaos.copies(Buffer.from('{"id":"evt-1"}'), {'x-signature': 'c2lnbmF0dXJl'})).map((copy) => copy.kind))
      }
      return made
    }
    expect(await decisions(42)).toEqual(await decisions(42))
    expect(await decisions(42)).not.toEqual(await decisions(43))
  })

  it('a bad-signature copy has the same body and a signature one byte different; stale copies are signed anew, with a new id and an old created_on', async () => {
    const signed: string[] = []
    const chaos = new Chaos(parseChaos('stale=1,badsig=1'), 1, async (body) => {
      signed.push(body)
      return {'x-signature': 'bmV3'}
    })
    const body = Buffer.from(JSON.stringify({id: 'evt-9', type: 'purchase.paid', created_on: Math.floor(Date.now() / 1000), object: {}}))
    const copies = await chaos.copies(body, {'x-signature': Buffer.from('signature bytes').toString('base64'), 'content-type': 'application/json'})
    const [stale, badsig] = copies
    expect(copies.map((copy) => copy.kind)).toEqual(['stale', 'badsig'])
    expect(badsig.body.equals(body)).toBe(true)
    const flipped = Buffer.from(badsig.headers['x-signature'], 'base64')
    const original = Buffer.from('signature bytes')
    expect(flipped.length).toBe(original.length)
    expect([...flipped].filter((byte, index) => byte !== original[index])).toHaveLength(1)
    const staleEvent = JSON.parse(stale.body.toString())
    expect(staleEvent.id).toBe('evt-9-stale')
    expect(Date.now() / 1000 - staleEvent.created_on).toBeGreaterThan(600)
    expect(stale.headers).toEqual({'x-signature': 'bmV3', 'content-type': 'application/json'})
    expect(signed).toEqual([stale.body.toString()])
  })

  it('tallies answers per kind, names what the app must never accept, and says so at exit', async () => {
    const chaos = new Chaos(parseChaos('duplicate=1'), 5)
    chaos.record('badsig', 'evt-1', 403)
    chaos.record('badsig', 'evt-2', 200)
    chaos.record('stale', 'evt-3', 200)
    chaos.record('duplicate', 'evt-4', 500)
    chaos.record('duplicate', 'evt-5', 200)
    const summary = chaos.summary()
    expect(summary.kinds.badsig).toEqual({injected: 2, accepted: 1, refused: 1, other: 0})
    expect(summary.kinds.duplicate).toEqual({injected: 2, accepted: 1, refused: 0, other: 1})
    expect(summary.called_out).toEqual(['accepted a bad signature: evt-2', 'accepted a stale event: evt-3', 'answered a duplicate with 500: evt-4'])
    expect(chaos.failed()).toBe(true)
    const text = formatListenLine(
      {type: 'summary', received: 5, delivered: 5, failed: 0, pending: 0, rejected: 0, duplicates: 0, chaos: summary},
      await createStyle(false),
    )
    expect(text.split('\n')).toEqual([
      'Stopped. Received 5, delivered 5, failed 0, pending 0 (kept for the next run), refused 0, duplicates 0.',
      'Chaos (seed 5):',
      '  duplicate 2 injected: 1 answered 2xx, 0 4xx, 1 other',
      '  reorder   0 injected: 0 answered 2xx, 0 4xx, 0 other',
      '  delay     0 injected: 0 answered 2xx, 0 4xx, 0 other',
      '  stale     1 injected: 1 answered 2xx, 0 4xx, 0 other',
      '  badsig    2 injected: 1 answered 2xx, 1 4xx, 0 other',
      '  ✗ The app accepted a bad signature: evt-2',
      '  ✗ The app accepted a stale event: evt-3',
      '  ✗ The app answered a duplicate with 500: evt-4',
    ])
  })
})
