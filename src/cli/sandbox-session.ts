/** `sandbox start` from its flags to its stop: the sandbox started, announced, and closed on Ctrl-C or SIGTERM. */
import {rmSync} from 'node:fs'

import type {Interfaces} from '@oclif/core'

import {ExitCode, UsageError} from '../shared/errors.js'
import {parseSecondsList} from './input.js'
import {announceSandbox, sandboxDataFile, type sandboxStartFlags} from './sandbox-flags.js'
import {untilStopped} from './terminal.js'

export interface SandboxSessionOutput {
  print: (text: string) => void
  printError: (text: string) => void
  notice: (text: string) => void
  /** Set under --json: the ready announcement is one JSON line. */
  jsonLine?: (value: unknown) => string
}

export async function runSandboxSession(flags: Interfaces.InferredFlags<typeof sandboxStartFlags>, output: SandboxSessionOutput): Promise<void> {
  const retryDelaysMs = parseSecondsList(flags['retry-schedule'], '--retry-schedule')
  const readyFile = flags['ready-file']
  // A file left by an earlier run must not say this one is ready.
  if (readyFile) rmSync(readyFile, {force: true})
  const dataFile = sandboxDataFile(flags)
  const {startSandbox} = await import('../sandbox/server.js')
  const sandbox = await startSandbox({
    port: flags.port,
    host: flags.host,
    dataFile,
    merchant: flags.merchant,
    retryDelaysMs,
    timeScale: flags['time-scale'],
    statementDelayMs: flags['statement-delay'] * 1000,
    helpers: flags.helpers,
    onSaveError: output.printError,
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRINUSE')
      throw new UsageError(`Port ${flags.port} is already in use`, 'Is a sandbox already running? Pick another with --port, or --port 0.')
    throw error
  })
  announceSandbox(sandbox, {dataFile, readyFile, jsonLine: output.jsonLine, print: output.print})

  const signal = await untilStopped()
  if (readyFile) rmSync(readyFile, {force: true})
  await sandbox.close()
  output.notice(`Stopped (${signal}).`)
  // Ctrl-C is exit 130, as for every command (README: exit codes); SIGTERM, a service manager's stop, is 0.
  if (signal === 'SIGINT') process.exitCode = ExitCode.interrupted
}
