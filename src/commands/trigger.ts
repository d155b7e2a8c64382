import {Args} from '@oclif/core'

import {WEBHOOK_EVENTS} from '../api/endpoints.js'
import {UsageError} from '../shared/errors.js'
import {isLiveKey} from '../shared/secrets.js'
import {FixtureCommand} from '../cli/fixture-command.js'

export default class Trigger extends FixtureCommand {
  static override summary = 'Make a webhook event really happen, with test keys'
  static override description =
    "Runs the shipped fixture for the event through the API: purchase.paid creates a purchase and pays it with a test card (through the sandbox pay helper), purchase.refunded pays then refunds, and so on. On a gateway without the sandbox helpers (the real one, with a test key) it uses documented endpoints only: purchase.created, purchase.paid (mark_as_paid), purchase.refunded and purchase.cancelled; an event that needs a shopper's card on the checkout page exits 2 before creating anything. Prints the objects it made; --json prints every response. Test keys only."

  static override examples = [
    '<%= config.bin %> trigger purchase.paid',
    '<%= config.bin %> trigger purchase.refunded --json',
    '<%= config.bin %> trigger billing_template.client_activated -p sandbox',
  ]
  static override args = {event: Args.string({description: 'The event to cause.', required: true, options: [...WEBHOOK_EVENTS]})}

  async run(): Promise<unknown> {
    const {args} = await this.parse(Trigger)
    if (isLiveKey(await this.apiKey())) {
      throw new UsageError(
        'trigger runs with test keys only: it creates and pays real objects',
        'Use a profile with an sk_test_ key, e.g. -p sandbox.',
      )
    }
    return this.runFixtureFile(this.shippedFixture(args.event), args.event)
  }
}
