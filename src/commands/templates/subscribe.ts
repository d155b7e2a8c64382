import {endpointCommand} from '../../cli/endpoint-command.js'

export default class TemplatesSubscribe extends endpointCommand('billing_templates.add_subscriber', {link: 'purchase.checkout_url'}) {
  static override examples = [
    '<%= config.bin %> templates subscribe 9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d --client-id 5b1f3e2a-8c4d-4e6f-a1b2-c3d4e5f6a7b8',
    '<%= config.bin %> templates subscribe 9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d --client-id 5b1f3e2a-8c4d-4e6f-a1b2-c3d4e5f6a7b8 --status subscription_paused',
  ]
}
