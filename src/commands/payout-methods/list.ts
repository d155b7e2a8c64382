import {endpointCommand} from '../../cli/endpoint-command.js'

export default class PayoutMethodsList extends endpointCommand('payout_methods.list') {
  static override examples = ['<%= config.bin %> payout-methods list --brand-id 409eb80e-3782-4b1d-afa8-b779759266a5 --currency USD']
}
