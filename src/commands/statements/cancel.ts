import {endpointCommand} from '../../cli/endpoint-command.js'

export default class StatementsCancel extends endpointCommand('company_statements.cancel') {
  static override examples = ['<%= config.bin %> statements cancel 3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a --yes']
}
