/**
 * Type-level tests: each `@ts-expect-error` below is a mistake the declared
 * tables make impossible. `npm run typecheck` (part of `npm test`) fails with
 * "Unused '@ts-expect-error' directive" the day one of them compiles again.
 * Nothing here runs.
 */
import type {Page, Purchase, Subscriber, Webhook} from '../../src/api/types.js'
import {UmmahCommand} from '../../src/cli/base-command.js'
import {UmmahError} from '../../src/shared/errors.js'
import {basicScheme} from '../../src/schemes/basic.js'
import type {SchemeNeeds} from '../../src/schemes/catalog.js'
import {type DeliveryAuth, defineScheme} from '../../src/schemes/registry.js'

export function errorCodes(): UmmahError[] {
  return [
    new UmmahError('declared', {code: 'relay_unreachable'}),
    // @ts-expect-error an error code not in ERROR_CODES
    new UmmahError('undeclared', {code: 'relay_exploded'}),
    // @ts-expect-error the exit code is read from the table, never written beside it
    new UmmahError('beside', {code: 'usage', exitCode: 2}),
  ]
}

/** Calls typed by the endpoint table: path parameters from the row's path, the response from its `response`. */
export abstract class EndpointCalls extends UmmahCommand {
  async typedCalls(): Promise<unknown[]> {
    const purchase: Purchase = await this.call('purchases.retrieve', {params: {id: 'p'}})
    const subscriber: Subscriber = await this.call('billing_templates.clients.retrieve', {params: {id: 'bt-1', client_id: 'btc-1'}})
    const page: Page<Webhook> = await this.list('webhooks.list')
    // @ts-expect-error the path's {id} is missing
    await this.call('purchases.retrieve', {params: {}})
    // @ts-expect-error a path with placeholders needs its options
    await this.call('purchases.retrieve')
    // @ts-expect-error {client_id} is missing
    await this.call('billing_templates.clients.retrieve', {params: {id: 'bt-1'}})
    // @ts-expect-error a placeholder the path does not have
    await this.call('purchases.create', {params: {id: 'p'}, body: {}})
    // @ts-expect-error purchases.retrieve answers a Purchase, not a Webhook
    const webhook: Webhook = await this.call('purchases.retrieve', {params: {id: 'p'}})
    // @ts-expect-error an endpoint id not in the table
    await this.call('purchases.explode', {params: {id: 'p'}})
    return [purchase, subscriber, page, webhook]
  }
}

/** Schemes: what a receiving side needs is a setting some flag gives; the registry row has every part; DeliveryAuth follows the rows. */
export const schemeRows = [
  {verify: [['secret']], listen: [['secret']], optional: []} satisfies SchemeNeeds,
  {
    verify: [
      // @ts-expect-error a setting no flag gives
      ['apiSecret'],
    ],
    listen: [[]],
    optional: [],
  } satisfies SchemeNeeds,
  // @ts-expect-error a scheme without what `webhooks listen` needs
  {verify: [['secret']], optional: []} satisfies SchemeNeeds,
  // @ts-expect-error a registry row without its sending side
  defineScheme('basic', {receiver: () => basicScheme({username: 'u', password: 'p'}), delivery: {}}),
]

export const deliveryAuths: DeliveryAuth[] = [
  {scheme: 'sha1-password', secret: 's'},
  // @ts-expect-error sha1-password's auth needs its secret
  {scheme: 'sha1-password'},
  // @ts-expect-error a scheme not in the catalog
  {scheme: 'hmac-sha512', secret: 's'},
]
