import {endpointCommand} from '../../../cli/endpoint-command.js'

export default class TemplatesSubscribersList extends endpointCommand('billing_templates.clients.list') {
  static override examples = ['<%= config.bin %> templates subscribers list 9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d']
}
