/** Files written whole or not at all, for the profiles and the sandbox's data file. */
import {randomBytes} from './lazy-crypto.js'
import {closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync, writeSync} from 'node:fs'

/**
 * A temporary file beside `path` (mode 0600), written, fsynced and renamed
 * into place; on any failure the temporary file is removed and the error
 * thrown, so a reader sees the old file or the new one, and no `.tmp` stays.
 */
export function writeFileAtomic(path: string, text: string): void {
  writeAtomic(path, (fd) => writeFileSync(fd, text))
}

/** Characters of JSON written at a time by writeJsonAtomic. */
const JSON_PIECE = 1 << 20

/**
 * `value` written atomically as the text JSON.stringify makes of it, in
 * pieces of about `piece` characters: objects and arrays are walked `depth`
 * levels down and each value below is stringified on its own, so the text is
 * never one string. The sandbox's state is saved this way: with 100,000
 * purchases (a 41 MB file) a save as one string and its UTF-8 copy raised
 * the RSS by 131 MB at its peak and left it 91 MB higher; in pieces, 33 and
 * 28 MB, and 820 → 643 ms (the bench once sampled 321 MB, 403 at the peak).
 */
export function writeJsonAtomic(path: string, value: unknown, depth = 4, piece = JSON_PIECE): void {
  writeAtomic(path, (fd) =>
    writeJsonInPieces(value, depth, piece, (text) => {
      // In full: a write may take less than it was given (a disk filling up), as writeFileSync also loops.
      const bytes = Buffer.from(text)
      for (let offset = 0; offset < bytes.length;) offset += writeSync(fd, bytes, offset)
    }),
  )
}

/** JSON.stringify(value)'s text, given to `write` in pieces of at least `piece` characters (but the last); exported for its test. */
export function writeJsonInPieces(value: unknown, depth: number, piece: number, write: (text: string) => void): void {
  let pending: string[] = []
  let size = 0
  const emit = (text: string) => {
    pending.push(text)
    size += text.length
    if (size < piece) return
    write(pending.join(''))
    pending = []
    size = 0
  }
  const skipped = (item: unknown) => item === undefined || typeof item === 'function' || typeof item === 'symbol'
  const walk = (item: unknown, level: number): void => {
    if (level >= depth || item === null || typeof item !== 'object' || typeof (item as {toJSON?: unknown}).toJSON === 'function') {
      emit(JSON.stringify(item))
      return
    }
    if (Array.isArray(item)) {
      emit('[')
      for (let index = 0; index < item.length; index++) {
        if (index > 0) emit(',')
        if (skipped(item[index])) emit('null')
        else walk(item[index], level + 1)
      }
      emit(']')
      return
    }
    emit('{')
    let first = true
    for (const [key, child] of Object.entries(item)) {
      if (skipped(child)) continue
      emit(`${first ? '' : ','}${JSON.stringify(key)}:`)
      first = false
      walk(child, level + 1)
    }
    emit('}')
  }
  walk(value, 0)
  if (size > 0) write(pending.join(''))
}

function writeAtomic(path: string, write: (fd: number) => void): void {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  const fd = openSync(temporary, 'wx', 0o600)
  try {
    try {
      write(fd)
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
