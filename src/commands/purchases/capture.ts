import {endpointCommand} from '../../cli/endpoint-command.js'

export default class PurchasesCapture extends endpointCommand('purchases.capture') {
  static override examples = [
    '<%= config.bin %> purchases capture d6c9b6a4-2f1e-4c3b-9a8d-7e6f5a4b3c21',
    '<%= config.bin %> purchases capture d6c9b6a4-2f1e-4c3b-9a8d-7e6f5a4b3c21 --amount 1500',
  ]
}
