import {endpointCommand} from '../../cli/endpoint-command.js'

export default class PurchasesRetrieve extends endpointCommand('purchases.retrieve') {
  static override examples = [
    '<%= config.bin %> purchases retrieve d6c9b6a4-2f1e-4c3b-9a8d-7e6f5a4b3c21',
    '<%= config.bin %> purchases retrieve d6c9b6a4-2f1e-4c3b-9a8d-7e6f5a4b3c21 --json',
  ]
}
