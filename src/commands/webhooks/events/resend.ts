import {Args, Flags} from '@oclif/core'

import {UmmahCommand} from '../../../cli/base-command.js'

export default class WebhooksEventsResend extends UmmahCommand {
  static override summary = 'Forward a received delivery to your app again'
  static override description =
    "Sends the spooled delivery's exact bytes and original headers (X-Signature included) once more, to --forward or to where the last `webhooks listen` forwarded. For replaying an event after fixing a handler."

  static override examples = [
    '<%= config.bin %> webhooks events resend evt-5d1c6a0e-0b8e-4a5e-9f1d-2b3c4d5e6f70',
    '<%= config.bin %> webhooks events resend evt-5d1c6a0e-0b8e-4a5e-9f1d-2b3c4d5e6f70 --forward localhost:4000/webhook',
  ]

  static override args = {id: Args.string({description: 'Event ID (see `ummah webhooks events list`).', required: true})}
  static override flags = {
    forward: Flags.string({char: 'f', summary: 'Target (default: the last listen --forward).'}),
    'forward-timeout': Flags.integer({summary: 'Seconds to wait for your app (1 to 3600).', default: 30, min: 1, max: 3600}),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(WebhooksEventsResend)
    const {resendEvent} = await import('../../../webhooks/events.js')
    return resendEvent((await this.settings()).profile, args.id, {forward: flags.forward, timeoutMs: flags['forward-timeout'] * 1000})
  }
}
