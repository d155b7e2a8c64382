import {Args, Flags} from '@oclif/core'

import {WEBHOOK_EVENTS} from '../api/endpoints.js'
import {UsageError} from '../shared/errors.js'
import {isLiveKey} from '../shared/secrets.js'
import {FixtureCommand, fixtureDryRunFlag} from '../cli/fixture-command.js'
import {durationFlag, rateFlag, withOptionalValue} from '../cli/flags.js'

export default class Trigger extends FixtureCommand {
  static override summary = 'Make a webhook event really happen, with test keys'
  static override description =
    "Runs the shipped fixture for the event through the API: purchase.paid creates a purchase and pays it with a test card (through the sandbox pay helper), purchase.refunded pays then refunds, and so on. On a gateway without the sandbox helpers (the real one, with a test key) it uses documented endpoints only: purchase.created, purchase.paid (mark_as_paid), purchase.refunded and purchase.cancelled; an event that needs a shopper's card on the checkout page exits 2 before creating anything. Prints the objects it made; --json prints every response. Test keys only.\n\nWith --wait it then waits until the running `webhooks listen` of this profile forwarded the event and your app answered: exit 0 with the app's status and latency; exit 1 when the app answered something other than 2xx (its answer is shown), the listener gave up, or nothing was acknowledged in time (where it stopped is said: the gateway's delivery log, and whether the listener received it). No listener running: exit 2, nothing created. --count N makes N events (paced by --rate) and reports caused, delivered, failed, duplicates and the app's latency percentiles."

  static override examples = [
    '<%= config.bin %> trigger purchase.paid',
    '<%= config.bin %> trigger purchase.paid --wait',
    '<%= config.bin %> trigger purchase.refunded --dry-run',
    '<%= config.bin %> trigger purchase.refunded --wait=1m --json',
    '<%= config.bin %> trigger purchase.paid --count 200 --rate 100/s',
    '<%= config.bin %> trigger billing_template.client_activated -p sandbox',
  ]
  static override humanView = async (result: unknown) =>
    (await FixtureCommand.humanView(result)) ?? (await import('../cli/delivery-check.js')).reportView(result)
  static override args = {event: Args.string({description: 'The event to cause.', required: true, options: [...WEBHOOK_EVENTS]})}
  static override flags = {
    wait: durationFlag({summary: 'Wait (default 30s) until the running listener forwarded it and the app answered.', maxMs: 3_600_000}),
    count: Flags.integer({summary: 'Cause the event this many times and report on all of them (implies --wait).', min: 1, max: 1000}),
    rate: rateFlag({summary: 'With --count: start at most this many a second (50/s, 600/m).'}),
    'dry-run': Flags.boolean({...fixtureDryRunFlag, exclusive: ['wait', 'count']}),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(Trigger, withOptionalValue(this.argv, '--wait', '30s'))
    if (isLiveKey(await this.apiKey())) {
      throw new UsageError(
        'trigger runs with test keys only: it creates and pays real objects',
        'Use a profile with an sk_test_ key, e.g. -p sandbox.',
      )
    }
    if (flags.wait === undefined && flags.count === undefined)
      return this.runFixtureFile(this.shippedFixture(args.event), args.event, {dryRun: flags['dry-run']})
    return this.triggerAndWait(args.event, {count: flags.count ?? 1, perSecond: flags.rate, waitMs: flags.wait ?? 30_000})
  }
}
