/**
 * Billing templates (plans), their subscribers, and invoices. The
 * subscription lifecycle of the reference:
 *
 *   add_subscriber → pending (a first purchase to pay) | subscription_paused (a trial: purchase null)
 *   pending → active on the first payment; active ⇄ subscription_paused by PATCH
 *   subscription_paused → active by PATCH: a trial that never paid gets its first purchase then
 *   active → renewals on the test clock → failed on a declined renewal
 */
import {randomUUID} from 'node:crypto'

import type {EndpointId} from '../../api/endpoints.js'
import type {BillingTemplate} from '../../api/types.js'
import {badRequest, conflict, notFound} from '../errors.js'
import {type Context, OPEN_SUBSCRIBER_STATUSES, type PurchaseRecord, createPurchase} from '../payments.js'
import {type SubscriberRecord, now} from '../store.js'
import {type HandlerRequest, type Handlers, created, existingClient, find, noContent, ok, page, purchaseDetails} from './common.js'

type TemplateEndpoint = Extract<EndpointId, `billing_templates.${string}`> | 'billing.send'

type Units = BillingTemplate['subscription_period_units']

/** Every documented template field from a create or PUT body; PUT's fields not given take these defaults. */
function templateFields(body: Record<string, unknown>) {
  const subscription = body.is_subscription === true
  return {
    is_subscription: subscription,
    subscription_period: subscription ? ((body.subscription_period as number | undefined) ?? 1) : null,
    subscription_period_units: subscription ? ((body.subscription_period_units as Units | undefined) ?? 'months') : null,
    number_of_billing_cycles: (body.number_of_billing_cycles as number | undefined) ?? 0,
    purchase: purchaseDetails(body),
  }
}

function subscriberView(subscriber: SubscriberRecord) {
  return {
    id: subscriber.id,
    client_id: subscriber.client_id,
    client: subscriber.client,
    billing_template_id: subscriber.template_id,
    is_subscription: subscriber.is_subscription,
    status: subscriber.status,
    next_billing_on: subscriber.next_billing_on,
    created_on: subscriber.created_on,
  }
}

function subscriberOf(context: Context, request: HandlerRequest): SubscriberRecord {
  const template = find(context.account.templates, request.params.id)
  const wanted = request.params.client_id
  const subscriber = Object.values(context.account.subscribers).find(
    (candidate) => candidate.template_id === template.id && (candidate.id === wanted || candidate.client_id === wanted),
  )
  if (!subscriber) throw notFound()
  return subscriber
}

/** The subscription's first purchase, to be paid by the customer; its payment activates the subscriber. */
async function firstPurchase(context: Context, template: BillingTemplate, subscriber: SubscriberRecord): Promise<PurchaseRecord> {
  const purchase = await createPurchase(context, {
    brand_id: template.brand_id,
    client: subscriber.client,
    products: template.purchase.products ?? [],
    currency: template.purchase.currency,
    force_recurring: true,
    billing_template_client_id: subscriber.id,
  })
  subscriber.purchase_id = purchase.id
  return purchase
}

export const templateHandlers: Handlers<TemplateEndpoint> = {
  'billing_templates.create'(context, {body}) {
    const template: BillingTemplate & {deleted?: boolean} = {
      id: `bt-${randomUUID()}`,
      brand_id: body.brand_id as string,
      ...templateFields(body),
      created_on: now(context.account),
    }
    context.account.templates[template.id] = template
    context.store.changed()
    return created(template)
  },
  'billing_templates.list': (context, request) =>
    page(
      context,
      request,
      '/billing_templates/',
      Object.values(context.account.templates).filter((template) => !(template as {deleted?: boolean}).deleted),
    ),
  'billing_templates.retrieve': (context, request) => ok(find(context.account.templates, request.params.id)),
  'billing_templates.update'(context, {params, body}) {
    // "Replace all fields": the brand is the template's own (not a PUT field); everything else is the body's or its default.
    const template = Object.assign(find(context.account.templates, params.id), templateFields(body))
    context.store.changed()
    return ok(template)
  },
  'billing_templates.delete'(context, {params}) {
    // Kept for the subscriptions that still renew from it; gone from the API.
    Object.assign(find(context.account.templates, params.id), {deleted: true})
    context.store.changed()
    return noContent
  },
  async 'billing_templates.add_subscriber'(context, {params, body}) {
    const template = find(context.account.templates, params.id)
    if (!template.is_subscription) throw badRequest({non_field_errors: ['This billing template is not a subscription.']})
    const client = existingClient(context, body.client_id, 'client_id')
    const already = Object.values(context.account.subscribers).find((s) => s.template_id === template.id && s.client_id === client.id)
    if (already) throw conflict('This client is already subscribed to this billing template.', already.status)
    const trial = body.status === 'subscription_paused'
    const subscriber: SubscriberRecord = {
      id: `btc-${randomUUID()}`,
      template_id: template.id,
      client_id: client.id,
      client: {id: client.id, email: client.email, full_name: client.full_name ?? null},
      is_subscription: true,
      status: trial ? 'subscription_paused' : 'pending',
      next_billing_on: null,
      cycles_billed: 0,
      purchase_id: null,
      created_on: now(context.account),
    }
    context.account.subscribers[subscriber.id] = subscriber
    context.store.changed()
    // A trial starts without a purchase ("purchase: null if billing starts later").
    const purchase = trial ? null : await firstPurchase(context, template, subscriber)
    return created({
      billing_template_client: {id: subscriber.id, client_id: client.id, status: subscriber.status, created_on: subscriber.created_on},
      purchase,
    })
  },
  'billing_templates.clients.list'(context, request) {
    const template = find(context.account.templates, request.params.id)
    const subscribers = Object.values(context.account.subscribers).filter((s) => s.template_id === template.id)
    return page(context, request, `/billing_templates/${template.id}/clients/`, subscribers.map(subscriberView))
  },
  'billing_templates.clients.retrieve': (context, request) => ok(subscriberView(subscriberOf(context, request))),
  async 'billing_templates.clients.update'(context, request) {
    const subscriber = subscriberOf(context, request)
    const status = request.body.status as 'active' | 'subscription_paused' | undefined
    if (status === undefined || status === subscriber.status) return ok(subscriberView(subscriber))
    if (!OPEN_SUBSCRIBER_STATUSES.has(subscriber.status))
      throw conflict(`Cannot change a subscription in status "${subscriber.status}".`, subscriber.status)
    subscriber.status = status
    const template = context.account.templates[subscriber.template_id]
    // Billing starts: a subscriber that never paid (a trial ending, or a pending one resumed) owes its first purchase, due now.
    if (status === 'active' && subscriber.cycles_billed === 0) {
      const first = subscriber.purchase_id ? context.account.purchases[subscriber.purchase_id] : undefined
      if (first?.status !== 'created') await firstPurchase(context, template, subscriber)
      subscriber.next_billing_on = now(context.account)
    }
    context.store.changed()
    return ok(subscriberView(subscriber))
  },
  async 'billing_templates.send_invoice'(context, {params, body}) {
    const template = find(context.account.templates, params.id)
    const client = existingClient(context, body.client_id, 'client_id')
    return created(
      await createPurchase(context, {
        brand_id: template.brand_id,
        client,
        products: template.purchase.products ?? [],
        currency: template.purchase.currency,
      }),
    )
  },
  async 'billing.send'(context, {body}) {
    const details = purchaseDetails(body)
    const clients = (body.clients as Array<{client_id: string}>).map((item, index) =>
      existingClient(context, item.client_id, `clients.${index}.client_id`),
    )
    const purchases: PurchaseRecord[] = []
    for (const client of clients) {
      purchases.push(
        await createPurchase(context, {brand_id: body.brand_id as string, client, products: details.products, currency: details.currency}),
      )
    }
    // The documented response is an array: one Purchase (one checkout/invoice link) per client, in the order given.
    return created(purchases)
  },
}
