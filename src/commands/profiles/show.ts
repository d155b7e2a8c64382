import {Args} from '@oclif/core'

import {UsageError} from '../../shared/errors.js'
import {UmmahCommand} from '../../cli/base-command.js'
import {viewProfile} from '../../config/profiles.js'

export default class ProfilesShow extends UmmahCommand {
  static override summary = 'Show the settings of a profile (the key masked)'
  static override description =
    'The settings of one profile (the active one unless named), with the key masked and where it is kept (key_storage: keychain, file or none).'
  static override examples = ['<%= config.bin %> profiles show', '<%= config.bin %> profiles show ci --json']
  static override args = {name: Args.string({description: 'Profile name (default: the one in use).'})}

  async run(): Promise<unknown> {
    const {args} = await this.parse(ProfilesShow)
    const store = await this.configStore()
    const name = args.name ?? this.profileName(store)
    const settings = store.profile(name)
    if (!settings) throw new UsageError(`Profile "${name}" does not exist`, 'See `ummah profiles list`.')
    return {...viewProfile(name, settings, store.activeProfile ?? ''), config_file: store.path}
  }
}
