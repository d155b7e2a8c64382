import {Writable} from 'node:stream'
import {describe, expect, it} from 'vitest'

import {lineWriter} from '../../src/cli/line-writer.js'

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

describe('lineWriter', () => {
  it('writes the lines of one turn together, in order, on the next turn', async () => {
    const {stream, writes} = collecting()
    const out = lineWriter(stream)
    out.write('a')
    out.write('b')
    expect(writes).toEqual([])
    await new Promise((resolve) => setImmediate(resolve))
    out.write('c')
    await new Promise((resolve) => setImmediate(resolve))
    expect(writes).toEqual(['a\nb\n', 'c\n'])
  })

  it('flush() writes what is pending at once, and nothing twice', async () => {
    const {stream, writes} = collecting()
    const out = lineWriter(stream)
    out.write('summary')
    out.flush()
    expect(writes).toEqual(['summary\n'])
    await new Promise((resolve) => setImmediate(resolve))
    expect(writes).toEqual(['summary\n'])
  })
})
