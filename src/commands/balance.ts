import {UmmahCommand} from '../cli/base-command.js'
import {endpoint} from '../api/endpoints.js'

const target = endpoint('balance.retrieve')

export default class Balance extends UmmahCommand {
  static override summary = target.summary
  static override description = target.description
  static override examples = ['<%= config.bin %> balance', '<%= config.bin %> balance --json']
  static override columns = target.columns

  async run(): Promise<unknown> {
    await this.parse(Balance)
    return this.call(target.id)
  }
}
