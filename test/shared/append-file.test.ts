/**
 * Durable appends in one trip: the spool and the relay's embedded store open
 * their files with O_DSYNC (a write returns once durable) and so make no
 * fdatasync of their own; a handle from elsewhere is still fdatasync'd.
 */
import {constants, readFileSync, readdirSync, readlinkSync} from 'node:fs'
import {open} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {EmbeddedStore} from '../../src/relay/embedded-store.js'
import {AppendFile, type AppendHandle, SYNCED_WRITES, openAppend} from '../../src/shared/append-file.js'
import {Spool} from '../../src/webhooks/spool.js'
import {hooked} from '../helpers/append-handle.js'
import {tempDir} from '../helpers/cli.js'

/** The open flags of every descriptor this process holds on `file` (Linux: /proc/self/fdinfo). */
function flagsOf(file: string): number[] {
  const flags: number[] = []
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`)
    } catch {
      continue
    }
    if (target !== file) continue
    flags.push(Number.parseInt(/flags:\s+([0-7]+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1], 8))
  }
  return flags
}

const dsync = (flags: number) => (flags & constants.O_DSYNC) === constants.O_DSYNC

/** A handle whose writes and fdatasyncs are counted. */
const counted = (handle: AppendHandle, counts: {writes: number; syncs: number}) =>
  hooked(handle, {write: () => void counts.writes++, datasync: () => void counts.syncs++})

describe('synced appends', () => {
  it('openAppend opens for appending with O_DSYNC, created 0600', async () => {
    expect(SYNCED_WRITES).toBe(true)
    const file = join(tempDir('ummah-append-'), 'a.log')
    const handle = await openAppend(file)
    try {
      const [flags] = flagsOf(file)
      expect(dsync(flags)).toBe(true)
      expect(flags & constants.O_APPEND).toBe(constants.O_APPEND)
      expect((await handle.stat()).mode & 0o777).toBe(0o600)
    } finally {
      await handle.close()
    }
  })

  it('an AppendFile of synced writes makes no fdatasync; one given a plain handle makes one a batch', async () => {
    for (const synced of [true, false]) {
      const file = join(tempDir('ummah-append-'), 'a.log')
      const counts = {writes: 0, syncs: 0}
      const handle = synced ? await openAppend(file) : await open(file, 'a', 0o600)
      const appender = new AppendFile(file, counted(handle, counts), 0, {syncedWrites: synced})
      await Promise.all(['a\n', 'b\n', 'c\n'].map((line) => appender.append(Buffer.from(line))))
      await appender.close()
      expect(readFileSync(file, 'utf8')).toBe('a\nb\nc\n')
      expect(counts).toEqual({writes: 1, syncs: synced ? 0 : 1})
    }
  })

  it('the spool and the embedded store append through O_DSYNC descriptors', async () => {
    const spoolFile = join(tempDir('ummah-append-'), 'p.spool')
    const spool = await Spool.open(spoolFile)
    const admitted = await spool.admit({id: 'evt-1', type: 'purchase.paid', headers: {}, body: Buffer.from('{}')})
    if (admitted.duplicate) throw new Error('taken for a duplicate')
    await admitted.durable
    expect(flagsOf(spoolFile).map(dsync)).toEqual([true])
    await spool.close()

    const dir = tempDir('ummah-append-')
    const store = await EmbeddedStore.open(dir)
    await store.createChannel({name: 'c', ingress_secret: 'a'.repeat(32), created_at: 1, tokens: []})
    await store.append('c', {receivedAt: Date.now(), headers: {}, body: Buffer.from('one')})
    const segments = readdirSync(join(dir, 'entries', 'c')).filter((name) => name.endsWith('.log'))
    const written = segments.map((name) => join(dir, 'entries', 'c', name)).filter((file) => flagsOf(file).length > 0)
    expect(written.length).toBeGreaterThan(0)
    for (const file of written) expect(flagsOf(file).some(dsync)).toBe(true)
    await store.close()
  })
})
