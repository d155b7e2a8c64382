import {endpointCommand} from '../../cli/endpoint-command.js'

export default class PurchasesRelease extends endpointCommand('purchases.release') {
  static override examples = ['<%= config.bin %> purchases release d6c9b6a4-2f1e-4c3b-9a8d-7e6f5a4b3c21 --yes']
}
