import {endpointCommand} from '../../cli/endpoint-command.js'

export default class ClientsUpdate extends endpointCommand('clients.update') {
  static override examples = ['<%= config.bin %> clients update 5b1f3e2a-8c4d-4e6f-a1b2-c3d4e5f6a7b8 --email jane@example.com --full-name "Jane Doe"']
}
