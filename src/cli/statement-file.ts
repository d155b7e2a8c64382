/**
 * `statements create --wait` and `statements download`: wait for the
 * statement with a spinner, then download it with a progress bar.
 */
import {resolve} from 'node:path'

import {type Statement, downloadTo, downloadToStdout, waitUntilReady} from '../api/statements.js'
import {progressBar, spinner} from './progress.js'

export interface StatementFileOptions {
  retrieve: () => Promise<Statement>
  /** Where to write the file (`-` for stdout); undefined waits without downloading. */
  output?: string
  waitTimeoutMs: number
  requestTimeoutMs: number
  /** Spinner and progress bar on stderr. */
  progress: boolean
  notice: (line: string) => void
}

export const POLL_INTERVAL_MS = 500

export function defaultStatementFile(statement: Pick<Statement, 'format' | 'id'>): string {
  return `statement-${statement.id}.${statement.format}`
}

/** The statement once it is ready; downloaded to `output` when one is given. */
export async function fetchStatementFile(options: StatementFileOptions): Promise<Statement> {
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
  if (options.output === undefined) return statement

  const bar = progressBar(options.progress && options.output !== '-')
  const download = {timeoutMs: options.requestTimeoutMs, onProgress: bar.tick}
  let bytes: number
  try {
    bytes = options.output === '-' ? await downloadToStdout(statement.download_url!, download) : await downloadTo(statement.download_url!, resolve(options.output), download)
  } finally {
    bar.stop()
  }
  if (options.output !== '-') options.notice(`Saved ${options.output} (${bytes} bytes).`)
  return statement
}
