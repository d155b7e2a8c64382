import {Args} from '@oclif/core'

import {UmmahCommand} from '../../../../cli/base-command.js'
import {globalFlagsFor, yesFlag} from '../../../../cli/flags.js'
import {relayAdminApi, relayAdminFlags} from '../../../../cli/relay-flags.js'

export default class RelayChannelsTokensRevoke extends UmmahCommand {
  static override summary = "Revoke a channel's client token: its streams close"
  static override description =
    'The token stops working at once: streams using it are closed within 2 seconds on every relay instance, and the listeners on them stop with exit code 3.'
  static override examples = ['<%= config.bin %> relay channels tokens revoke team-dev tok_3f9a1c2b4d5e --yes']
  static override args = {
    name: Args.string({description: 'The channel.', required: true}),
    id: Args.string({description: 'The token id (tok_…), as `relay channels list` shows.', required: true}),
  }

  // No gateway call: the profile (for relay_url and relay_token), output and prompts are what apply.
  static override baseFlags = globalFlagsFor('profile', 'json', 'jq', 'debug', 'no-input', 'no-pager', 'quiet')
  static override flags = {...relayAdminFlags, yes: yesFlag}

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(RelayChannelsTokensRevoke)
    const {stored, profile} = await this.settings()
    const api = await relayAdminApi(flags, stored, process.env, profile)
    await this.confirmDestructive(`Revoke token ${args.id} of channel ${args.name} (its streams close, its listeners stop)?`, flags.yes)
    return api.revokeToken(args.name, args.id)
  }
}
