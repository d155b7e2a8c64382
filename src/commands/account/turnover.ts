import {endpointCommand} from '../../cli/endpoint-command.js'

export default class AccountTurnover extends endpointCommand('account.turnover') {
  static override examples = ['<%= config.bin %> account turnover', '<%= config.bin %> account turnover --json']
}
