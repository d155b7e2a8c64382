import {endpointCommand} from '../../cli/endpoint-command.js'

export default class InvoicesSend extends endpointCommand('billing.send', {link: 'checkout_url'}) {
  static override examples = [
    '<%= config.bin %> invoices send --brand-id 409eb80e-3782-4b1d-afa8-b779759266a5 --client-id 5b1f3e2a-8c4d-4e6f-a1b2-c3d4e5f6a7b8 --product "Consulting:50000" --currency USD',
    '<%= config.bin %> invoices send --client-id 5b1f3e2a-8c4d-4e6f-a1b2-c3d4e5f6a7b8 --client-id 0f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f --product "Workshop:15000:2" --currency EUR',
  ]
}
