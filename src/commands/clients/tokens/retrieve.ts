import {endpointCommand} from '../../../cli/endpoint-command.js'

export default class ClientsTokensRetrieve extends endpointCommand('clients.recurring_tokens.retrieve') {
  static override examples = ['<%= config.bin %> clients tokens retrieve 5b1f3e2a-8c4d-4e6f-a1b2-c3d4e5f6a7b8 0f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f']
}
