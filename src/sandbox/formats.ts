/**
 * The bodies a sandbox webhook sends, per `sandbox_delivery.format`: the
 * Ummah Event, or the Event of a partner gateway (as its webhook document gives it; README: The sandbox) with
 * the sandbox's purchases and clients mapped onto that partner's events. Each
 * mapping is a Record over every Ummah event type, so a type added to
 * WEBHOOK_EVENTS without a mapping here fails tsc.
 *
 *   ummah         {"id","type","event","created_on","object"}
 *   umm-services  {"id" (≤ 20 [a-zA-Z0-9]),"event_type":"moneymovementservices.payment.…","data":{…}}
 *   numipay       {"transaction_id","user_id","tracking_id","status","currency","amount":"29.99","transaction_type"}
 *   generic       {"id","event":"payment.completed",…,"created_at","data":{…}}
 */
import {randomUUID} from 'node:crypto'

import {WEBHOOK_EVENTS} from '../api/endpoints.js'
import type {EventType} from '../api/types.js'
import {minorToDecimal} from '../shared/money.js'

import {type DeliveryFormat} from '../schemes/catalog.js'

export {DELIVERY_FORMATS, type DeliveryFormat} from '../schemes/catalog.js'

/** Ummah's event types, and the client events only partner formats send (generic's customer.*). */
export type SandboxEventType = EventType | 'client.created' | 'client.updated'

/** Every event the sandbox makes, in the order check-app samples them. */
export const SANDBOX_EVENT_TYPES: readonly SandboxEventType[] = [...WEBHOOK_EVENTS, 'client.created', 'client.updated']

/** The client events, which no Ummah webhook subscribes to. */
export function isClientEvent(type: SandboxEventType): type is 'client.created' | 'client.updated' {
  return type === 'client.created' || type === 'client.updated'
}

export interface SandboxEvent {
  id: string
  type: SandboxEventType
  /** Real time (Unix seconds): when the gateway sends it, whatever the test clock says. */
  created_on: number
  object: unknown
}

/**
 * An event of this type about a made-up paid purchase of 29.99 (or a client),
 * for `POST /_sandbox/webhooks/{id}/samples`: what `webhooks check-app` sends
 * genuinely signed, in the webhook's own format.
 */
export function sampleEvent(type: SandboxEventType, createdOn: number): SandboxEvent {
  const client = {id: randomUUID(), email: 'check-app@example.com'}
  const purchase = {
    id: randomUUID(),
    type: 'purchase',
    status: type.split('.')[1] ?? 'created',
    client,
    purchase: {total_amount: 2999, currency: 'USD'},
    captured_amount: 2999,
    refunded_amount: type === 'purchase.refunded' ? 2999 : 0,
  }
  return {id: `evt-${randomUUID()}`, type, created_on: createdOn, object: isClientEvent(type) ? client : purchase}
}

/** One body to send, and the event name it carries (what the delivery log shows). */
export interface Rendered {
  name: string
  body: Buffer
}

interface PurchaseLike {
  id: string
  status: string
  client?: {id?: string; email?: string}
  purchase?: {total_amount?: number; currency?: string}
  captured_amount?: number
  refunded_amount?: number
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value))

function ummah(event: SandboxEvent): Rendered[] {
  if (isClientEvent(event.type)) return []
  // `type` as the Event object and every verification sample read it; `event` as the deliveries example shows the payload.
  return [{name: event.type, body: json({id: event.id, type: event.type, event: event.type, created_on: event.created_on, object: event.object})}]
}

const UMM_EVENTS: Record<SandboxEventType, string | null> = {
  'purchase.created': 'moneymovementservices.payment.payment_originated',
  'purchase.hold': 'moneymovementservices.payment.status_updated',
  'purchase.paid': 'moneymovementservices.payment.status_updated',
  'purchase.captured': 'moneymovementservices.payment.status_updated',
  'purchase.released': 'moneymovementservices.payment.status_updated',
  'purchase.cancelled': 'moneymovementservices.payment.status_updated',
  'purchase.payment_failure': 'moneymovementservices.payment.status_updated',
  'purchase.subscription_charge_failure': 'moneymovementservices.payment.status_updated',
  'purchase.refunded': 'moneymovementservices.payment.return_received',
  'billing_template.client_activated': 'moneymovementservices.payment.payment_updated',
  'client.created': null,
  'client.updated': null,
}

/** UMM Services' Webhook id: at most 20 of [a-zA-Z0-9], the same on every re-posting (the event's own id, compacted). */
export function ummEventId(eventId: string): string {
  return eventId
    .replaceAll(/[^a-zA-Z0-9]/g, '')
    .replace(/^evt/, '')
    .slice(0, 20)
}

function ummServices(event: SandboxEvent): Rendered[] {
  const eventType = UMM_EVENTS[event.type]
  if (!eventType) return []
  return [{name: eventType, body: json({id: ummEventId(event.id), event_type: eventType, data: {ummah_event: event.type, object: event.object}})}]
}

type NumipayStatus = 'expired' | 'pending' | 'rejected' | 'successful'

/** Numipay's transaction status per Ummah event; null: Numipay has no transaction event for it. */
const NUMIPAY: Record<SandboxEventType, {status: NumipayStatus; type: 'deposit' | 'withdrawal'} | null> = {
  'purchase.created': {status: 'pending', type: 'deposit'},
  'purchase.hold': {status: 'pending', type: 'deposit'},
  'purchase.paid': {status: 'successful', type: 'deposit'},
  // A capture also sends purchase.paid (successful); a second "successful" would say nothing new.
  'purchase.captured': null,
  'purchase.released': {status: 'expired', type: 'deposit'},
  'purchase.cancelled': {status: 'expired', type: 'deposit'},
  'purchase.payment_failure': {status: 'rejected', type: 'deposit'},
  'purchase.subscription_charge_failure': {status: 'rejected', type: 'deposit'},
  'purchase.refunded': {status: 'successful', type: 'withdrawal'},
  'billing_template.client_activated': null,
  'client.created': null,
  'client.updated': null,
}

function numipay(event: SandboxEvent): Rendered[] {
  const mapped = NUMIPAY[event.type]
  if (!mapped) return []
  const purchase = event.object as PurchaseLike
  const currency = purchase.purchase?.currency ?? 'USD'
  const minor = mapped.type === 'withdrawal' ? (purchase.refunded_amount ?? 0) : purchase.captured_amount || (purchase.purchase?.total_amount ?? 0)
  const payload = {
    transaction_id: purchase.id,
    user_id: purchase.client?.id ?? '',
    tracking_id: purchase.id,
    status: mapped.status,
    currency,
    amount: minorToDecimal(minor, currency),
    transaction_type: mapped.type,
  }
  return [{name: `${mapped.type}.${mapped.status}`, body: json(payload)}]
}

/** The generic gateway's events per Ummah event (a refund is initiated and completed at once in the sandbox). */
const GENERIC: Record<SandboxEventType, readonly string[]> = {
  'purchase.created': [],
  'purchase.hold': [],
  'purchase.paid': ['payment.completed'],
  'purchase.captured': [],
  'purchase.released': [],
  'purchase.cancelled': [],
  'purchase.payment_failure': ['payment.failed'],
  'purchase.subscription_charge_failure': ['payment.failed'],
  'purchase.refunded': ['refund.initiated', 'refund.completed'],
  'billing_template.client_activated': [],
  'client.created': ['customer.created'],
  'client.updated': ['customer.updated'],
}

function genericData(event: SandboxEvent, name: string): Record<string, unknown> {
  if (name.startsWith('customer.')) return event.object as Record<string, unknown>
  const purchase = event.object as PurchaseLike
  const refund = name.startsWith('refund.')
  return {
    id: purchase.id,
    amount: refund ? purchase.refunded_amount : purchase.captured_amount || purchase.purchase?.total_amount,
    currency: purchase.purchase?.currency,
    status: refund ? (name === 'refund.completed' ? 'completed' : 'pending') : name === 'payment.completed' ? 'completed' : 'failed',
    customer_id: purchase.client?.id ?? null,
    customer_email: purchase.client?.email ?? null,
  }
}

function generic(event: SandboxEvent): Rendered[] {
  return GENERIC[event.type].map((name, index) => ({
    name,
    body: json({
      id: index === 0 ? event.id : `${event.id}-${index}`,
      event: name,
      created_at: new Date(event.created_on * 1000).toISOString(),
      data: genericData(event, name),
    }),
  }))
}

const RENDERERS: Record<DeliveryFormat, (event: SandboxEvent) => Rendered[]> = {ummah, 'umm-services': ummServices, numipay, generic}

/** The bodies `format` sends for this event, in order; none when that partner has no such event. */
export function render(format: DeliveryFormat, event: SandboxEvent): Rendered[] {
  return RENDERERS[format](event)
}
