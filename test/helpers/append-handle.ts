/**
 * A real append handle with a test's hooks around its writes and fdatasyncs:
 * counted, held, shortened or failed. The spool opens its files through
 * `openFile` and an `AppendFile` writes through any `AppendHandle`, so a test
 * reaches the disk layer without mocking `node:fs`.
 */
import {open} from 'node:fs/promises'

import type {AppendHandle} from '../../src/shared/append-file.js'

export interface HandleHooks {
  /**
   * Before each write, with the bytes asked for and the file's path: may wait
   * (a slow disk) or throw (ENOSPC); a number returned is how many of the
   * bytes to write (a short write).
   */
  write?: (chunk: Buffer, path: string) => unknown
  /** After each write, with the bytes it wrote. */
  written?: (bytes: number) => void
  /** Before each fdatasync, with the file's path: may wait (a slow sync). */
  datasync?: (path: string) => unknown
}

/** `handle` with `hooks` around it; `path` is what the write hook is told. */
export function hooked(handle: AppendHandle, hooks: HandleHooks, path = ''): AppendHandle {
  return {
    async write(buffer, offset, length) {
      const asked = await hooks.write?.(buffer.subarray(offset, offset + length), path)
      const take = typeof asked === 'number' ? asked : length
      const result = await handle.write(buffer, offset, take)
      hooks.written?.(result.bytesWritten)
      return result
    },
    async datasync() {
      await hooks.datasync?.(path)
      return handle.datasync()
    },
    truncate: (length) => handle.truncate(length),
    close: () => handle.close(),
  }
}

/** An `openFile` for `Spool.open`: each file opened for appending (0600), its handle hooked. */
export function hookedOpen(hooks: HandleHooks) {
  return async (path: string): Promise<AppendHandle> => hooked(await open(path, 'a', 0o600), hooks, path)
}
