import {endpointCommand} from '../../cli/endpoint-command.js'

export default class PurchasesCreate extends endpointCommand('purchases.create', {link: 'checkout_url'}) {
  static override examples = [
    '<%= config.bin %> purchases create --brand-id 409eb80e-3782-4b1d-afa8-b779759266a5 --email jane@example.com --product "T-Shirt:2999" --product "Socks:500:2" --currency USD',
    '<%= config.bin %> purchases create --email jane@example.com --product "Pro plan:4900" --currency USD --skip-capture --open',
    '<%= config.bin %> purchases create --email jane@example.com --product "Renewal:4900" --currency USD --recurring-token 0f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f',
    '<%= config.bin %> purchases create --email jane@example.com --product "T-Shirt:2999" --currency USD --json | jq -r .checkout_url',
  ]
}
