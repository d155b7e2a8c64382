import {endpointCommand} from '../../cli/endpoint-command.js'

export default class ClientsCreate extends endpointCommand('clients.create') {
  static override examples = ['<%= config.bin %> clients create --email jane@example.com --full-name "Jane Doe" --country AE --phone +971501234567']
}
