import {Writable} from 'node:stream'
import {describe, expect, it} from 'vitest'

import {LINE_MS, lineWriter} from '../../src/cli/line-writer.js'
import {until} from '../helpers/wait.js'

function collecting(): {stream: Writable; writes: string[]} {
  const writes: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      writes.push(chunk.toString())
      done()
    },
  })
  return {stream, writes}
}

const turn = () => new Promise((resolve) => setImmediate(resolve))

describe('lineWriter', () => {
  it('writes the lines of several turns together, in order, once the delay is over', async () => {
    const {stream, writes} = collecting()
    // A delay no few turns can outlast, so the test does not race the clock.
    const out = lineWriter(stream, 60_000)
    out.write('a')
    await turn()
    out.write('b')
    await turn()
    await turn()
    // One write per turn wrote 'a' on its own here.
    expect(writes).toEqual([])
    out.flush()
    expect(writes).toEqual(['a\nb\n'])
  })

  it('writes by itself within the default delay, and starts a new one for the next lines', async () => {
    const {stream, writes} = collecting()
    const out = lineWriter(stream)
    const started = performance.now()
    out.write('a')
    out.write('b')
    expect(writes).toEqual([])
    await until(() => writes.length === 1, 'the first lines written')
    expect(performance.now() - started).toBeGreaterThanOrEqual(LINE_MS - 1)
    out.write('c')
    await until(() => writes.length === 2, 'the next line written')
    expect(writes).toEqual(['a\nb\n', 'c\n'])
  })

  it('flush() writes what is pending at once, and nothing twice', async () => {
    const {stream, writes} = collecting()
    const out = lineWriter(stream)
    out.write('summary')
    out.flush()
    expect(writes).toEqual(['summary\n'])
    // The delay flush() cut short is not left running: the next line gets a write of its own, and the summary is not written again.
    out.write('next')
    await until(() => writes.length === 2, 'the next line written')
    expect(writes).toEqual(['summary\n', 'next\n'])
  })
})
