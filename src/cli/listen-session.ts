/**
 * `webhooks listen` from start to stop, as the command runs it: one line per
 * ListenLine (NDJSON, or text escaped before styling, since a line quotes
 * senders and relays), the session started, then stopped on Ctrl-C/SIGTERM
 * or when its source fails for good. A second Ctrl-C does not wait for the
 * grace: the counts as they are, pending events kept in the spool. Exit 130
 * on Ctrl-C.
 */
import {AssertionFailed, ExitCode, exitCodeOf} from '../shared/errors.js'
import {printableDeep} from '../shared/terminal-text.js'
import type {ListenLine, ListenSession, WebhookApi} from '../webhooks/listen.js'
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
  start: (print: (line: ListenLine) => void, inspectorUrl?: string) => Promise<ListenSession>
  /** Serve the inspector (`--inspect-port`: exactly that port; else the first free from 4040). */
  inspect?: {port?: number; api: WebhookApi}
}

export async function runListenSession(run: ListenRun): Promise<void> {
  const [{formatListenLine}, style] = await Promise.all([import('./listen-output.js'), createStyle(run.color)])
  const out = lineWriter(run.out)
  // `listen | head`: once the reader is gone (EPIPE), stop as on SIGTERM (pending events stay spooled) and print nothing more.
  let readerGone = false
  const gone = new Promise<void>((resolve) =>
    run.out.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error
      readerGone = true
      resolve()
    }),
  )
  // Loaded only with the inspector on: its page and server are no part of a start without it.
  const inspector = run.inspect ? await startInspector(run.inspect) : undefined
  const print = (line: ListenLine) => {
    inspector?.notice(line)
    if (readerGone) return
    const text = run.json ? run.jsonLine(line) : formatListenLine(printableDeep(line), style)
    if (text) out.write(text)
  }
  let session: ListenSession
  try {
    session = await run.start(print, inspector?.url())
  } catch (error) {
    // What the start printed before it failed (a spool line, a warning) goes out before the error.
    out.flush()
    await inspector?.close()
    throw error
  }
  inspector?.attach(session.inspection)
  let signal: NodeJS.Signals | undefined
  const failure = await Promise.race([untilStopped().then((stoppedBy) => void (signal = stoppedBy)), session.failed, gone])
  process.once('SIGINT', () => {
    print(session.summary())
    out.flush()
    process.exit(ExitCode.interrupted)
  })
  const summary = await session.stop()
  print(summary)
  await inspector?.close()
  out.flush()
  if (failure) throw failure
  // --chaos: an app that accepted a bad signature or a stale event fails the run, by name.
  const accepted = summary.chaos?.called_out.filter((text) => text.startsWith('accepted')) ?? []
  // As NDJSON the summary line says it (`chaos.called_out`); the exit code is the error's.
  if (accepted.length > 0 && run.json) process.exitCode = exitCodeOf('chaos_accepted')
  else if (accepted.length > 0)
    throw new AssertionFailed(
      `The app ${accepted[0]}${accepted.length > 1 ? ` (and ${accepted.length - 1} more)` : ''}`,
      {},
      {
        code: 'chaos_accepted',
        hint: 'A handler must refuse a bad signature (403) and an event outside the 10-minute window (400): see the summary above.',
      },
    )
  if (signal === 'SIGINT') process.exitCode = ExitCode.interrupted
}

async function startInspector(inspect: NonNullable<ListenRun['inspect']>) {
  const {Inspector, INSPECT_PORT} = await import('../inspector/server.js')
  const {api} = inspect
  const inspector = new Inspector({
    port: inspect.port ?? INSPECT_PORT,
    scan: inspect.port === undefined,
    deliver: api.deliver?.bind(api),
    sandbox: api.isSandbox?.bind(api),
  })
  await inspector.start()
  return inspector
}
