import {Args} from '@oclif/core'

import {UsageError} from '../../shared/errors.js'
import {UmmahCommand} from '../../cli/base-command.js'
import {viewProfile} from '../../config/profiles.js'

export default class ProfilesUse extends UmmahCommand {
  static override summary = 'Make a profile the active one'
  static override description = 'Commands run without --profile or UMMAH_PROFILE then use it.'
  static override examples = ['<%= config.bin %> profiles use sandbox', '<%= config.bin %> profiles use live']
  static override args = {name: Args.string({description: 'Profile name.', required: true})}

  async run(): Promise<unknown> {
    const {args} = await this.parse(ProfilesUse)
    const store = await this.configStore()
    const settings = store.profile(args.name)
    if (!settings) throw new UsageError(`Profile "${args.name}" does not exist`, `Create it with \`ummah login --profile ${args.name}\`.`)
    await store.setActive(args.name)
    this.notice(`Active profile: ${args.name}`)
    return viewProfile(args.name, settings, args.name)
  }
}
