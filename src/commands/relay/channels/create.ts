import {Args} from '@oclif/core'
import {globalFlagsFor} from '../../../cli/flags.js'

import {UmmahCommand} from '../../../cli/base-command.js'
import {relayAdminApi, relayAdminFlags} from '../../../cli/relay-flags.js'

export default class RelayChannelsCreate extends UmmahCommand {
  static override summary = 'Create a relay channel: its ingress URL and a first client token'
  static override description =
    'Register the ingress URL on the gateway once (`ummah webhooks create --callback URL`, or let the first `webhooks listen --relay … --channel NAME` do it); hand the token to whoever streams the channel. The token is shown this once: the relay keeps only its digest.'

  static override examples = ['<%= config.bin %> relay channels create team-dev --relay https://relay.example.com']
  static override args = {name: Args.string({description: 'Lower-case letters, digits and dashes (up to 63).', required: true})}
  // No gateway call: the profile (for relay_url and relay_token), output and prompts are what apply.
  static override baseFlags = globalFlagsFor('profile', 'json', 'jq', 'debug', 'no-input', 'no-pager', 'quiet')
  static override flags = relayAdminFlags

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(RelayChannelsCreate)
    const {stored, profile} = await this.settings()
    const api = await relayAdminApi(flags, stored, process.env, profile)
    const channel = await api.createChannel(args.name)
    this.notice(`Created channel ${channel.name}. Its token is shown only now: keep it in a secrets manager.`)
    return {name: channel.name, ingress_url: channel.ingress_url, token_id: channel.token?.id, token: channel.token?.token}
  }
}
