import {UmmahCommand} from '../../cli/base-command.js'
import {showSetting} from '../../config/profiles.js'
import {SETTING_NAMES} from '../../config/store.js'

export default class ConfigList extends UmmahCommand {
  static override summary = 'Show every setting of the profile (the key masked)'
  static override description =
    'Every stored setting of the profile chosen with --profile (else UMMAH_PROFILE, else the active profile). The key is printed masked.'
  static override examples = ['<%= config.bin %> config list', '<%= config.bin %> config list --profile sandbox --json']

  async run(): Promise<unknown> {
    await this.parse(ConfigList)
    const store = await this.configStore()
    const profile = this.profileName(store)
    const settings = store.profile(profile) ?? {}
    return Object.fromEntries([['profile', profile], ...SETTING_NAMES.map((name) => [name, showSetting(name, settings) ?? null])])
  }
}
