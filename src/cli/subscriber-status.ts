/** `templates subscribers pause|resume ID CLIENT_ID`: the subscriber update with its status fixed. */
import {endpoint} from '../api/endpoints.js'
import {UmmahCommand} from './base-command.js'
import {endpointArgs} from './endpoint-input.js'

const target = endpoint('billing_templates.clients.update')

export function subscriberStatusCommand(status: 'active' | 'subscription_paused') {
  abstract class SubscriberStatusCommand extends UmmahCommand {
    static override args = endpointArgs(target)

    async run(): Promise<unknown> {
      const {args} = await this.parse()
      return this.call('billing_templates.clients.update', {params: {id: String(args.id), client_id: String(args.client_id)}, body: {status}})
    }
  }
  return SubscriberStatusCommand
}
