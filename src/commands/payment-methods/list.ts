import {endpointCommand} from '../../cli/endpoint-command.js'

export default class PaymentMethodsList extends endpointCommand('payment_methods.list') {
  static override examples = ['<%= config.bin %> payment-methods list --brand-id 409eb80e-3782-4b1d-afa8-b779759266a5 --currency USD']
}
