import {Args, Flags} from '@oclif/core'

import {UmmahCommand} from '../../cli/base-command.js'
import {durationFlag} from '../../cli/flags.js'

export default class WebhooksExpect extends UmmahCommand {
  static override summary = 'Wait for events your app caused, and assert your app acknowledged them'
  static override description =
    'For end-to-end tests that drive your app (the app calls the gateway, the gateway sends the webhook): waits until the running `webhooks listen` of this profile received --count events of TYPE matching --where (a jq filter over the payload, as --jq takes it) and your app answered each with 2xx. Events received up to --since before it started count too, so it may run after the step that caused them. Exit 0 when they were acknowledged; 1 when the app answered something else (its answer is shown) or not enough arrived within --within; 2 when no listener is running.'

  static override examples = [
    "<%= config.bin %> webhooks expect purchase.paid --where '.object.purchase.total_amount == 2999'",
    '<%= config.bin %> webhooks expect purchase.refunded --count 2 --within 1m',
    '<%= config.bin %> webhooks expect purchase.paid --where \'.object.client.email == "ci@example.com"\' --since 0s --json',
  ]
  static override humanView = async (result: unknown) => (await import('../../cli/delivery-check.js')).reportView(result)
  static override args = {type: Args.string({description: 'The event type, e.g. purchase.paid.', required: true})}
  static override flags = {
    where: Flags.string({summary: 'Only events whose payload this jq filter holds true for (e.g. \'.object.status == "paid"\').', helpValue: 'JQ'}),
    count: Flags.integer({summary: 'How many matching events must be acknowledged.', default: 1, min: 1, max: 1000}),
    within: durationFlag({summary: 'How long to wait for them.', default: '30s', maxMs: 3_600_000}),
    since: durationFlag({summary: 'Events received up to this long before the start count too.', default: '2m', maxMs: 86_400_000}),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(WebhooksExpect)
    const where = flags.where === undefined ? undefined : await (await import('../../cli/jq.js')).compileJq(flags.where)
    const [{ListenerClient}, {expectEvents}, {verdictOf}] = await Promise.all([
      import('../../inspector/client.js'),
      import('../../cli/await-deliveries.js'),
      import('../../cli/delivery-check.js'),
    ])
    const {profile} = await this.settings()
    const listener = await ListenerClient.connect(profile)
    await listener.mustReceive(args.type, profile)
    const report = await expectEvents({type: args.type, where, count: flags.count, sinceMs: flags.since, withinMs: flags.within, listener})
    const failure = verdictOf(report, `${args.type} events`)
    if (failure) throw failure
    return report
  }
}
