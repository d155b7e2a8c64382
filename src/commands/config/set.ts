import {Args} from '@oclif/core'

import {UmmahCommand} from '../../cli/base-command.js'
import {insecureStorageFlag} from '../../cli/flags.js'
import {checkSetting, checkSettingName, showSetting} from '../../config/profiles.js'
import {SETTING_NAMES} from '../../config/store.js'

export default class ConfigSet extends UmmahCommand {
  static override summary = 'Change one setting of the profile'
  static override description = `Settings: ${SETTING_NAMES.join(', ')}. brand_id is the default for --brand-id; color is auto, always or never; relay_url and relay_token are the defaults for \`webhooks listen --relay\` and \`--relay-token\`. A live api_key goes to the OS keychain, as with \`ummah login\`; so does relay_token when there is a keychain (else the 0600 file).`
  static override examples = [
    '<%= config.bin %> config set brand_id 409eb80e-3782-4b1d-afa8-b779759266a5',
    '<%= config.bin %> config set api_base http://127.0.0.1:8420/api/v1 --profile local',
    '<%= config.bin %> config set color never',
  ]

  static override args = {
    key: Args.string({description: 'Setting name.', required: true}),
    value: Args.string({description: 'New value.', required: true}),
  }

  static override flags = {'insecure-storage': insecureStorageFlag}

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(ConfigSet)
    const name = checkSettingName(args.key)
    const value = checkSetting(name, args.value)
    const store = await this.configStore()
    const profile = this.profileName(store)
    let saved
    if (name === 'api_key') {
      const {saveKey} = await import('../../config/keys.js')
      const result = await saveKey(store, profile, value, {insecureStorage: flags['insecure-storage']})
      for (const notice of result.notices) this.notice(notice)
      saved = result.saved
    } else if (name === 'relay_token') {
      const {saveRelayToken} = await import('../../config/keys.js')
      const result = await saveRelayToken(store, profile, value)
      for (const notice of result.notices) this.notice(notice)
      saved = result.saved
    } else {
      saved = await store.updateProfile(profile, {[name]: value})
    }
    this.notice(`Set ${name} of profile "${profile}".`)
    return {profile, [name]: showSetting(name, saved)}
  }
}
