import {Flags} from '@oclif/core'

import {UmmahCommand} from '../../cli/base-command.js'
import {durationFlag} from '../../cli/flags.js'
import {AssertionFailed, UsageError} from '../../shared/errors.js'
import {DELIVERY_FORMATS} from '../../schemes/catalog.js'

export default class WebhooksCheckApp extends UmmahCommand {
  static override summary = "Run the API reference's checklist for webhook handlers against your app"
  static override description =
    "Against the sandbox: every event type genuinely signed with this profile's listener webhook key (the one `webhooks listen --print-public-key` prints) must be answered 2xx; a forged signature, a body changed by one byte, a missing signature, a re-serialised body and an event created outside the reference's 10-minute window must be refused with 4xx (not 2xx, not 5xx); a duplicate of a delivered event must be answered 2xx, so the gateway stops retrying; garbage and an empty body must get a 4xx; every answer must come within the gateway's time limit (p99 over 5 s warns). With --scheme umm-services|numipay|generic and --webhook-id of a webhook whose sandbox_delivery sends that format, that document's own rules: UMM Services counts only 200 and proves the sender by its credentials; NumiPay signs re-serialised JSON and neither partner has a time window. A scorecard on a terminal, every check with --json; exit 1 when a required check fails."

  static override examples = [
    '<%= config.bin %> webhooks check-app --forward localhost:3000/webhook',
    '<%= config.bin %> webhooks check-app --forward :3000/webhook --json',
    '<%= config.bin %> webhooks check-app --forward :3000/numipay --scheme numipay --webhook-id wh-…',
  ]
  static override humanView = async (result: unknown) => (await import('../../cli/scorecard.js')).scorecardLines(result)
  static override flags = {
    forward: Flags.string({char: 'f', summary: 'Where your app listens: localhost:3000/webhook, :3000 or http(s)://host:port/path.', required: true}),
    'time-limit': durationFlag({summary: "How long the gateway waits for an answer (the sandbox's 10s).", default: '10s', maxMs: 120_000}),
    'webhook-id': Flags.string({summary: "Sign with this webhook's key and scheme instead of this profile's listener webhook."}),
    scheme: Flags.option({
      summary: "The webhook document whose rules to check: Ummah's, or a partner's (its webhook's sandbox_delivery.format).",
      options: DELIVERY_FORMATS,
      default: 'ummah' as const,
    })(),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(WebhooksCheckApp)
    const [{parseForwardTarget}, {listenerPublicKey}, {checkApp}] = await Promise.all([
      import('../../webhooks/forward-target.js'),
      import('../../webhooks/listen.js'),
      import('../../webhooks/check-app.js'),
    ])
    const target = parseForwardTarget(flags.forward)
    const api = this.webhookApi()
    if (!(await api.isSandbox!().catch(() => false)))
      throw new UsageError(
        "check-app runs against the sandbox: only it can sign a delivery with the webhook's key",
        'Start one (`ummah sandbox start`) and use its profile: -p sandbox.',
      )
    const webhook = await listenerPublicKey(api, (await this.settings()).profile, flags['webhook-id'])
    const samples = (createdOn: number) => api.samples!(webhook.id, createdOn)
    const report = await checkApp({target, webhookId: webhook.id, format: flags.scheme, samples, timeLimitMs: flags['time-limit']})
    if (!report.ok)
      throw new AssertionFailed(`${report.failed} required check${report.failed === 1 ? '' : 's'} of the webhook checklist failed`, report, {
        code: 'check_failed',
        hint: 'Each failed check says what the app answered and what the reference expects.',
      })
    return report
  }
}
