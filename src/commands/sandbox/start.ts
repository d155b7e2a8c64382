import {Flags} from '@oclif/core'

import {UsageError} from '../../api/errors.js'
import {UmmahCommand} from '../../cli/base-command.js'
import {parseSecondsList} from '../../cli/input.js'
import {untilStopped} from '../../cli/terminal.js'

export default class SandboxStart extends UmmahCommand {
  static override summary = 'Run a local, stateful emulator of the whole gateway'
  static override description =
    'Serves every documented endpoint under /api/v1/ with real state: purchases and their state machine, a hosted checkout page with the test cards, signed webhook deliveries with retries, subscriptions on a test clock, statements. Each test key is its own account. Stop it with Ctrl-C. The built-in profile `sandbox` points at the default port.'

  static override examples = [
    '<%= config.bin %> sandbox start',
    '<%= config.bin %> sandbox start --port 0 --data-file .ummah-sandbox.json',
    '<%= config.bin %> sandbox start --retry-schedule 0.5,1,2',
    '<%= config.bin %> sandbox start --port 0 --time-scale 72000',
    '<%= config.bin %> sandbox start --no-helpers',
  ]

  static override flags = {
    port: Flags.integer({summary: 'Port to listen on; 0 picks a free one.', default: 8420, min: 0, max: 65_535}),
    host: Flags.string({summary: 'Address to listen on.', default: '127.0.0.1'}),
    'data-file': Flags.string({summary: 'Keep state in this file across restarts (written atomically).'}),
    'retry-schedule': Flags.string({summary: 'Seconds to wait before each webhook retry, comma-separated.', default: '1,2,4,8,16'}),
    'statement-delay': Flags.integer({summary: 'Seconds a statement stays processing (0 to 86400).', default: 2, min: 0, max: 86_400}),
    helpers: Flags.boolean({summary: 'Serve the /_sandbox/ helpers (pay, advance, reset); --no-helpers answers 404 there, like the real gateway.', default: true, allowNo: true}),
    'time-scale': Flags.integer({
      summary: "Run webhook retry schedules this many times faster (a webhook's sandbox_delivery.retry_policy hourly-3d takes 3.6 s at 72000).",
      default: 1,
      min: 1,
      max: 1_000_000,
    }),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(SandboxStart)
    const retryDelaysMs = parseSecondsList(flags['retry-schedule'], '--retry-schedule')
    const {startSandbox} = await import('../../sandbox/server.js')
    const sandbox = await startSandbox({
      port: flags.port,
      host: flags.host,
      dataFile: flags['data-file'],
      retryDelaysMs,
      timeScale: flags['time-scale'],
      statementDelayMs: flags['statement-delay'] * 1000,
      helpers: flags.helpers,
    }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') throw new UsageError(`Port ${flags.port} is already in use`, 'Is a sandbox already running? Pick another with --port, or --port 0.')
      throw error
    })

    const ready = {ready: true, api_base: sandbox.apiBase, key: 'sk_test_sandbox (or any sk_test_* key: each is its own account)'}
    if (this.jsonEnabled()) process.stdout.write(`${this.jsonLine(ready)}\n`)
    else process.stdout.write(`Sandbox listening on ${sandbox.apiBase}\nUse any sk_test_* key; each key is its own account (the "sandbox" profile uses sk_test_sandbox).\nReady. Press Ctrl-C to stop.\n`)

    const signal = await untilStopped()
    await sandbox.close()
    this.notice(`Stopped (${signal}).`)
    return undefined
  }
}
