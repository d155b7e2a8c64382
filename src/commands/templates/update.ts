import {endpointCommand} from '../../cli/endpoint-command.js'

export default class TemplatesUpdate extends endpointCommand('billing_templates.update') {
  static override examples = [
    '<%= config.bin %> templates update 9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d --product "Monthly plan:2499" --currency USD --is-subscription --subscription-period 1 --subscription-period-units months',
  ]
}
