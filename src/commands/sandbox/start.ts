import {UmmahCommand} from '../../cli/base-command.js'
import {sandboxStartFlags} from '../../cli/sandbox-flags.js'

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
    const {runSandboxSession} = await import('../../cli/sandbox-session.js')
    await runSandboxSession(flags, {
      print: (text) => this.print(text),
      printError: (text) => this.printError(text),
      notice: (text) => this.notice(text),
      jsonLine: this.jsonEnabled() ? (value) => this.jsonLine(value) : undefined,
    })
    return undefined
  }
}
