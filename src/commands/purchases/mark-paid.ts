import {endpointCommand} from '../../cli/endpoint-command.js'

export default class PurchasesMarkPaid extends endpointCommand('purchases.mark_as_paid') {
  static override examples = [
    '<%= config.bin %> purchases mark-paid d6c9b6a4-2f1e-4c3b-9a8d-7e6f5a4b3c21',
    '<%= config.bin %> purchases mark-paid d6c9b6a4-2f1e-4c3b-9a8d-7e6f5a4b3c21 --paid-on 2026-11-20T10:00:00Z',
  ]
}
