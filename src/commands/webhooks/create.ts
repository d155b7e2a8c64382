import {endpointCommand} from '../../cli/endpoint-command.js'

export default class WebhooksCreate extends endpointCommand('webhooks.create') {
  static override examples = [
    '<%= config.bin %> webhooks create --callback https://example.com/hooks/ummah --events purchase.paid,purchase.refunded --title "Orders"',
    '<%= config.bin %> webhooks create --callback https://example.com/hooks/ummah --all-events',
  ]
}
