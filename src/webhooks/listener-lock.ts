/**
 * One listener per profile's webhook at a time. A second `webhooks listen`
 * on the same profile would re-point the webhook to itself and unsubscribe it
 * at exit, leaving the first one deaf; it is refused instead, naming the one
 * running, unless it takes over (`--takeover`). The lock is a file holding
 * the owner's pid: created with link(), which fails if it exists, so two
 * starting at once cannot both win; a lock whose pid is gone (kill -9) is
 * stale and replaced.
 */
import {cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync} from 'node:fs'
import {link, mkdir, readFile, unlink, writeFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'

import {UsageError} from '../shared/errors.js'

export interface LockOwner {
  pid: number
  forward: string
  started_at: string
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists, owned by someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * An older ummah kept the listener's directory in the config directory; the
 * first run that looks for it moves it, whole, to the state directory: one
 * rename (atomic on one filesystem; across two, a copy then a removal), so a
 * pending event is in one place or the other, never lost. While a listener
 * of the old place runs (a live pid in one of its locks) the old place is
 * used, so its lock still counts; the next run moves it. The directory to use.
 */
export function movedListenDir(from: string, to: string): string {
  if (from === to || !existsSync(from) || existsSync(to)) return to
  for (const name of readdirSync(from)) {
    if (!name.endsWith('.lock')) continue
    try {
      const {pid} = JSON.parse(readFileSync(join(from, name), 'utf8')) as LockOwner
      if (Number.isSafeInteger(pid) && pid > 0 && alive(pid)) return from
    } catch {
      // Unreadable: no owner to respect.
    }
  }
  mkdirSync(dirname(to), {recursive: true, mode: 0o700})
  try {
    renameSync(from, to)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error
    cpSync(from, to, {recursive: true, preserveTimestamps: true})
    rmSync(from, {recursive: true})
  }
  return to
}

/** The running listener holding this lock, if any. */
export async function lockOwner(file: string): Promise<LockOwner | undefined> {
  try {
    const owner = JSON.parse(await readFile(file, 'utf8')) as LockOwner
    return Number.isSafeInteger(owner.pid) && owner.pid > 0 && alive(owner.pid) ? owner : undefined
  } catch {
    return undefined
  }
}

export interface ListenerLock {
  /** Whether this process still holds it (a `--takeover` elsewhere ends that). */
  held(): Promise<boolean>
  release(): Promise<void>
}

export async function acquireListenerLock(
  file: string,
  me: Omit<LockOwner, 'pid' | 'started_at'>,
  options: {takeover: boolean; profile: string},
): Promise<ListenerLock> {
  await mkdir(dirname(file), {recursive: true, mode: 0o700})
  const owner: LockOwner = {pid: process.pid, ...me, started_at: new Date().toISOString()}
  const temporary = `${file}.${process.pid}`
  await writeFile(temporary, JSON.stringify(owner), {mode: 0o600})
  try {
    // A turn may find a stale lock (or one to take over) and remove it; another listener starting at the same moment may win the next.
    for (let turn = 0; ; turn++) {
      try {
        await link(temporary, file)
        break
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
        const running = await lockOwner(file)
        if (running && (!options.takeover || turn >= 2)) {
          throw new UsageError(
            `Another \`webhooks listen\` is running for profile "${options.profile}": pid ${running.pid}, forwarding to ${running.forward}, since ${running.started_at}`,
            `Stop it first (kill ${running.pid}), use another --profile, or pass --takeover to move the webhook here.`,
          )
        }
        if (turn >= 2)
          throw new UsageError(`Could not take the listener lock ${file}`, 'Another listener keeps starting for this profile; stop it and try again.')
        await unlink(file).catch(() => {})
      }
    }
  } finally {
    await unlink(temporary).catch(() => {})
  }
  const held = async () => (await lockOwner(file))?.pid === process.pid
  return {
    held,
    async release() {
      if (await held()) await unlink(file).catch(() => {})
    },
  }
}
