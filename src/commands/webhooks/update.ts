import {endpointCommand} from '../../cli/endpoint-command.js'

export default class WebhooksUpdate extends endpointCommand('webhooks.update') {
  static override examples = [
    '<%= config.bin %> webhooks update 7e6d5c4b-3a29-4180-9f8e-7d6c5b4a3928 --callback https://example.com/hooks/ummah --all-events --title Orders',
  ]
}
