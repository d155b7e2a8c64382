import {endpointCommand} from '../../cli/endpoint-command.js'

export default class TemplatesCreate extends endpointCommand('billing_templates.create') {
  static override examples = [
    '<%= config.bin %> templates create --brand-id 409eb80e-3782-4b1d-afa8-b779759266a5 --product "Monthly plan:1999" --currency USD --is-subscription --subscription-period 1 --subscription-period-units months',
    '<%= config.bin %> templates create --product "Consulting:50000" --currency USD --no-is-subscription',
  ]
}
