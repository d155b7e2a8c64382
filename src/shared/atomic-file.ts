/** Files written whole or not at all, for the profiles and the sandbox's data file. */
import {randomBytes} from './lazy-crypto.js'
import {closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync} from 'node:fs'

/**
 * A temporary file beside `path` (mode 0600), written, fsynced and renamed
 * into place; on any failure the temporary file is removed and the error
 * thrown, so a reader sees the old file or the new one, and no `.tmp` stays.
 */
export function writeFileAtomic(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  const fd = openSync(temporary, 'wx', 0o600)
  try {
    try {
      writeFileSync(fd, text)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(temporary, path)
  } catch (error) {
    rmSync(temporary, {force: true})
    throw error
  }
}
