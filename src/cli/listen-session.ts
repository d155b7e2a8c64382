/**
 * `webhooks listen` from start to stop, as the command runs it: one line per
 * ListenLine (NDJSON, or text escaped before styling, since a line quotes
 * senders and relays), the session started, then stopped on Ctrl-C/SIGTERM
 * or when its source fails for good. A second Ctrl-C does not wait for the
 * grace: the counts as they are, pending events kept in the spool. Exit 130
 * on Ctrl-C.
 */
import {ExitCode} from '../shared/errors.js'
import {printableDeep} from '../shared/terminal-text.js'
import type {ListenLine, ListenSession} from '../webhooks/listen.js'
import {lineWriter} from './line-writer.js'
import {createStyle} from './output.js'
import {untilStopped} from './terminal.js'

export interface ListenRun {
  json: boolean
  color: boolean
  /** A JSON line as the command prints JSON (through --jq). */
  jsonLine: (line: ListenLine) => string
  /** The command's stdout (its output sink). */
  out: NodeJS.WritableStream
  start: (print: (line: ListenLine) => void) => Promise<ListenSession>
}

export async function runListenSession(run: ListenRun): Promise<void> {
  const [{formatListenLine}, style] = await Promise.all([import('./listen-output.js'), createStyle(run.color)])
  const out = lineWriter(run.out)
  const print = (line: ListenLine) => {
    const text = run.json ? run.jsonLine(line) : formatListenLine(printableDeep(line), style)
    if (text) out.write(text)
  }
  const session = await run.start(print)
  let signal: NodeJS.Signals | undefined
  const failure = await Promise.race([untilStopped().then((stoppedBy) => void (signal = stoppedBy)), session.failed])
  process.once('SIGINT', () => {
    print(session.summary())
    out.flush()
    process.exit(ExitCode.interrupted)
  })
  print(await session.stop())
  out.flush()
  if (failure) throw failure
  if (signal === 'SIGINT') process.exitCode = ExitCode.interrupted
}
