import {endpointCommand} from '../../cli/endpoint-command.js'

export default class WebhooksPatch extends endpointCommand('webhooks.partial_update') {
  static override examples = [
    '<%= config.bin %> webhooks patch 7e6d5c4b-3a29-4180-9f8e-7d6c5b4a3928 --events purchase.paid',
    '<%= config.bin %> webhooks patch 7e6d5c4b-3a29-4180-9f8e-7d6c5b4a3928 --no-all-events --events purchase.refunded',
  ]
}
