import {endpointCommand} from '../../cli/endpoint-command.js'

export default class StatementsList extends endpointCommand('company_statements.list') {
  static override examples = ['<%= config.bin %> statements list', '<%= config.bin %> statements list --all']
}
