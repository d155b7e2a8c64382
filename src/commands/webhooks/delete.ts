import {endpointCommand} from '../../cli/endpoint-command.js'

export default class WebhooksDelete extends endpointCommand('webhooks.delete') {
  static override examples = ['<%= config.bin %> webhooks delete 7e6d5c4b-3a29-4180-9f8e-7d6c5b4a3928 --yes']
}
