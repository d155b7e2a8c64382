import {Args} from '@oclif/core'

import {UmmahCommand} from '../../cli/base-command.js'
import {statementFileFlags} from '../../cli/flags.js'
import {fetchStatementFile} from '../../cli/statement-file.js'

export default class StatementsDownload extends UmmahCommand {
  static override summary = 'Download a statement file, waiting until it is ready'
  static override description =
    'Polls the statement until processing completes, then downloads its CSV or XLSX file. The file is written under a temporary name and renamed when complete, so a partial download never appears under the final name.'

  static override examples = [
    '<%= config.bin %> statements download 3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a',
    '<%= config.bin %> statements download 3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a -o november.csv',
    '<%= config.bin %> statements download 3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a -o - | head',
  ]

  static override args = {id: Args.string({required: true, description: 'ID of the statement'})}
  static override flags = statementFileFlags

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(StatementsDownload)
    const retrieve = () => this.call('company_statements.retrieve', {params: {id: args.id}})
    const ready = await fetchStatementFile({
      retrieve,
      output: flags.output,
      force: flags.force,
      waitTimeoutMs: flags['wait-timeout'] * 1000,
      requestTimeoutMs: this.globals.timeout * 1000,
      progress: this.terminal().progress,
      notice: (line) => this.notice(line),
      stdout: this.sink.stdout,
    })
    return flags.output === '-' ? undefined : ready
  }
}
