/**
 * The purchase state machine and everything that moves money in the sandbox:
 * checkout with the documented test cards, capture, release, refunds,
 * one-click charges on recurring tokens, subscription activation and renewals
 * on the test clock.
 *
 *   created → hold (skip_capture) | paid | cancelled
 *   hold    → paid (capture, amount ≤ held) | released
 *   paid    → refunded (partial refunds add up to at most the captured amount)
 */
import {randomUUID} from 'node:crypto'

import type {Product} from '../api/types.js'
import type {Deliverer} from './delivery.js'
import {SandboxError, badRequest, conflict} from './errors.js'
import type {Client, EventType} from '../api/types.js'
import {type Account, type PaymentRecord, type PurchaseRecord, type SandboxStore, type SubscriberRecord, now, own} from './store.js'

export type {PurchaseRecord} from './store.js'

export interface Context {
  store: SandboxStore
  account: Account
  events: Deliverer
  /** `http://host:port` of this sandbox, for checkout and download links. */
  origin: string
  /** How far one client's own test clock runs ahead of the account's (a scoped `advance`, as `trigger` uses). */
  clientClockMs?: number
}

/** Unix seconds on this context's clock: the account's, plus the client's own when it has one. */
function clock(context: Context): number {
  return now(context.account, context.clientClockMs)
}

/** The subscriber statuses a subscription can still move between; failed and completed ones are over. */
export const OPEN_SUBSCRIBER_STATUSES: ReadonlySet<string> = new Set(['pending', 'active', 'subscription_paused'])

/** The documented test cards (spaces ignored). */
export const TEST_CARDS = {
  success: '4242424242424242',
  declined: '4000000000000002',
  threeDSecure: '4000000000003220',
  /** Sandbox-only: pays now, but the saved recurring token declines every later charge. */
  failsLater: '4000000000000341',
} as const

export type CardOutcome = 'declined' | 'paid' | 'requires_3ds'

function cardDigits(card: string): string {
  return card.replaceAll(/[\s-]/g, '')
}

export function cardOutcome(card: string): CardOutcome | 'unknown' {
  const digits = cardDigits(card)
  if (digits === TEST_CARDS.success || digits === TEST_CARDS.failsLater) return 'paid'
  if (digits === TEST_CARDS.declined) return 'declined'
  if (digits === TEST_CARDS.threeDSecure) return 'requires_3ds'
  return 'unknown'
}

function touch(context: Context, purchase: PurchaseRecord): void {
  purchase.updated_on = clock(context)
  context.store.changed()
}

function emit(context: Context, type: EventType, purchase: PurchaseRecord): Promise<void> {
  return context.events.emit(context.account, type, purchase, {type: 'purchase', id: purchase.id}, purchase.success_callback ?? undefined)
}

export function normalizeProducts(products: Array<Partial<Product>>): Product[] {
  return products.map((product) => ({name: String(product.name), price: Number(product.price), quantity: Number(product.quantity ?? 1)}))
}

export function totalOf(products: readonly Product[]): number {
  return products.reduce((sum, product) => sum + product.price * (product.quantity ?? 1), 0)
}

/** The documented client fields besides id, type and created_on: each is on every client, null when never set. */
export const CLIENT_FIELDS = ['email', 'full_name', 'phone', 'street_address', 'country', 'city', 'zip_code'] as const

/** Client events reach partner-format webhooks only (generic's customer.created / customer.updated); Ummah has none. */
export function emitClientEvent(context: Context, type: 'client.created' | 'client.updated', client: Client): Promise<void> {
  return context.events.emit(context.account, type, client, {type: 'client', id: client.id})
}

export async function newClient(context: Context, fields: Partial<Client> & {email: string}): Promise<Client> {
  const blank = Object.fromEntries(CLIENT_FIELDS.map((field) => [field, null]))
  const client = {id: randomUUID(), ...blank, ...fields, type: 'personal', created_on: clock(context)} as Client
  context.account.clients[client.id] = client
  context.store.changed()
  await emitClientEvent(context, 'client.created', client)
  return client
}

/** The client with this email, created when the account has none. */
export async function clientFor(context: Context, email: string, fullName?: string): Promise<Client> {
  const existing = Object.values(context.account.clients).find((client) => client.email.toLowerCase() === email.toLowerCase())
  return existing ?? newClient(context, {email, full_name: fullName ?? null})
}

export interface NewPurchase {
  brand_id?: string
  client: {id: string; email: string; full_name?: string | null}
  products: Product[]
  currency: string
  success_redirect?: string
  failure_redirect?: string
  success_callback?: string
  skip_capture?: boolean
  force_recurring?: boolean
  send_receipt?: boolean
  billing_template_client_id?: string
}

export async function createPurchase(context: Context, input: NewPurchase): Promise<PurchaseRecord> {
  const id = randomUUID()
  const created = clock(context)
  const purchase: PurchaseRecord = {
    id,
    status: 'created',
    checkout_url: `${context.origin}/checkout/${id}/`,
    invoice_url: `${context.origin}/invoice/${id}/`,
    client: {id: input.client.id, email: input.client.email, full_name: input.client.full_name ?? null},
    purchase: {products: input.products, currency: input.currency, total_amount: totalOf(input.products)},
    // Every documented field is present; the optional ones never given are null.
    brand_id: input.brand_id ?? null,
    success_redirect: input.success_redirect ?? null,
    failure_redirect: input.failure_redirect ?? null,
    success_callback: input.success_callback ?? null,
    skip_capture: Boolean(input.skip_capture),
    force_recurring: Boolean(input.force_recurring),
    send_receipt: Boolean(input.send_receipt),
    billing_template_client_id: input.billing_template_client_id ?? null,
    recurring_token: null,
    payment: null,
    captured_amount: 0,
    refunded_amount: 0,
    paid_on: null,
    is_test: true,
    created_on: created,
    updated_on: created,
  }
  context.account.purchases[id] = purchase
  context.store.changed()
  await emit(context, 'purchase.created', purchase)
  return purchase
}

function recordPayment(context: Context, payment: Omit<PaymentRecord, 'created_on' | 'id'>): PaymentRecord {
  const record = {id: `pay-${randomUUID()}`, ...payment, created_on: clock(context)}
  context.account.payments.push(record)
  return record
}

/** A successful authorisation: funds held (skip_capture) or captured, token saved, subscription activated. */
async function authorised(context: Context, purchase: PurchaseRecord, card: string, viaToken: string | null): Promise<void> {
  purchase.payment = {method: 'card', is_recurring_token: viaToken !== null}
  if (viaToken) purchase.recurring_token = viaToken
  else if (purchase.force_recurring) purchase.recurring_token = saveToken(context, purchase.client.id ?? '', card).id

  if (purchase.skip_capture) {
    purchase.status = 'hold'
    touch(context, purchase)
    await emit(context, 'purchase.hold', purchase)
  } else {
    await settle(context, purchase, purchase.purchase.total_amount, 'card')
  }
  if (purchase.billing_template_client_id) await activateSubscriber(context, purchase)
}

async function settle(context: Context, purchase: PurchaseRecord, amount: number, method: string): Promise<void> {
  purchase.status = 'paid'
  purchase.captured_amount = amount
  purchase.paid_on = clock(context)
  recordPayment(context, {type: 'charge', status: 'paid', purchase: purchase.id, amount, currency: purchase.purchase.currency, method})
  touch(context, purchase)
  await emit(context, 'purchase.paid', purchase)
}

function saveToken(context: Context, clientId: string, card: string) {
  const digits = cardDigits(card)
  const token = {
    id: `tok-${randomUUID()}`,
    client_id: clientId,
    payment_method: 'card',
    description: `Visa **** ${digits.slice(-4)}`,
    created_on: clock(context),
    declines: digits === TEST_CARDS.failsLater,
  }
  context.account.tokens[token.id] = token
  return token
}

function requireStatus(purchase: PurchaseRecord, allowed: readonly string[], action: string): void {
  if (!allowed.includes(purchase.status)) {
    throw conflict(`Cannot ${action} a purchase in status "${purchase.status}".`, purchase.status)
  }
}

/** The customer paid on the checkout page (or with `sandbox pay`). */
export async function checkout(context: Context, purchase: PurchaseRecord, card: string): Promise<CardOutcome> {
  requireStatus(purchase, ['created'], 'pay')
  const outcome = cardOutcome(card)
  if (outcome === 'unknown') {
    throw badRequest({card_number: ['Use a test card: 4242 4242 4242 4242, 4000 0000 0000 0002 or 4000 0000 0000 3220.']})
  }
  if (outcome === 'declined') {
    await emit(context, 'purchase.payment_failure', purchase)
    return outcome
  }
  if (outcome === 'paid') await authorised(context, purchase, card, null)
  if (outcome === 'requires_3ds') {
    purchase.three_d_secure_pending = true
    touch(context, purchase)
  }
  return outcome
}

/** The 3-D Secure step of 4000 0000 0000 3220: passed or failed by the customer. */
export async function completeThreeDSecure(context: Context, purchase: PurchaseRecord, passed: boolean): Promise<CardOutcome> {
  requireStatus(purchase, ['created'], 'pay')
  if (!purchase.three_d_secure_pending) throw conflict('No 3-D Secure step is pending for this purchase.', purchase.status)
  purchase.three_d_secure_pending = false
  if (!passed) {
    await emit(context, 'purchase.payment_failure', purchase)
    return 'declined'
  }
  await authorised(context, purchase, TEST_CARDS.threeDSecure, null)
  return 'paid'
}

/** A one-click charge on a saved token; a declining token throws 402 after the failure event. */
export async function chargeToken(
  context: Context,
  purchase: PurchaseRecord,
  tokenId: string,
  failureEvent: EventType = 'purchase.payment_failure',
): Promise<boolean> {
  const token = own(context.account.tokens, tokenId)
  if (!token || token.declines) {
    purchase.payment = {method: 'card', is_recurring_token: true}
    touch(context, purchase)
    await emit(context, failureEvent, purchase)
    return false
  }
  await authorised(context, purchase, token.description, token.id)
  return true
}

export async function capture(context: Context, purchase: PurchaseRecord, amount: number | undefined): Promise<PurchaseRecord> {
  requireStatus(purchase, ['hold'], 'capture')
  const held = purchase.purchase.total_amount
  const captured = amount ?? held
  if (captured > held) throw badRequest({amount: [`Ensure this value is less than or equal to the held amount (${held}).`]})
  if (captured <= 0) throw badRequest({amount: ['Ensure this value is greater than 0.']})
  await settle(context, purchase, captured, 'card')
  await emit(context, 'purchase.captured', purchase)
  return purchase
}

export async function release(context: Context, purchase: PurchaseRecord): Promise<void> {
  requireStatus(purchase, ['hold'], 'release')
  purchase.status = 'released'
  touch(context, purchase)
  await emit(context, 'purchase.released', purchase)
}

export async function cancel(context: Context, purchase: PurchaseRecord): Promise<void> {
  requireStatus(purchase, ['created'], 'cancel')
  purchase.status = 'cancelled'
  touch(context, purchase)
  await emit(context, 'purchase.cancelled', purchase)
}

export async function markPaid(context: Context, purchase: PurchaseRecord, paidOn: number | undefined): Promise<void> {
  requireStatus(purchase, ['created'], 'mark as paid')
  purchase.payment = {method: 'offline', is_recurring_token: false}
  await settle(context, purchase, purchase.purchase.total_amount, 'offline')
  if (paidOn !== undefined) purchase.paid_on = paidOn
}

export async function refund(
  context: Context,
  purchase: PurchaseRecord,
  amount: number | undefined,
  reference: string | undefined,
): Promise<PaymentRecord> {
  requireStatus(purchase, ['paid', 'refunded'], 'refund')
  const refundable = purchase.captured_amount - purchase.refunded_amount
  if (refundable <= 0) throw conflict('This purchase has been refunded in full.', purchase.status)
  const value = amount ?? refundable
  if (value <= 0) throw badRequest({amount: ['Ensure this value is greater than 0.']})
  if (value > refundable) throw badRequest({amount: [`Ensure this value is less than or equal to the refundable amount (${refundable}).`]})
  purchase.refunded_amount += value
  purchase.status = 'refunded'
  const record = recordPayment(context, {
    type: 'refund',
    status: 'refunded',
    purchase: purchase.id,
    amount: value,
    currency: purchase.purchase.currency,
    method: purchase.payment?.method ?? 'card',
    ...(reference ? {reference} : {}),
  })
  touch(context, purchase)
  await emit(context, 'purchase.refunded', purchase)
  return record
}

/** Unix seconds `count` periods after `from`, by the calendar for months and years. */
export function addPeriod(from: number, count: number, units: string): number {
  const date = new Date(from * 1000)
  switch (units) {
    case 'days':
      date.setUTCDate(date.getUTCDate() + count)
      break
    case 'weeks':
      date.setUTCDate(date.getUTCDate() + 7 * count)
      break
    case 'months':
      date.setUTCMonth(date.getUTCMonth() + count)
      break
    case 'years':
      date.setUTCFullYear(date.getUTCFullYear() + count)
      break
    default:
      throw new SandboxError(500, {error: 'server_error', message: `Unknown period units ${units}`})
  }
  return Math.floor(date.getTime() / 1000)
}

/** The first payment of a subscription: billed once, the next charge one period on; active unless paused meanwhile. */
async function activateSubscriber(context: Context, purchase: PurchaseRecord): Promise<void> {
  const subscriber = own(context.account.subscribers, purchase.billing_template_client_id ?? '')
  if (!subscriber || subscriber.cycles_billed > 0 || !OPEN_SUBSCRIBER_STATUSES.has(subscriber.status)) return
  const template = context.account.templates[subscriber.template_id]
  subscriber.cycles_billed = 1
  subscriber.next_billing_on = addPeriod(
    purchase.paid_on ?? clock(context),
    template.subscription_period ?? 1,
    template.subscription_period_units ?? 'months',
  )
  context.store.changed()
  if (subscriber.status === 'subscription_paused') return
  subscriber.status = 'active'
  await context.events.emit(context.account, 'billing_template.client_activated', subscriber, {type: 'billing_template_client', id: subscriber.id})
}

/**
 * Charges every active subscription that has come due: on the account's test
 * clock, or with `clientId` on that client's own clock only (a scoped advance
 * moves nothing else). Subscriptions not yet paid once wait for the shopper.
 */
export async function renewDue(context: Context, clientId?: string): Promise<{renewals: number; more_due: boolean}> {
  let charges = 0
  for (const subscriber of Object.values(context.account.subscribers)) {
    if (clientId !== undefined && subscriber.client_id !== clientId) continue
    const scoped = {...context, clientClockMs: context.account.client_clocks?.[subscriber.client_id] ?? 0}
    while (
      subscriber.status === 'active' &&
      subscriber.cycles_billed > 0 &&
      subscriber.next_billing_on !== null &&
      subscriber.next_billing_on <= clock(scoped)
    ) {
      // The rest stay due and are charged by the next advance: one call's cost stays bounded.
      if (charges === MAX_RENEWALS_PER_ADVANCE) return {renewals: charges, more_due: true}
      charges++
      await renew(scoped, subscriber)
    }
  }
  return {renewals: charges, more_due: false}
}

/**
 * Renewals one advance charges: 1,000 renewals of a 100-product template is
 * ~100,000 product lines, tens of MB; 10,000 of a 4,000-product one once
 * took 1.6 GB and broke every later save.
 */
export const MAX_RENEWALS_PER_ADVANCE = 1000

async function renew(context: Context, subscriber: SubscriberRecord): Promise<void> {
  const template = context.account.templates[subscriber.template_id]
  const first = own(context.account.purchases, subscriber.purchase_id ?? '')
  const purchase = await createPurchase(context, {
    brand_id: template.brand_id,
    client: subscriber.client,
    products: template.purchase.products ?? [],
    currency: template.purchase.currency,
    billing_template_client_id: subscriber.id,
  })
  const paid = await chargeToken(context, purchase, first?.recurring_token ?? '', 'purchase.subscription_charge_failure')
  if (!paid) {
    subscriber.status = 'failed'
    context.store.changed()
    return
  }
  subscriber.cycles_billed++
  const limit = template.number_of_billing_cycles ?? 0
  if (limit > 0 && subscriber.cycles_billed >= limit) {
    subscriber.status = 'completed'
    subscriber.next_billing_on = null
  } else {
    subscriber.next_billing_on = addPeriod(
      subscriber.next_billing_on ?? clock(context),
      template.subscription_period ?? 1,
      template.subscription_period_units ?? 'months',
    )
  }
  context.store.changed()
}
