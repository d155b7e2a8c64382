import {endpointCommand} from '../../cli/endpoint-command.js'

export default class AccountBalance extends endpointCommand('account.balance') {
  static override examples = ['<%= config.bin %> account balance', '<%= config.bin %> account balance --json']
}
