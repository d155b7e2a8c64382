import {Flags} from '@oclif/core'

import {endpointCommand} from '../../cli/endpoint-command.js'
import {statementFileFlags} from '../../cli/flags.js'
import {checkOutputFlag, fetchStatementFile} from '../../cli/statement-file.js'

const Base = endpointCommand('company_statements.create')

export default class StatementsCreate extends Base {
  static override examples = [
    '<%= config.bin %> statements create --format csv',
    '<%= config.bin %> statements create --format csv --wait',
    '<%= config.bin %> statements create --format xlsx --timezone Asia/Dubai --wait -o statement.xlsx',
  ]

  static override flags = {
    ...Base.flags,
    wait: Flags.boolean({summary: 'Wait until the statement is ready, then download it (to -o FILE, default statement-ID.FORMAT).'}),
    ...statementFileFlags,
  }

  async run(): Promise<unknown> {
    const input = await this.parse(StatementsCreate)
    checkOutputFlag(input.flags.output)
    const statement = await this.send(input)
    const {wait, output} = input.flags
    if (!wait && output === undefined) return statement
    const ready = await fetchStatementFile({
      retrieve: () => this.call('company_statements.retrieve', {params: {id: statement.id}}),
      output,
      force: input.flags.force,
      waitTimeoutMs: input.flags['wait-timeout'] * 1000,
      requestTimeoutMs: this.globals.timeout * 1000,
      progress: this.terminal().progress,
      notice: (line) => this.notice(line),
      stdout: this.sink.stdout,
    })
    return output === '-' ? undefined : ready
  }
}
