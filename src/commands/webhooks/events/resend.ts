import {Args, Flags} from '@oclif/core'

import {UmmahCommand} from '../../../cli/base-command.js'
import {UsageError} from '../../../shared/errors.js'

export default class WebhooksEventsResend extends UmmahCommand {
  static override summary = 'Forward a received delivery to your app again, or edit it and have the sandbox deliver it signed'
  static override description =
    "Sends the spooled delivery's exact bytes and original headers (X-Signature included) once more, to --forward or to where the last `webhooks listen` forwarded, and records your app's answer as a replay attempt. With --edit (sandbox only), the event opens in $VISUAL or $EDITOR with a new id; the sandbox signs what you save with the listener webhook's own key and delivers it through the listener, so your app's signature check passes."

  static override examples = [
    '<%= config.bin %> webhooks events resend evt-5d1c6a0e-0b8e-4a5e-9f1d-2b3c4d5e6f70',
    '<%= config.bin %> webhooks events resend evt-5d1c6a0e-0b8e-4a5e-9f1d-2b3c4d5e6f70 --forward localhost:4000/webhook',
    'EDITOR=nano <%= config.bin %> webhooks events resend evt-5d1c6a0e-0b8e-4a5e-9f1d-2b3c4d5e6f70 --edit',
  ]

  static override args = {id: Args.string({description: 'Event ID (see `ummah webhooks events list`).', required: true})}
  static override flags = {
    forward: Flags.string({char: 'f', summary: 'Target (default: the last listen --forward).', exclusive: ['edit']}),
    'forward-timeout': Flags.integer({summary: 'Seconds to wait for your app (1 to 3600).', default: 30, min: 1, max: 3600}),
    edit: Flags.boolean({summary: 'Edit the event in $EDITOR; the sandbox signs and delivers the edit through the running listener.'}),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(WebhooksEventsResend)
    const events = await import('../../../webhooks/events.js')
    const {profile} = await this.settings()
    if (!flags.edit) return events.resendEvent(profile, args.id, {forward: flags.forward, timeoutMs: flags['forward-timeout'] * 1000})
    const {webhookId, text} = await events.editableEvent(profile, args.id)
    const index = (await this.sandboxHelper('', undefined, 'GET').catch(() => undefined)) as {sandbox?: unknown} | undefined
    if (index?.sandbox !== true)
      throw new UsageError('--edit needs the sandbox', "Only it holds the webhook's signing key; resend the exact bytes without --edit.")
    const {editText} = await import('../../../cli/editor.js')
    const payload = await editText(text, {interactive: this.terminal().interactive})
    return this.sandboxHelper(`webhooks/${encodeURIComponent(webhookId)}/deliver`, {payload})
  }
}
