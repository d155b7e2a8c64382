import {endpointCommand} from '../../cli/endpoint-command.js'

export default class WebhooksDeliveries extends endpointCommand('webhooks.deliveries') {
  static override examples = [
    '<%= config.bin %> webhooks deliveries --id d6c9b6a4-2f1e-4c3b-9a8d-7e6f5a4b3c21 --source-type purchase',
    '<%= config.bin %> webhooks deliveries --id d6c9b6a4-2f1e-4c3b-9a8d-7e6f5a4b3c21 --source-type purchase --all --json',
  ]
}
