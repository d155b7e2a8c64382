import {endpointCommand} from '../../cli/endpoint-command.js'

export default class ClientsPatch extends endpointCommand('clients.partial_update') {
  static override examples = [
    '<%= config.bin %> clients patch 5b1f3e2a-8c4d-4e6f-a1b2-c3d4e5f6a7b8 --phone +971501234567',
    '<%= config.bin %> clients patch 5b1f3e2a-8c4d-4e6f-a1b2-c3d4e5f6a7b8 --data \'{"city": "Dubai"}\'',
  ]
}
