import {Args} from '@oclif/core'

import {UsageError} from '../../shared/errors.js'
import {UmmahCommand} from '../../cli/base-command.js'
import {parseDuration} from '../../shared/duration.js'

export default class SandboxAdvance extends UmmahCommand {
  static override summary = "Move the sandbox account's test clock forward"
  static override description = 'Subscriptions that come due are renewed, charging their saved token; statements finish. Each key has its own clock.'
  static override examples = ['<%= config.bin %> sandbox advance 31d --profile sandbox', '<%= config.bin %> sandbox advance 12h']
  static override args = {duration: Args.string({description: 'How far: 90s, 15m, 12h, 30d or 2w.', required: true})}

  async run(): Promise<unknown> {
    const {args} = await this.parse(SandboxAdvance)
    if (parseDuration(args.duration) === undefined)
      throw new UsageError(`"${args.duration}" is not a duration`, 'Write it like 30d, 12h, 15m or 90s.')
    return this.sandboxHelper('advance', {duration: args.duration})
  }
}
