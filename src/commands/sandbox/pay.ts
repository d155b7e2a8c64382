import {Args, Flags} from '@oclif/core'

import {checkId} from '../../api/paths.js'
import {UmmahCommand} from '../../cli/base-command.js'

export default class SandboxPay extends UmmahCommand {
  static override summary = 'Pay a purchase on the sandbox without a browser'
  static override description =
    'Completes the hosted checkout with a test card: 4242424242424242 succeeds, 4000000000000002 is declined, 4000000000003220 passes 3-D Secure (or fails it with --fail-3ds), 4000000000000341 succeeds but its saved token declines later charges.'

  static override examples = [
    '<%= config.bin %> sandbox pay d6c9e9e0-1b5a-4c6e-8b3a-0f1a2b3c4d5e --profile sandbox',
    '<%= config.bin %> sandbox pay ID --card 4000000000000002',
  ]
  static override args = {id: Args.string({description: 'Purchase ID.', required: true})}
  static override flags = {
    card: Flags.string({summary: 'Test card number.', default: '4242424242424242'}),
    'fail-3ds': Flags.boolean({summary: 'Fail the 3-D Secure step of 4000000000003220.'}),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(SandboxPay)
    return this.sandboxHelper(`purchases/${checkId('id', args.id, 'uuid')}/pay`, {
      card: flags.card,
      three_d_secure: flags['fail-3ds'] ? 'fail' : 'pass',
    })
  }
}
