import {endpointCommand} from '../../cli/endpoint-command.js'

export default class TemplatesRetrieve extends endpointCommand('billing_templates.retrieve') {
  static override examples = ['<%= config.bin %> templates retrieve 9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d']
}
