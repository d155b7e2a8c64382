/** The gateway's objects, as the Ummah gateway API reference shows them (the endpoint table's `response` types). */
import type {PURCHASE_STATUSES, WEBHOOK_EVENTS} from './endpoints.js'

export type PurchaseStatus = (typeof PURCHASE_STATUSES)[number]
export type EventType = (typeof WEBHOOK_EVENTS)[number]

export interface Product {
  name: string
  /** Minor units of the purchase currency. */
  price: number
  quantity?: number
}

export interface PurchaseDetails {
  products?: Product[]
  currency: string
  total_amount: number
}

export interface ClientSummary {
  id?: string
  email: string
  full_name?: string | null
}

export interface Payment {
  method: string
  is_recurring_token: boolean
}

export interface Purchase {
  id: string
  status: PurchaseStatus
  checkout_url: string
  invoice_url?: string
  client: ClientSummary
  purchase: PurchaseDetails
  payment?: Payment | null
  recurring_token?: string | null
  brand_id?: string | null
  success_redirect?: string | null
  failure_redirect?: string | null
  success_callback?: string | null
  skip_capture?: boolean
  force_recurring?: boolean
  created_on: number
}

export interface Refund {
  id: string
  status: 'refunded'
  amount: number
  currency: string
  purchase: string
  method: string
  created_on: number
}

export interface Client {
  id: string
  email: string
  full_name?: string | null
  phone?: string | null
  street_address?: string | null
  country?: string | null
  city?: string | null
  zip_code?: string | null
  type: string
  created_on: number
}

export interface RecurringToken {
  id: string
  payment_method: string
  description: string
  created_on: number
}

export interface BillingTemplate {
  id: string
  brand_id: string
  is_subscription: boolean
  subscription_period?: number | null
  subscription_period_units?: 'days' | 'months' | 'weeks' | 'years' | null
  number_of_billing_cycles?: number
  purchase: PurchaseDetails
  created_on: number
}

export interface Subscriber {
  id: string
  client_id?: string
  client?: ClientSummary
  is_subscription?: boolean
  status: 'active' | 'pending' | 'subscription_paused' | string
  next_billing_on?: number | null
  created_on: number
}

export interface Webhook {
  id: string
  title?: string
  callback: string
  events: EventType[]
  all_events: boolean
  /** PEM: what verifies this webhook's deliveries. */
  public_key: string
  created_on: number
}

export interface WebhookDelivery {
  id: string
  event: EventType
  status: string
  response_code: number | null
  sent_at: number
  payload: unknown
}

export interface Statement {
  id: string
  type: 'company'
  format: 'csv' | 'xlsx'
  status: 'cancelled' | 'completed' | 'processing' | string
  download_url: string | null
  timezone?: string
  created_on: number
  /** Not documented: the file's size in bytes, read when a gateway states it (checked before use). */
  size?: unknown
}

export interface Balance {
  balance: Array<{currency: string; amount: number}>
}

export interface Turnover {
  turnover: Array<{currency: string; paid_amount: number; period: string}>
}

export interface Event<T = Purchase> {
  id: string
  type: EventType
  created_on: number
  object: T
}

/** A documented page of a list: `{results, next, previous}`, the links absolute. */
export interface Page<T> {
  results: T[]
  next: string | null
  previous: string | null
}

/** The answer of cancel, release, resend_invoice and the like: the new status alone. */
export interface StatusAnswer<Status extends string> {
  status: Status
}

/** `GET /payment_methods/` for a brand and currency. */
export interface PaymentMethods {
  available_payment_methods: string[]
  by_country: Record<string, string[]>
  country_names: Record<string, string>
  names: Record<string, string>
  logos: Record<string, string | string[]>
  card_methods: string[]
}

/** `GET /payout_methods/` for a brand and currency. */
export interface PayoutMethods {
  available_payout_methods: string[]
  names: Record<string, string>
  logos: Record<string, string | string[]>
  card_methods: string[]
}

/** `GET /public_key/`: the company callback key (PEM). */
export interface PublicKey {
  public_key: string
}
