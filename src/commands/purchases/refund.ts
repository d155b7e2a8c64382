import {endpointCommand} from '../../cli/endpoint-command.js'

export default class PurchasesRefund extends endpointCommand('purchases.refund') {
  static override examples = [
    '<%= config.bin %> purchases refund d6c9b6a4-2f1e-4c3b-9a8d-7e6f5a4b3c21 --yes',
    '<%= config.bin %> purchases refund d6c9b6a4-2f1e-4c3b-9a8d-7e6f5a4b3c21 --amount 500 --reference order-42 --yes',
  ]
}
