import {Flags} from '@oclif/core'

import {UsageError} from '../shared/errors.js'
import {UmmahCommand} from '../cli/base-command.js'
import {yesFlag} from '../cli/flags.js'
import {keyStorage} from '../config/profiles.js'

export default class Logout extends UmmahCommand {
  static override summary = 'Remove the saved key of a profile'
  static override description =
    'Removes the key of the active profile (or --profile NAME, or every profile with --all), from the config file or, for a live key, from the OS keychain. Other settings of the profile stay.'

  static override examples = ['<%= config.bin %> logout', '<%= config.bin %> logout --profile ci', '<%= config.bin %> logout --all --yes']

  static override flags = {
    all: Flags.boolean({summary: 'Remove the keys of every profile (asks first; --yes does not).'}),
    yes: yesFlag,
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(Logout)
    const store = await this.configStore()
    const names = flags.all ? Object.keys(store.profiles()).filter((name) => store.isStored(name)) : [this.profileName(store)]
    if (!flags.all && keyStorage(store.profile(names[0]) ?? {}) === 'none') {
      throw new UsageError(`Profile "${names[0]}" has no saved key`, 'See `ummah profiles list`.')
    }
    if (flags.all && names.length > 0)
      await this.confirmDestructive(
        `Remove the saved keys of ${names.length} profile${names.length === 1 ? '' : 's'} (${names.join(', ')})?`,
        flags.yes,
      )
    const {removeKeys} = await import('../config/keys.js')
    await removeKeys(store, names)
    this.notice(`Removed the key of ${names.length === 1 ? `profile "${names[0]}"` : `${names.length} profiles`}.`)
    return {logged_out: names}
  }
}
