import {endpointCommand} from '../../cli/endpoint-command.js'

export default class WebhooksPublicKey extends endpointCommand('public_key.retrieve') {
  static override examples = ['<%= config.bin %> webhooks public-key', '<%= config.bin %> webhooks public-key --json']
}
