import {Args} from '@oclif/core'

import {UmmahCommand} from '../../cli/base-command.js'
import {yesFlag} from '../../cli/flags.js'
import {checkSettingName} from '../../config/profiles.js'

export default class ConfigUnset extends UmmahCommand {
  static override summary = 'Remove one setting from the profile'
  static override description =
    'The profile falls back to the default for that setting: the default API base, no default brand, colour on a terminal only.'
  static override examples = ['<%= config.bin %> config unset brand_id', '<%= config.bin %> config unset api_base --profile staging']
  static override args = {key: Args.string({description: 'Setting name.', required: true})}
  static override flags = {yes: yesFlag}

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(ConfigUnset)
    const name = checkSettingName(args.key)
    const store = await this.configStore()
    const profile = this.profileName(store)
    // A saved secret is gone for good (a live key from the keychain too): asked first, like logout.
    if (name === 'api_key' || name === 'relay_token')
      await this.confirmDestructive(`Remove the saved ${name === 'api_key' ? 'key' : 'relay token'} of profile "${profile}"?`, flags.yes)
    if (name === 'api_key') await (await import('../../config/keys.js')).removeKeys(store, [profile])
    else if (name === 'relay_token') await (await import('../../config/keys.js')).removeRelayToken(store, profile)
    else await store.updateProfile(profile, {[name]: undefined})
    this.notice(`Unset ${name} of profile "${profile}".`)
    return {profile, unset: name}
  }
}
