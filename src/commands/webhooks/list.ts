import {endpointCommand} from '../../cli/endpoint-command.js'

export default class WebhooksList extends endpointCommand('webhooks.list') {
  static override examples = ['<%= config.bin %> webhooks list', '<%= config.bin %> webhooks list --json']
}
