import {endpointCommand} from '../../cli/endpoint-command.js'

export default class PurchasesResendInvoice extends endpointCommand('purchases.resend_invoice') {
  static override examples = ['<%= config.bin %> purchases resend-invoice d6c9b6a4-2f1e-4c3b-9a8d-7e6f5a4b3c21']
}
