import {Args} from '@oclif/core'

import {UsageError} from '../../shared/errors.js'
import {UmmahCommand} from '../../cli/base-command.js'
import {yesFlag} from '../../cli/flags.js'

export default class ProfilesRemove extends UmmahCommand {
  static override summary = 'Delete a profile and its key'
  static override description =
    'Removes the profile and its key from the config file (a live key from the OS keychain). Removing the active profile leaves none active until `ummah profiles use`.'
  static override examples = ['<%= config.bin %> profiles remove staging', '<%= config.bin %> profiles remove ci --yes']
  static override args = {name: Args.string({description: 'Profile name.', required: true})}
  static override flags = {yes: yesFlag}

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(ProfilesRemove)
    const store = await this.configStore()
    if (!store.isStored(args.name)) throw new UsageError(`Profile "${args.name}" does not exist`, 'See `ummah profiles list`.')
    await this.confirmDestructive(`Delete profile "${args.name}" and its key?`, flags.yes)
    const {removeKeys} = await import('../../config/keys.js')
    await removeKeys(store, [args.name], {removeProfiles: true})
    this.notice(`Removed profile "${args.name}".`)
    return {removed: args.name}
  }
}
