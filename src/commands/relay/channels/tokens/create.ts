import {Args} from '@oclif/core'
import {globalFlagsFor} from '../../../../cli/flags.js'

import {UmmahCommand} from '../../../../cli/base-command.js'
import {relayAdminApi, relayAdminFlags} from '../../../../cli/relay-flags.js'

export default class RelayChannelsTokensCreate extends UmmahCommand {
  static override summary = 'Make a client token for a channel (one per developer or CI job)'
  static override description = 'A client token streams its own channel only. It is shown this once; revoke it with `relay channels tokens revoke`.'
  static override examples = ['<%= config.bin %> relay channels tokens create team-dev']
  static override args = {name: Args.string({description: 'The channel.', required: true})}
  // No gateway call: the profile (for relay_url and relay_token), output and prompts are what apply.
  static override baseFlags = globalFlagsFor('profile', 'json', 'jq', 'debug', 'no-input', 'no-pager', 'quiet')
  static override flags = relayAdminFlags

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(RelayChannelsTokensCreate)
    const {stored, profile} = await this.settings()
    const api = await relayAdminApi(flags, stored, process.env, profile)
    return api.createToken(args.name)
  }
}
