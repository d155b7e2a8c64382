/**
 * One handler per documented endpoint, keyed by the endpoint ids of
 * src/api/endpoints.ts. The server has already authenticated the account,
 * parsed JSON and checked the documented parameters; handlers apply the
 * state machine and shape the documented responses.
 */
import {randomBytes, randomUUID} from 'node:crypto'

import type {EndpointId} from '../api/endpoints.js'
import type {BillingTemplate, Client, Product, Webhook} from '../api/types.js'
import {type SandboxDelivery, parseSandboxDelivery} from './delivery-settings.js'
import {companyKey, newKeyPair} from './delivery.js'
import {SandboxError, badRequest, conflict, notFound} from './errors.js'
import {
  type Context,
  type PurchaseRecord,
  cancel,
  capture,
  chargeToken,
  clientFor,
  createPurchase,
  markPaid,
  normalizeProducts,
  refund,
  release,
  totalOf,
} from './payments.js'
import {refreshStatement} from './statements.js'
import {type StatementRecord, type SubscriberRecord, type WebhookRecord, now, nowMs, own} from './store.js'

export interface HandlerRequest {
  params: Record<string, string>
  query: URLSearchParams
  body: Record<string, unknown>
}

export interface HandlerResponse {
  status: number
  body?: unknown
}

export type Handler = (context: Context, request: HandlerRequest) => HandlerResponse | Promise<HandlerResponse>

export interface SandboxSettings {
  /** How long a statement stays `processing`, on the account's clock. */
  statementDelayMs: number
}

const ok = (body: unknown): HandlerResponse => ({status: 200, body})
const created = (body: unknown): HandlerResponse => ({status: 201, body})
const noContent: HandlerResponse = {status: 204}

function find<T>(collection: Record<string, T>, id: string): T {
  const found = own(collection, id)
  if (!found || (found as {deleted?: boolean}).deleted) throw notFound()
  return found
}

function purchaseOf(context: Context, request: HandlerRequest): PurchaseRecord {
  return find(context.account.purchases, request.params.id)
}

const PAGE_SIZE = 20

/** A documented page of the newest items first, with absolute `next`/`previous` links. */
function page<T>(context: Context, request: HandlerRequest, path: string, items: readonly T[]): HandlerResponse {
  const size = Math.min(100, Math.max(1, Number.parseInt(request.query.get('page_size') ?? '', 10) || PAGE_SIZE))
  const number = Math.max(1, Number.parseInt(request.query.get('page') ?? '', 10) || 1)
  const newestFirst = [...items].reverse()
  const link = (target: number) => {
    const query = new URLSearchParams(request.query)
    query.set('page', String(target))
    query.set('page_size', String(size))
    return `${context.origin}/api/v1${path}?${query}`
  }
  return ok({
    results: newestFirst.slice((number - 1) * size, number * size),
    next: number * size < newestFirst.length ? link(number + 1) : null,
    previous: number > 1 ? link(number - 1) : null,
  })
}

function purchaseDetails(body: Record<string, unknown>) {
  const details = (body.purchase ?? {}) as {products?: Array<Partial<Product>>; currency?: string}
  const products = normalizeProducts(details.products ?? [])
  return {products, currency: details.currency ?? 'USD', total_amount: totalOf(products)}
}

const CLIENT_FIELDS = ['email', 'full_name', 'phone', 'street_address', 'country', 'city', 'zip_code'] as const

function clientFields(body: Record<string, unknown>): Partial<Client> {
  return Object.fromEntries(CLIENT_FIELDS.filter((field) => body[field] !== undefined).map((field) => [field, body[field]]))
}

/** A webhook body's sandbox-only `sandbox_delivery`, checked (400 with the fields at fault). */
function sandboxDelivery(body: Record<string, unknown>): SandboxDelivery | undefined {
  const {settings, errors} = parseSandboxDelivery(body.sandbox_delivery)
  if (errors) throw badRequest(errors)
  return settings
}

function publicWebhook(webhook: WebhookRecord): Webhook {
  const {private_key: _private, ...visible} = webhook
  return visible
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

function existingClient(context: Context, id: unknown, field: string): Client {
  const client = typeof id === 'string' ? own(context.account.clients, id) : undefined
  if (!client) throw badRequest({[field]: ['Client with this ID does not exist.']})
  return client
}

function statementView(context: Context, statement: StatementRecord) {
  refreshStatement(context.account, statement)
  const {ready_at: _ready, file_token: token, query_string: _query, ...visible} = statement
  const downloadUrl = statement.status === 'completed' ? `${context.origin}/files/statements/${statement.id}/${token}.${statement.format}` : null
  return {...visible, download_url: downloadUrl}
}

function checkTimezone(timezone: unknown): string {
  if (timezone === undefined) return 'UTC'
  try {
    new Intl.DateTimeFormat('en', {timeZone: String(timezone)})
    return String(timezone)
  } catch {
    throw badRequest({timezone: [`"${timezone}" is not a valid time zone.`]})
  }
}

function balances(context: Context): Array<{currency: string; amount: number}> {
  const totals = new Map<string, number>()
  for (const payment of context.account.payments) {
    totals.set(payment.currency, (totals.get(payment.currency) ?? 0) + (payment.type === 'charge' ? payment.amount : -payment.amount))
  }
  return [...totals].sort(([a], [b]) => a.localeCompare(b)).map(([currency, amount]) => ({currency, amount}))
}

function turnover(context: Context): Array<{currency: string; paid_amount: number; period: string}> {
  const totals = new Map<string, number>()
  for (const payment of context.account.payments) {
    if (payment.type !== 'charge') continue
    const key = `${payment.currency} ${new Date(payment.created_on * 1000).toISOString().slice(0, 7)}`
    totals.set(key, (totals.get(key) ?? 0) + payment.amount)
  }
  return [...totals]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, amount]) => {
      const [currency, period] = key.split(' ')
      return {currency, paid_amount: amount, period}
    })
}

const METHOD_NAMES = {visa: 'Visa', mastercard: 'Mastercard'}
const METHOD_LOGOS = {visa: '/static/images/icon-visa.svg', mastercard: '/static/images/icon-mastercard.svg'}

export function createHandlers(settings: SandboxSettings): Record<EndpointId, Handler> {
  return {
    // Purchases
    async 'purchases.create'(context, {body}) {
      const clientInput = body.client as {email: string; full_name?: string}
      const token = body.recurring_token === undefined ? undefined : String(body.recurring_token)
      if (token !== undefined && !Object.hasOwn(context.account.tokens, token)) throw badRequest({recurring_token: ['Recurring token does not exist.']})
      const details = purchaseDetails(body)
      const purchase = await createPurchase(context, {
        brand_id: body.brand_id as string,
        client: clientFor(context, clientInput.email, clientInput.full_name),
        products: details.products,
        currency: details.currency,
        success_redirect: body.success_redirect as string | undefined,
        failure_redirect: body.failure_redirect as string | undefined,
        success_callback: body.success_callback as string | undefined,
        skip_capture: body.skip_capture as boolean | undefined,
        force_recurring: body.force_recurring as boolean | undefined,
        send_receipt: body.send_receipt as boolean | undefined,
      })
      if (token !== undefined && !(await chargeToken(context, purchase, token))) {
        throw new SandboxError(402, {
          error: 'card_declined',
          message: 'The card was declined by the issuing bank.',
          details: {decline_code: 'generic_decline', param: 'recurring_token', purchase_id: purchase.id},
        })
      }
      return created(purchase)
    },
    'purchases.retrieve': (context, request) => ok(purchaseOf(context, request)),
    async 'purchases.cancel'(context, request) {
      await cancel(context, purchaseOf(context, request))
      return ok({status: 'cancelled'})
    },
    async 'purchases.release'(context, request) {
      await release(context, purchaseOf(context, request))
      return ok({status: 'released'})
    },
    'purchases.capture': async (context, request) => ok(await capture(context, purchaseOf(context, request), request.body.amount as number | undefined)),
    'purchases.refund': async (context, request) =>
      ok(await refund(context, purchaseOf(context, request), request.body.amount as number | undefined, request.body.reference as string | undefined)),
    async 'purchases.mark_as_paid'(context, request) {
      const purchase = purchaseOf(context, request)
      await markPaid(context, purchase, request.body.paid_on as number | undefined)
      return ok(purchase)
    },
    'purchases.resend_invoice'(context, request) {
      const purchase = purchaseOf(context, request)
      if (purchase.status === 'cancelled') throw conflict('Cannot send the invoice of a cancelled purchase.', purchase.status)
      return ok({status: 'sent'})
    },
    'purchases.delete_recurring_token'(context, request) {
      const purchase = purchaseOf(context, request)
      if (!purchase.recurring_token) throw conflict('This purchase has no saved payment method.', purchase.status)
      delete context.account.tokens[purchase.recurring_token]
      purchase.recurring_token = null
      context.store.changed()
      return ok({status: 'deleted'})
    },
    'payment_methods.list': () =>
      ok({
        available_payment_methods: ['visa', 'mastercard'],
        by_country: {any: ['card']},
        country_names: {any: 'Other'},
        names: METHOD_NAMES,
        logos: METHOD_LOGOS,
        card_methods: ['visa', 'mastercard'],
      }),
    'payout_methods.list': () => ok({available_payout_methods: ['visa', 'mastercard'], names: METHOD_NAMES, logos: METHOD_LOGOS, card_methods: ['visa', 'mastercard']}),

    // Billing templates and subscribers
    'billing_templates.create'(context, {body}) {
      const template: BillingTemplate & {deleted?: boolean} = {
        id: `bt-${randomUUID()}`,
        brand_id: body.brand_id as string,
        is_subscription: body.is_subscription as boolean,
        subscription_period: body.subscription_period as number | undefined,
        subscription_period_units: body.subscription_period_units as BillingTemplate['subscription_period_units'],
        number_of_billing_cycles: (body.number_of_billing_cycles as number | undefined) ?? 0,
        purchase: purchaseDetails(body),
        created_on: now(context.account),
      }
      context.account.templates[template.id] = template
      context.store.changed()
      return created(template)
    },
    'billing_templates.list': (context, request) =>
      page(context, request, '/billing_templates/', Object.values(context.account.templates).filter((template) => !(template as {deleted?: boolean}).deleted)),
    'billing_templates.retrieve': (context, request) => ok(find(context.account.templates, request.params.id)),
    'billing_templates.update'(context, {params, body}) {
      const template = find(context.account.templates, params.id)
      Object.assign(template, {
        is_subscription: body.is_subscription,
        subscription_period: body.subscription_period,
        subscription_period_units: body.subscription_period_units,
        number_of_billing_cycles: body.number_of_billing_cycles ?? 0,
        purchase: purchaseDetails(body),
      })
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
      const subscriber: SubscriberRecord = {
        id: `btc-${randomUUID()}`,
        template_id: template.id,
        client_id: client.id,
        client: {id: client.id, email: client.email, full_name: client.full_name},
        is_subscription: true,
        status: 'pending',
        next_billing_on: null,
        cycles_billed: 0,
        purchase_id: null,
        created_on: now(context.account),
      }
      context.account.subscribers[subscriber.id] = subscriber
      const purchase = await createPurchase(context, {
        brand_id: template.brand_id,
        client: subscriber.client,
        products: template.purchase.products ?? [],
        currency: template.purchase.currency,
        force_recurring: true,
        billing_template_client_id: subscriber.id,
      })
      subscriber.purchase_id = purchase.id
      return created({billing_template_client: {id: subscriber.id, client_id: client.id, status: subscriber.status, created_on: subscriber.created_on}, purchase})
    },
    'billing_templates.clients.list'(context, request) {
      const template = find(context.account.templates, request.params.id)
      const subscribers = Object.values(context.account.subscribers).filter((s) => s.template_id === template.id)
      return page(context, request, `/billing_templates/${template.id}/clients/`, subscribers.map(subscriberView))
    },
    'billing_templates.clients.retrieve': (context, request) => ok(subscriberView(subscriberOf(context, request))),
    'billing_templates.clients.update'(context, request) {
      const subscriber = subscriberOf(context, request)
      const status = request.body.status as string | undefined
      if (status !== undefined && status !== subscriber.status) {
        if (!['active', 'subscription_paused'].includes(subscriber.status)) {
          throw conflict(`Cannot change a subscription in status "${subscriber.status}".`, subscriber.status)
        }
        subscriber.status = status
        context.store.changed()
      }
      return ok(subscriberView(subscriber))
    },
    async 'billing_templates.send_invoice'(context, {params, body}) {
      const template = find(context.account.templates, params.id)
      const client = existingClient(context, body.client_id, 'client_id')
      return created(
        await createPurchase(context, {brand_id: template.brand_id, client, products: template.purchase.products ?? [], currency: template.purchase.currency}),
      )
    },
    async 'billing.send'(context, {body}) {
      const details = purchaseDetails(body)
      const clients = (body.clients as Array<{client_id: string}>).map((item, index) => existingClient(context, item.client_id, `clients.${index}.client_id`))
      const purchases: PurchaseRecord[] = []
      for (const client of clients) {
        purchases.push(await createPurchase(context, {brand_id: body.brand_id as string, client, products: details.products, currency: details.currency}))
      }
      // The documented response is the Purchase; with several clients, every invoice is listed too.
      return created(purchases.length === 1 ? purchases[0] : {...purchases[0], purchases})
    },

    // Clients
    'clients.create'(context, {body}) {
      const client = {id: randomUUID(), ...clientFields(body), type: 'personal', created_on: now(context.account)} as Client
      context.account.clients[client.id] = client
      context.store.changed()
      return created(client)
    },
    'clients.list': (context, request) => page(context, request, '/clients/', Object.values(context.account.clients)),
    'clients.retrieve': (context, request) => ok(find(context.account.clients, request.params.id)),
    'clients.update'(context, {params, body}) {
      const client = find(context.account.clients, params.id)
      for (const field of CLIENT_FIELDS) delete client[field as keyof Client]
      Object.assign(client, clientFields(body))
      context.store.changed()
      return ok(client)
    },
    'clients.partial_update'(context, {params, body}) {
      const client = Object.assign(find(context.account.clients, params.id), clientFields(body))
      context.store.changed()
      return ok(client)
    },
    'clients.delete'(context, {params}) {
      find(context.account.clients, params.id)
      delete context.account.clients[params.id]
      for (const token of Object.values(context.account.tokens)) if (token.client_id === params.id) delete context.account.tokens[token.id]
      context.store.changed()
      return noContent
    },
    'clients.recurring_tokens.retrieve'(context, {params}) {
      find(context.account.clients, params.id)
      const token = find(context.account.tokens, params.token)
      if (token.client_id !== params.id) throw notFound()
      const {client_id: _client, declines: _declines, ...visible} = token
      return ok(visible)
    },
    'clients.recurring_tokens.delete'(context, {params}) {
      find(context.account.clients, params.id)
      const token = find(context.account.tokens, params.token)
      if (token.client_id !== params.id) throw notFound()
      delete context.account.tokens[token.id]
      for (const purchase of Object.values(context.account.purchases)) if (purchase.recurring_token === token.id) purchase.recurring_token = null
      context.store.changed()
      return noContent
    },

    // Balance, turnover and statements
    'balance.retrieve': (context) => ok({balance: balances(context)}),
    'account.balance': (context) => ok({balance: balances(context)}),
    'account.turnover': (context) => ok({turnover: turnover(context)}),
    'company_statements.create'(context, {body}) {
      const statement: StatementRecord = {
        id: `stmt-${randomUUID()}`,
        type: 'company',
        format: body.format as 'csv' | 'xlsx',
        status: 'processing',
        download_url: null,
        timezone: checkTimezone(body.timezone),
        ...(body.query_string === undefined ? {} : {query_string: String(body.query_string)}),
        created_on: now(context.account),
        ready_at: nowMs(context.account) + settings.statementDelayMs,
        file_token: randomBytes(16).toString('hex'),
      }
      context.account.statements[statement.id] = statement
      context.store.changed()
      return created(statementView(context, statement))
    },
    'company_statements.list': (context, request) =>
      page(context, request, '/company_statements/', Object.values(context.account.statements).map((statement) => statementView(context, statement))),
    'company_statements.retrieve': (context, request) => ok(statementView(context, find(context.account.statements, request.params.id))),
    'company_statements.cancel'(context, request) {
      const statement = refreshStatement(context.account, find(context.account.statements, request.params.id))
      if (statement.status !== 'processing') throw conflict(`Cannot cancel a statement in status "${statement.status}".`, statement.status)
      statement.status = 'cancelled'
      context.store.changed()
      return ok({status: 'cancelled'})
    },

    // Webhooks
    async 'webhooks.create'(context, {body}) {
      const delivery = sandboxDelivery(body)
      const keys = await newKeyPair()
      const webhook: WebhookRecord = {
        id: `wh-${randomUUID()}`,
        title: (body.title as string | undefined) ?? '',
        callback: body.callback as string,
        events: (body.events as Webhook['events'] | undefined) ?? [],
        all_events: Boolean(body.all_events),
        created_on: now(context.account),
        ...keys,
        ...(delivery ? {sandbox_delivery: delivery} : {}),
      }
      context.account.webhooks[webhook.id] = webhook
      context.store.changed()
      return created(publicWebhook(webhook))
    },
    'webhooks.list': (context, request) => page(context, request, '/webhooks/', Object.values(context.account.webhooks).map(publicWebhook)),
    'webhooks.retrieve': (context, request) => ok(publicWebhook(find(context.account.webhooks, request.params.id))),
    'webhooks.update'(context, {params, body}) {
      const webhook = find(context.account.webhooks, params.id)
      const delivery = sandboxDelivery(body)
      Object.assign(webhook, {
        callback: body.callback,
        title: (body.title as string | undefined) ?? '',
        events: (body.events as Webhook['events'] | undefined) ?? [],
        all_events: Boolean(body.all_events),
        sandbox_delivery: delivery,
      })
      context.store.changed()
      return ok(publicWebhook(webhook))
    },
    'webhooks.partial_update'(context, {params, body}) {
      const webhook = find(context.account.webhooks, params.id)
      const delivery = sandboxDelivery(body)
      for (const field of ['callback', 'title', 'events', 'all_events'] as const) if (body[field] !== undefined) Object.assign(webhook, {[field]: body[field]})
      if (delivery) webhook.sandbox_delivery = delivery
      context.store.changed()
      return ok(publicWebhook(webhook))
    },
    'webhooks.delete'(context, {params}) {
      find(context.account.webhooks, params.id)
      delete context.account.webhooks[params.id]
      context.store.changed()
      return noContent
    },
    'webhooks.deliveries'(context, request) {
      const id = request.query.get('id')
      const sourceType = request.query.get('source_type')
      const deliveries = context.account.deliveries.filter((delivery) => delivery.source_id === id && delivery.source_type === sourceType)
      return page(context, request, '/webhooks/deliveries/', deliveries)
    },
    'public_key.retrieve': async (context) => ok({public_key: (await companyKey(context.account)).public_key}),
  }
}
