import {UmmahCommand} from '../../cli/base-command.js'
import {yesFlag} from '../../cli/flags.js'

export default class SandboxReset extends UmmahCommand {
  static override summary = 'Delete everything in the sandbox account of this key'
  static override description =
    "Removes every purchase, client, template, webhook and statement of the account that the current key owns, and resets its test clock. Other keys' accounts are untouched."
  static override examples = ['<%= config.bin %> sandbox reset --profile sandbox --yes']
  static override flags = {yes: yesFlag}

  async run(): Promise<unknown> {
    const {flags} = await this.parse(SandboxReset)
    await this.confirmDestructive('Delete every object in this sandbox account?', flags.yes)
    return this.sandboxHelper('reset')
  }
}
