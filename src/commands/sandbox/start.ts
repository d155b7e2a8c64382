import {rmSync} from 'node:fs'

import {ExitCode, UsageError} from '../../shared/errors.js'
import {UmmahCommand} from '../../cli/base-command.js'
import {parseSecondsList} from '../../cli/input.js'
import {announceSandbox, sandboxDataFile, sandboxStartFlags} from '../../cli/sandbox-flags.js'
import {untilStopped} from '../../cli/terminal.js'

export default class SandboxStart extends UmmahCommand {
  static override summary = 'Run a local, stateful emulator of the whole gateway'
  static override description =
    'Serves every documented endpoint under /api/v1/ with real state: purchases and their state machine, a hosted checkout page with the test cards, signed webhook deliveries with retries, subscriptions on a test clock, statements. Each test key is its own account. Stop it with Ctrl-C. The built-in profile `sandbox` points at the default port.'

  static override examples = [
    '<%= config.bin %> sandbox start',
    '<%= config.bin %> sandbox start --port 0 --data-file .ummah-sandbox.json',
    '<%= config.bin %> sandbox start --port 0 --ephemeral',
    '<%= config.bin %> sandbox start --port 0 --time-scale 72000 --retry-schedule 0.5,1,2',
    '<%= config.bin %> sandbox start --no-helpers',
    '<%= config.bin %> sandbox start --port 0 --ready-file /tmp/sandbox.json',
  ]

  static override flags = sandboxStartFlags

  async run(): Promise<unknown> {
    const {flags} = await this.parse(SandboxStart)
    const retryDelaysMs = parseSecondsList(flags['retry-schedule'], '--retry-schedule')
    // A file left by an earlier run must not say this one is ready.
    if (flags['ready-file']) rmSync(flags['ready-file'], {force: true})
    const dataFile = sandboxDataFile(flags)
    const {startSandbox} = await import('../../sandbox/server.js')
    const sandbox = await startSandbox({
      port: flags.port,
      host: flags.host,
      dataFile,
      merchant: flags.merchant,
      retryDelaysMs,
      timeScale: flags['time-scale'],
      statementDelayMs: flags['statement-delay'] * 1000,
      helpers: flags.helpers,
      onSaveError: (message) => this.printError(message),
    }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE')
        throw new UsageError(`Port ${flags.port} is already in use`, 'Is a sandbox already running? Pick another with --port, or --port 0.')
      throw error
    })

    const readyFile = flags['ready-file']
    announceSandbox(sandbox, {
      dataFile,
      readyFile,
      jsonLine: this.jsonEnabled() ? (value) => this.jsonLine(value) : undefined,
      print: (text) => this.print(text),
    })

    const signal = await untilStopped()
    if (readyFile) rmSync(readyFile, {force: true})
    await sandbox.close()
    this.notice(`Stopped (${signal}).`)
    // Ctrl-C is exit 130, as for every command (README: exit codes); SIGTERM, a service manager's stop, is 0.
    if (signal === 'SIGINT') process.exitCode = ExitCode.interrupted
    return undefined
  }
}
