import {UmmahCommand} from '../../../cli/base-command.js'
import {relayAdminApi, relayAdminFlags} from '../../../cli/relay-flags.js'
import {globalFlagsFor} from '../../../cli/flags.js'

export default class RelayChannelsList extends UmmahCommand {
  static override summary = "List the relay's channels with their ingress URLs"
  static override description =
    "Each channel's ingress URL (what the gateway webhook posts to) and its client tokens' ids; tokens themselves are never shown again after they are made."
  static override examples = [
    '<%= config.bin %> relay channels list --relay https://relay.example.com',
    '<%= config.bin %> relay channels list --json',
  ]
  static override columns = [
    {field: 'name', whole: true},
    {field: 'ingress_url', header: 'ingress url'},
    {field: 'tokens', whole: true},
    {field: 'created_at', header: 'created', kind: 'date' as const},
  ]
  // No gateway call: the profile (for relay_url and relay_token), output and prompts are what apply.
  static override baseFlags = globalFlagsFor('profile', 'json', 'jq', 'debug', 'no-input', 'no-pager', 'quiet')
  static override flags = relayAdminFlags

  async run(): Promise<unknown> {
    const {flags} = await this.parse(RelayChannelsList)
    const {stored, profile} = await this.settings()
    const api = await relayAdminApi(flags, stored, process.env, profile)
    return (await api.listChannels()).map((channel) => ({...channel, tokens: channel.tokens.map((token) => token.id).join(', ')}))
  }
}
