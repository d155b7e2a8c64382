import {Args} from '@oclif/core'

import {UmmahCommand} from '../../../cli/base-command.js'
import {globalFlagsFor, yesFlag} from '../../../cli/flags.js'
import {relayAdminApi, relayAdminFlags} from '../../../cli/relay-flags.js'

export default class RelayChannelsDelete extends UmmahCommand {
  static override summary = 'Delete a relay channel, its entries and its tokens'
  static override description = 'Its ingress URL answers 404 from then on, and its streams close.'
  static override examples = ['<%= config.bin %> relay channels delete team-dev --yes']
  static override args = {name: Args.string({description: 'The channel.', required: true})}
  // No gateway call: the profile (for relay_url and relay_token), output and prompts are what apply.
  static override baseFlags = globalFlagsFor('profile', 'json', 'jq', 'debug', 'no-input', 'no-pager', 'quiet')
  static override flags = {...relayAdminFlags, yes: yesFlag}

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(RelayChannelsDelete)
    const {stored, profile} = await this.settings()
    const api = await relayAdminApi(flags, stored, process.env, profile)
    await this.confirmDestructive(`Delete channel ${args.name} and every entry in it?`, flags.yes)
    return api.deleteChannel(args.name)
  }
}
