import {endpointCommand} from '../../cli/endpoint-command.js'

export default class ClientsList extends endpointCommand('clients.list') {
  static override examples = [
    '<%= config.bin %> clients list',
    '<%= config.bin %> clients list --limit 5',
    '<%= config.bin %> clients list --all --json',
  ]
}
