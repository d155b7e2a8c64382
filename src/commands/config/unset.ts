import {Args} from '@oclif/core'

import {UmmahCommand} from '../../cli/base-command.js'
import {checkSettingName} from '../../config/profiles.js'

export default class ConfigUnset extends UmmahCommand {
  static override summary = 'Remove one setting from the profile'
  static override description =
    'The profile falls back to the default for that setting: the default API base, no default brand, colour on a terminal only.'
  static override examples = ['<%= config.bin %> config unset brand_id', '<%= config.bin %> config unset api_base --profile staging']
  static override args = {key: Args.string({description: 'Setting name.', required: true})}

  async run(): Promise<unknown> {
    const {args} = await this.parse(ConfigUnset)
    const name = checkSettingName(args.key)
    const store = await this.configStore()
    const profile = this.profileName(store)
    if (name === 'api_key') await (await import('../../config/keys.js')).removeKeys(store, [profile])
    else if (name === 'relay_token') await (await import('../../config/keys.js')).removeRelayToken(store, profile)
    else await store.updateProfile(profile, {[name]: undefined})
    this.notice(`Unset ${name} of profile "${profile}".`)
    return {profile, unset: name}
  }
}
