import {Args} from '@oclif/core'

import {UmmahCommand} from '../../../cli/base-command.js'

export default class WebhooksEventsShow extends UmmahCommand {
  static override summary = "Show one delivery `webhooks listen` received: its headers, body and the app's answers"
  static override description =
    "Reads this profile's listener spool: the delivery's state (pending, delivered, failed), attempts and the app's last status, and the request as the listener received it: its headers and the exact body (text when it is UTF-8; `body_base64` under --json is always the exact bytes), how its signature was checked, and every forward with the app's answer (status, headers, the first 64 KiB of its body, duration, and the retry that followed)."

  static override examples = ['<%= config.bin %> webhooks events show evt_1a2b3c', '<%= config.bin %> webhooks events show evt_1a2b3c --jq .body']
  static override args = {id: Args.string({description: 'The event id, as `webhooks events list` shows it.', required: true})}

  async run(): Promise<unknown> {
    const {args} = await this.parse(WebhooksEventsShow)
    const {showEvent} = await import('../../../webhooks/events.js')
    const event = await showEvent((await this.settings()).profile, args.id)
    if (this.jsonEnabled()) return event
    // The human view: the row, the headers, then the body as received (JSON indented, else as text).
    const {body_base64: _exact, body, ...view} = event
    let shown = body ?? `(${event.body_bytes} bytes, not UTF-8: see --json body_base64)`
    try {
      if (body !== null) shown = JSON.stringify(JSON.parse(body), null, 2)
    } catch {
      // Not JSON: shown as the text it is.
    }
    // Each answer as text: its exact bytes are for --json.
    const answers = view.answers.map(({body_base64: _bytes, ...answer}) => ({
      ...answer,
      body: answer.body ?? (answer.body_bytes ? '(not UTF-8)' : ''),
    }))
    return {...view, answers, body: shown}
  }
}
