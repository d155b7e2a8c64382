import {endpointCommand} from '../cli/endpoint-command.js'

export default class Balance extends endpointCommand('balance.retrieve') {
  static override examples = ['<%= config.bin %> balance', '<%= config.bin %> balance --json']
}
