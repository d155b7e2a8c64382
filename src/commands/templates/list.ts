import {endpointCommand} from '../../cli/endpoint-command.js'

export default class TemplatesList extends endpointCommand('billing_templates.list') {
  static override examples = ['<%= config.bin %> templates list', '<%= config.bin %> templates list --all --json']
}
