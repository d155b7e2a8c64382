import {Args} from '@oclif/core'

import {UmmahCommand} from '../../cli/base-command.js'
import {checkSettingName, showSetting} from '../../config/profiles.js'
import {SETTING_NAMES} from '../../config/store.js'

export default class ConfigGet extends UmmahCommand {
  static override summary = 'Print one setting of the profile (the key masked)'
  static override description =
    'Settings: api_key, api_base, brand_id (the default --brand-id) and color (auto, always, never). The key is printed masked.'
  static override examples = ['<%= config.bin %> config get api_base', '<%= config.bin %> config get brand_id --profile live']
  static override args = {key: Args.string({description: `One of ${SETTING_NAMES.join(', ')}.`, required: true})}

  async run(): Promise<unknown> {
    const {args} = await this.parse(ConfigGet)
    const name = checkSettingName(args.key)
    const store = await this.configStore()
    return showSetting(name, store.profile(this.profileName(store)) ?? {}) ?? null
  }
}
