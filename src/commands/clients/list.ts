import {endpoint} from '../../api/endpoints.js'
import {UmmahCommand} from '../../cli/base-command.js'
import {listFlags} from '../../cli/flags.js'

const target = endpoint('clients.list')

export default class ClientsList extends UmmahCommand {
  static override summary = target.summary
  static override description = target.description
  static override examples = ['<%= config.bin %> clients list', '<%= config.bin %> clients list --all --json', '<%= config.bin %> clients list --limit 5']
  static override columns = target.columns
  static override flags = listFlags

  async run(): Promise<unknown> {
    const {flags} = await this.parse(ClientsList)
    return this.list(target.id, {limit: flags.limit, all: flags.all})
  }
}
