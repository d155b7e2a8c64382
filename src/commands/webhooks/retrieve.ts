import {endpointCommand} from '../../cli/endpoint-command.js'

export default class WebhooksRetrieve extends endpointCommand('webhooks.retrieve') {
  static override examples = ['<%= config.bin %> webhooks retrieve 7e6d5c4b-3a29-4180-9f8e-7d6c5b4a3928']
}
