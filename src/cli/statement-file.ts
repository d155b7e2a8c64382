/**
 * `statements create --wait` and `statements download`: where the file goes,
 * then waiting for the statement with a spinner and downloading it with a
 * progress bar.
 */
import {existsSync, statSync} from 'node:fs'
import {join, resolve} from 'node:path'

import {UsageError} from '../shared/errors.js'
import {downloadTo, downloadToStream, existsError, statedSize, waitUntilReady} from '../api/statements.js'
import type {Statement} from '../api/types.js'
import {progressBar, spinner} from './progress.js'

export interface StatementFileOptions {
  retrieve: () => Promise<Statement>
  /** `-o` as given: a file, a directory, `-` for stdout; undefined is the default name in the current directory. */
  output?: string
  force: boolean
  waitTimeoutMs: number
  requestTimeoutMs: number
  /** Spinner and progress bar on stderr. */
  progress: boolean
  notice: (line: string) => void
  /** Where `-o -` writes the file: the command's stdout (its output sink). */
  stdout: NodeJS.WritableStream
}

export const POLL_INTERVAL_MS = 500
const FORMATS = new Set(['csv', 'xlsx'])

/**
 * `statement-ID.FORMAT`, from what the server said the id and format are.
 * Those are the server's words, so only letters, digits, `-` and `_` of them
 * reach the name: an id of `/../../x` can never leave the directory.
 */
export function defaultStatementFile(statement: Pick<Statement, 'format' | 'id'>): string {
  const safe = (text: unknown) =>
    String(text ?? '')
      .replaceAll(/[^A-Za-z0-9_-]+/g, '_')
      .slice(0, 100) || 'unknown'
  const format = String(statement.format ?? '').toLowerCase()
  return `statement-${safe(statement.id)}.${FORMATS.has(format) ? format : safe(format)}`
}

/** `-o` checked before anything is sent: never empty; a directory gets the default name inside it. */
export function checkOutputFlag(output: string | undefined): void {
  if (output !== undefined && output.trim() === '') {
    throw new UsageError('-o is empty', 'Pass a file name, a directory to write into, or - for stdout.')
  }
}

/** The path the file is written to, or `-` (`-o` already checked); an existing file is refused without --force. */
export function statementTarget(output: string | undefined, statement: Pick<Statement, 'format' | 'id'>, force: boolean): string {
  if (output === '-') return '-'
  const named = output === undefined ? defaultStatementFile(statement) : output
  const isDirectory = existsSync(named) && statSync(named).isDirectory()
  const file = resolve(isDirectory ? join(named, defaultStatementFile(statement)) : named)
  if (!force && existsSync(file)) throw existsError(file)
  return file
}

/** The statement once it is ready; downloaded when an output is given. */
export async function fetchStatementFile(options: StatementFileOptions): Promise<Statement> {
  checkOutputFlag(options.output)
  const waiting = spinner('Waiting for the statement…', options.progress)
  let statement: Statement
  try {
    statement = await waitUntilReady(options.retrieve, {
      intervalMs: POLL_INTERVAL_MS,
      timeoutMs: options.waitTimeoutMs,
      onPoll: (seen) => waiting.update(`Statement ${seen.id} is ${seen.status}…`),
    })
  } finally {
    waiting.stop()
  }
  const target = statementTarget(options.output, statement, options.force)

  const bar = progressBar(options.progress && target !== '-')
  const download = {timeoutMs: options.requestTimeoutMs, onProgress: bar.tick, expectedBytes: statedSize(statement), force: options.force}
  let result
  try {
    result =
      target === '-'
        ? await downloadToStream(statement.download_url!, download, options.stdout)
        : await downloadTo(statement.download_url!, target, download)
  } finally {
    bar.stop()
  }
  if (target !== '-') options.notice(`Saved ${target} (${result.bytes} bytes).`)
  if (!result.lengthChecked)
    options.notice(
      `Note: the server did not say how long the file is, so a download cut short could not be detected; ${result.bytes} bytes were received.`,
    )
  return statement
}
